"""The runtime thread and the Qt bridge: lifecycle, submit/spawn, coalesced typed signals."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pytestqt.qtbot import QtBot

from console.domain.model import (
    DeliveryRecord,
    EventRecord,
    EventSource,
    SendState,
    StoreChange,
    utcnow,
)
from console.runtime import Bridge, Runtime
from console.store.db import sqlite_url, upgrade
from console.store.writer import Writer
from console.webhooks.app import WebhookServer
from tests.integration.webhooks_support import PUBLIC, STATUS_PATH, TOKEN, sign, status_params


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    rt = Runtime("test-runtime")
    rt.start()
    yield rt
    rt.stop()


@pytest.fixture
def bridge(qtbot: QtBot, runtime: Runtime) -> Bridge:
    """Depends on ``runtime`` so that the runtime stops (no more publishes) before it goes."""
    return Bridge(interval_ms=100)


def event(i: int, sid: str = "SM1") -> EventRecord:
    return EventRecord(
        id=i,
        delivery_id=None,
        message_sid=sid,
        source=EventSource.CALLBACK,
        status="sent",
        applied=True,
        error_code=None,
        error_message=None,
        payload="{}",
        signature=None,
        received_at=utcnow(),
    )


def delivery(i: int, status: str) -> DeliveryRecord:
    now = utcnow()
    return DeliveryRecord(
        id=i,
        sid=f"SM{i}",
        to="+14155550100",
        from_=None,
        messaging_service_sid=None,
        body="x",
        profile="default",
        account_sid=None,
        segments=1,
        encoding="GSM-7",
        status=status,
        status_rank=0,
        send_state=SendState.ACCEPTED,
        error_code=None,
        error_message=None,
        price=None,
        price_unit=None,
        batch_id=None,
        created_at=now,
        updated_at=now,
        final_at=None,
    )


# -- Runtime -----------------------------------------------------------------------------------
def test_submit_runs_on_the_runtime_thread(runtime: Runtime) -> None:
    async def where() -> tuple[str, asyncio.AbstractEventLoop]:
        return threading.current_thread().name, asyncio.get_running_loop()

    name, loop = runtime.submit(where()).result(timeout=5)
    assert (name, loop) == ("test-runtime", runtime.loop)
    assert runtime.running and not runtime.in_loop_thread()


def test_stop_runs_cleanups_in_reverse_and_cancels_tasks(caplog: pytest.LogCaptureFixture) -> None:
    rt = Runtime("stopping")
    rt.start()
    order: list[str] = []
    finalised = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        finally:
            finalised.set()

    async def setup() -> asyncio.Task[None]:
        return rt.spawn(forever(), name="forever")

    task = rt.submit(setup()).result(timeout=5)

    async def first() -> None:
        order.append("first")

    async def second() -> None:
        order.append("second")

    rt.add_cleanup(first)
    rt.add_cleanup(second)
    with caplog.at_level(logging.DEBUG):
        rt.stop()
        gc.collect()
    assert order == ["second", "first"]
    assert task.cancelled() and finalised.is_set()
    assert not rt.running and rt.loop.is_closed()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    rt.stop()  # idempotent


def test_stop_without_start_closes_the_loop() -> None:
    rt = Runtime("never-started")
    rt.stop()
    assert rt.loop.is_closed() and not rt.running  # no unclosed-socket ResourceWarning later
    rt.stop()


def test_submit_after_stop_refuses_and_closes_the_coroutine() -> None:
    rt = Runtime("stopped")
    rt.start()
    rt.stop()

    async def work() -> int:
        return 1

    coro = work()
    with pytest.raises(RuntimeError, match="stopped"):
        rt.submit(coro)
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED  # no "never awaited" warning


def test_spawned_tasks_are_kept_and_failures_logged(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    done = threading.Event()

    async def ok() -> None:
        done.set()

    async def boom() -> None:
        raise ValueError("kaput")

    async def start_both() -> tuple[asyncio.Task[None], asyncio.Task[None]]:
        return runtime.spawn(ok(), name="ok"), runtime.spawn(boom(), name="boom")

    with caplog.at_level(logging.ERROR, logger="console.runtime"):
        good, bad = runtime.submit(start_both()).result(timeout=5)
        gc.collect()  # nothing but the runtime holds the tasks
        assert done.wait(timeout=5)

        async def settled() -> None:
            await asyncio.gather(good, bad, return_exceptions=True)

        runtime.submit(settled()).result(timeout=5)
    assert any("background task boom failed" in r.getMessage() for r in caplog.records)


# -- Bridge ------------------------------------------------------------------------------------
def test_burst_of_5000_publishes_becomes_one_emission(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge
) -> None:
    batches: list[tuple[EventRecord, ...]] = []
    bridge.eventsAdded.connect(batches.append)

    async def burst() -> None:
        for i in range(5000):
            bridge.publish(StoreChange(events=(event(i),)))

    with qtbot.waitSignal(bridge.flushed, timeout=5000):
        # the GUI thread is blocked here, so every publish lands before the first emission
        runtime.submit(burst()).result(timeout=30)
    assert bridge.emissions == 1
    assert [len(b) for b in batches] == [5000]
    assert [e.id for e in batches[0]] == list(range(5000))


def test_publishing_while_the_gui_runs_delivers_every_record_in_batches(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge
) -> None:
    received: list[EventRecord] = []
    sizes: list[int] = []

    def on_events(batch: tuple[EventRecord, ...]) -> None:
        received.extend(batch)
        sizes.append(len(batch))

    bridge.eventsAdded.connect(on_events)

    async def stream() -> None:
        for i in range(5000):
            bridge.publish(StoreChange(events=(event(i),)))

    future = runtime.submit(stream())
    qtbot.waitUntil(lambda: len(received) == 5000, timeout=10_000)
    future.result(timeout=5)
    assert [e.id for e in received] == list(range(5000))
    assert len(sizes) == bridge.emissions < 5000 // 2  # batches, not one signal per publish


def test_deliveries_keep_the_latest_snapshot_and_removals(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge
) -> None:
    changed: list[tuple[DeliveryRecord, ...]] = []
    removed: list[tuple[int, ...]] = []
    bridge.deliveriesChanged.connect(changed.append)
    bridge.deliveriesRemoved.connect(removed.append)

    async def updates() -> None:
        bridge.publish(StoreChange(deliveries=(delivery(1, "sent"), delivery(2, "sent"))))
        bridge.publish(StoreChange(deliveries=(delivery(1, "delivered"),)))
        bridge.publish(StoreChange(removed_deliveries=(2,)))

    with qtbot.waitSignal(bridge.flushed, timeout=5000):
        runtime.submit(updates()).result(timeout=5)
    assert [[(d.id, d.status) for d in batch] for batch in changed] == [[(1, "delivered")]]
    assert removed == [(2,)]


def test_call_returns_results_and_errors_on_the_gui_thread(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge
) -> None:
    got: list[tuple[str, Any, bool]] = []

    async def work() -> str:
        return threading.current_thread().name

    async def fail() -> str:
        raise LookupError("nope")

    def on_main(kind: str) -> Any:
        return lambda value: got.append(
            (kind, value, threading.current_thread() is threading.main_thread())
        )

    bridge.call(runtime, work(), on_main("result"))
    bridge.call(runtime, fail(), on_main("result"), on_main("error"))
    qtbot.waitUntil(lambda: len(got) == 2, timeout=5000)
    by_kind = {kind: (value, on_gui) for kind, value, on_gui in got}
    assert by_kind["result"] == ("test-runtime", True)
    error, on_gui = by_kind["error"]
    assert isinstance(error, LookupError) and on_gui


def test_publish_state_arrives_as_a_typed_signal(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge
) -> None:
    change = StoreChange()

    async def announce() -> None:
        bridge.publish_state("tunnel", change)

    with qtbot.waitSignal(
        bridge.stateChanged, timeout=5000, check_params_cb=lambda t, s: (t, s) == ("tunnel", change)
    ):
        runtime.submit(announce()).result(timeout=5)


def test_webhook_through_writer_reaches_the_bridge(
    qtbot: QtBot, runtime: Runtime, bridge: Bridge, tmp_path: Path
) -> None:
    """The composition the console uses: server and writer on the runtime, bridge on the GUI."""
    url = sqlite_url(tmp_path / "console.db")
    upgrade(url)
    requests: list[Any] = []
    events: list[EventRecord] = []
    bridge.requestsAdded.connect(requests.extend)
    bridge.eventsAdded.connect(events.extend)

    async def setup() -> str:
        writer = Writer(url)
        await writer.start()
        writer.subscribe(bridge.publish)
        server = WebhookServer(writer, auth_token=lambda: TOKEN, public_url=lambda: PUBLIC, port=0)
        runtime.add_cleanup(writer.close)
        runtime.add_cleanup(server.stop)
        return await server.start()

    async def post(local: str) -> int:
        params = status_params("SMbridge", "delivered")
        headers = {"X-Twilio-Signature": sign(PUBLIC + STATUS_PATH, params)}
        async with (
            aiohttp.ClientSession() as session,
            session.post(local + STATUS_PATH, data=params, headers=headers) as resp,
        ):
            return resp.status

    local = runtime.submit(setup()).result(timeout=10)
    with qtbot.waitSignal(bridge.flushed, timeout=5000):
        assert runtime.submit(post(local)).result(timeout=10) == 200
    assert [(e.message_sid, e.status) for e in events] == [("SMbridge", "delivered")]
    assert [r.status_code for r in requests] == [200]
