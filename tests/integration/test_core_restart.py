"""Restarting the demo services is quiet and correct: a new simulator is never asked about the
messages an earlier one accepted, a settings restart keeps the simulator (and so its messages),
and a start for a short look (the doctor) writes nothing to the ledger."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest

from console.core import Core
from console.domain.model import NewDelivery, SendState
from console.settings import Settings
from console.simulator.config import DEMO_ACCOUNT, DEMO_NUMBER_1
from console.store.queries import Reader
from tests.integration.core_support import Changes

pytestmark = pytest.mark.usefixtures("memory_keyring", "no_credential_env")

NOISE = ("20404", "could not poll", "sending it once more")


@pytest.fixture
def demo(settings: Settings) -> Settings:
    return replace(settings, port=0, demo=True)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="console"):
        yield caplog


async def sent_and_final(core: Core, changes: Changes, count: int) -> list[int]:
    """``count`` messages sent through ``core``, each with its final status (no price yet)."""
    ids = [(await core.send(f"+1415555012{n}", f"restart {n}")).id for n in range(count)]
    await changes.until(
        lambda: all((d := core.reader.delivery(i)) is not None and d.final_at for i in ids)
    )
    return ids


def ledger(reader: Reader) -> list[tuple[int, str, str, int]]:
    """Every delivery with its state, status and number of events."""
    return [
        (d.id, d.send_state.value, d.status, len(reader.events(d.id)))
        for d in reader.deliveries(limit=1000, descending=False)
    ]


async def test_a_demo_restart_asks_the_new_simulator_about_nothing_earlier(
    demo: Settings, logged: pytest.LogCaptureFixture
) -> None:
    changes = Changes()
    first = Core(demo, publish=changes)
    await first.start()
    try:
        await sent_and_final(first, changes, 3)
    finally:
        await first.stop()
    logged.clear()
    second = Core(demo)
    await second.start()
    try:
        assert second.reconciler is not None
        assert await second.reconciler.reconcile_open(all_open=True) == 0
        before = ledger(second.reader)
    finally:
        await second.stop()
    assert not [r.getMessage() for r in logged.records if any(n in r.getMessage() for n in NOISE)]
    reader = Reader(demo.db_url)
    try:
        assert ledger(reader) == before and len(before) == 3  # nothing polled, nothing written
        assert all(d.price is None for d in reader.deliveries())
    finally:
        reader.close()


async def test_a_settings_restart_keeps_the_simulator_and_its_messages(
    demo: Settings, logged: pytest.LogCaptureFixture
) -> None:
    changes = Changes()
    core = Core(demo, publish=changes)
    await core.start()
    try:
        [sent] = await sent_and_final(core, changes, 1)
        simulator = core.simulator
        await core.apply_settings(core.settings)  # saving Settings restarts the services
        assert core.simulator is simulator and core.state.mode == "demo"
        # the restart's reconciliation fetches the price from the same simulator
        await changes.until(lambda: (d := core.reader.delivery(sent)) is not None and d.price)
        await core.apply_settings(replace(core.settings, demo=False))  # still no credentials
        assert core.simulator is simulator
    finally:
        await core.stop()
    assert core.simulator is None
    assert not [r.getMessage() for r in logged.records if any(n in r.getMessage() for n in NOISE)]


async def test_leaving_demo_mode_stops_the_kept_simulator(
    demo: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    core = Core(demo)
    await core.start()
    try:
        simulator = core.simulator
        assert simulator is not None and simulator.base_url is not None
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", DEMO_ACCOUNT.sid)  # credentials arrive
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", DEMO_ACCOUNT.auth_token)
        live = replace(core.settings, demo=False, api_base_url=simulator.base_url, tunnel=False)
        await core.apply_settings(live)
        assert core.state.mode == "live" and core.simulator is None
        assert simulator.base_url is None  # stopped, not left running
    finally:
        await core.stop()


async def test_a_start_without_resume_writes_nothing_to_the_ledger(demo: Settings) -> None:
    """What the doctor needs: the services to look at, and no send, poll or state change."""
    core = Core(demo, resume=False)
    await core.start()
    try:
        assert core.writer is not None
        writer = core.writer
        queued = await writer.add_delivery(
            NewDelivery(to="+14155550151", body="q", from_=DEMO_NUMBER_1, segments=1)
        )
        limbo = await writer.add_delivery(
            NewDelivery(to="+14155550152", body="s", from_=DEMO_NUMBER_1, segments=1)
        )
        await writer.transition(limbo.id, SendState.SUBMITTING)
    finally:
        await core.stop()
    core = Core(demo, resume=False)
    await core.start()
    try:
        before = ledger(core.reader)
        results = await core.doctor()
        assert {r.id for r in results} >= {"credentials", "self_probe"}
        assert ledger(core.reader) == before
    finally:
        await core.stop()
    reader = Reader(demo.db_url)
    try:
        assert ledger(reader) == before
        assert {d.id: d.send_state for d in reader.deliveries()} == {
            queued.id: SendState.QUEUED,
            limbo.id: SendState.SUBMITTING,
        }
    finally:
        reader.close()
