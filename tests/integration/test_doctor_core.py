"""``Core.doctor``, ``Core.run_fix`` and the self-probe wiring, on the console's own composition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from console.core import Core
from console.doctor.fixes import FixUnavailable
from console.doctor.probe import ProbeResult
from console.doctor.result import all_passed
from console.settings import Settings
from console.simulator import Simulator
from console.simulator.server import SimulatorServer
from tests.integration.test_doctor_support import (
    SID,
    STRANGER,
    TOKEN,
    account,
    closed_port,
    no_twilio_env,
)

__all__ = ["no_twilio_env"]  # fixtures used by name below

pytestmark = pytest.mark.usefixtures("memory_keyring", "no_twilio_env")


class States:
    """Collects what the core publishes; ``wait`` for a topic without sleeping."""

    def __init__(self) -> None:
        self.items: list[tuple[str, object]] = []
        self.changed = asyncio.Event()

    def __call__(self, topic: str, state: object) -> None:
        self.items.append((topic, state))
        self.changed.set()

    async def wait(self, topic: str, within: float = 10.0) -> object:
        async with asyncio.timeout(within):
            while True:
                found = [s for t, s in self.items if t == topic]
                if found:
                    return found[-1]
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(Simulator(account("Trial"))) as server:
        yield server


async def test_demo_core_passes_every_check_and_publishes_the_probe(data_dir: Path) -> None:
    states = States()
    core = Core(Settings(data_dir=data_dir, demo=True, port=0), publish_state=states)
    await core.start()
    try:
        probe = await states.wait("probe")
        assert isinstance(probe, ProbeResult) and probe.ok
        assert probe.public_url == core.state.server_url
        results = await core.doctor()
        assert all_passed(results), [r for r in results if not r.passed]
        by_id = {r.id: r for r in results}
        assert "built-in simulator" in by_id["credentials"].finding
        assert by_id["public_url_https"].state == "skip"
        assert "Demo mode" in by_id["public_url_https"].finding
        assert "locally, demo mode" in by_id["self_probe"].finding
        text = await core.run_fix("probe_again")
        assert "reached the console" in text
        with pytest.raises(FixUnavailable, match="done in the window"):
            await core.run_fix("open_settings")
    finally:
        await core.stop()
    assert core.prober is None


async def test_demo_without_credentials_reports_what_demo_requested_reports(
    data_dir: Path,
) -> None:
    """The window falls back to demo mode when no credentials are configured; ``--demo`` asks
    for it. Both run the same simulator, so every check must come to the same state."""
    states: dict[bool, dict[str, str]] = {}
    findings: dict[bool, str] = {}
    for requested in (True, False):
        core = Core(Settings(data_dir=data_dir, demo=requested, port=0))
        await core.start()
        try:
            assert core.state.mode == "demo"
            results = await core.doctor()
        finally:
            await core.stop()
        states[requested] = {r.id: r.state for r in results}
        findings[requested] = next(r.finding for r in results if r.id == "credentials")
    assert states[False] == states[True]
    assert states[False]["credentials"] == "ok"
    assert all("built-in simulator is used instead of Twilio" in f for f in findings.values())
    assert "no Twilio credentials are configured" in findings[False]


async def test_live_core_names_unverified_recipient_and_unreachable_url(
    data_dir: Path, simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+14155550100")
    states = States()
    settings = replace(
        Settings(data_dir=data_dir),
        port=0,
        tunnel=False,
        public_url=f"https://127.0.0.1:{closed_port()}",
        api_base_url=simulator.base_url or "",
        request_timeout=5.0,
    )
    core = Core(settings, publish_state=states)
    await core.start()
    try:
        probe = await states.wait("probe")
        assert isinstance(probe, ProbeResult) and not probe.reachable
        assert core.writer is not None
        from console.domain.model import NewDelivery

        await core.writer.add_delivery(NewDelivery(to=STRANGER, body="hi", from_="+14155550100"))
        by_id = {r.id: r for r in await core.doctor()}
    finally:
        await core.stop()
    assert by_id["credentials"].state == "ok"
    assert by_id["trial_recipients"].state == "fail"
    assert by_id["trial_recipients"].action == "verify_number"
    assert by_id["self_probe"].state == "fail"
    assert "Could not connect" in by_id["self_probe"].finding
    assert by_id["public_url_public"].state == "fail"
    assert by_id["keyring"].state == "ok"
