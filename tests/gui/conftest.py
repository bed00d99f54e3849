"""GUI fixtures: a Runtime thread with the real Writer publishing through a Bridge, and a Reader.

``live`` is the light fixture: the store as the app runs it (writer on the runtime loop,
``writer.subscribe(bridge.publish)``) without the services. ``core_app`` (in
``test_main_window_core.py``) starts the real Core in demo mode.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.domain.model import (
    DeliveryRecord,
    EventIn,
    EventSource,
    NewDelivery,
    SendState,
    Verdict,
)
from console.runtime import Bridge, Runtime
from console.store.queries import Reader
from console.store.writer import EventOutcome, Writer
from console.ui.gc_guard import GuiGarbageCollector

T = TypeVar("T")
_sids = itertools.count(1)


def new_sid() -> str:
    """A fresh Message SID."""
    return f"SM{next(_sids):032x}"


class LiveStore:
    """The real Writer on a runtime thread; blocking helpers for tests (they run on the GUI thread).

    Blocking the GUI thread on the runtime is safe here: the runtime never waits for the GUI, and
    the bridge only queues signals that the test then waits for with ``qtbot.waitSignal``.
    """

    def __init__(self, runtime: Runtime, writer: Writer) -> None:
        self.runtime = runtime
        self.writer = writer

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runtime loop and return its result."""
        return self.runtime.submit(coro).result(timeout=20)

    def add(
        self, to: str = "+14155550100", body: str = "Hello", *, profile: str = "default"
    ) -> DeliveryRecord:
        """Record a new outbound message (pending)."""

        async def go() -> DeliveryRecord:
            return await self.writer.add_delivery(
                NewDelivery(
                    to=to,
                    body=body,
                    from_="+14155550000",
                    profile=profile,
                    segments=1,
                    encoding="GSM-7",
                )
            )

        return self.run(go())

    def add_many(self, count: int, to: str = "+14155550100") -> list[DeliveryRecord]:
        """Record ``count`` messages in one transaction."""

        async def go() -> list[DeliveryRecord]:
            news = [
                NewDelivery(to=to, body=f"Message {i}", from_="+14155550000", segments=1)
                for i in range(count)
            ]
            return await self.writer.add_deliveries(news)

        return self.run(go())

    def accept(self, delivery_id: int, sid: str | None = None) -> DeliveryRecord:
        """Give a delivery a SID, as a create() answer does (status queued)."""
        sid = sid or new_sid()
        payload = f'{{"sid": "{sid}", "status": "queued"}}'

        async def go() -> DeliveryRecord:
            return await self.writer.transition(
                delivery_id,
                SendState.ACCEPTED,
                sid=sid,
                event=EventIn(
                    source=EventSource.API, status="queued", message_sid=sid, payload=payload
                ),
            )

        return self.run(go())

    def callback(self, sid: str, status: str, error_code: int | None = None) -> EventOutcome:
        """A signed status callback for ``sid``."""
        payload = json.dumps(
            {"MessageSid": sid, "MessageStatus": status, "ErrorCode": str(error_code or "")}
        )

        async def go() -> EventOutcome:
            return await self.writer.record_event(
                EventIn(
                    source=EventSource.CALLBACK,
                    status=status,
                    message_sid=sid,
                    error_code=error_code,
                    payload=payload,
                    signature=Verdict.VALID,
                )
            )

        return self.run(go())


@pytest.fixture(scope="session", autouse=True)
def gui_thread_gc(qapp: QApplication) -> Iterator[GuiGarbageCollector]:
    """As in the app: cyclic garbage is collected on the GUI thread only (see gc_guard)."""
    collector = GuiGarbageCollector()
    collector.install()
    yield collector
    collector.uninstall()


@pytest.fixture
def runtime() -> Iterator[Runtime]:
    """A started runtime thread, stopped after the test."""
    rt = Runtime(name="test-runtime")
    rt.start()
    yield rt
    rt.stop()


@pytest.fixture
def bridge(qtbot: QtBot) -> Bridge:
    """A bridge on the GUI thread (short coalescing interval to keep tests quick)."""
    return Bridge(interval_ms=30)


@pytest.fixture
def live(runtime: Runtime, bridge: Bridge, db_url: str) -> Iterator[LiveStore]:
    """The real Writer started on the runtime, publishing its commits through the bridge."""

    async def start() -> Writer:
        w = Writer(db_url)
        await w.start()
        w.subscribe(bridge.publish)
        return w

    writer = runtime.submit(start()).result(timeout=20)
    store = LiveStore(runtime, writer)
    yield store
    runtime.submit(writer.close()).result(timeout=20)


@pytest.fixture
def gui_reader(db_url: str) -> Iterator[Reader]:
    """A reader of the test database."""
    r = Reader(db_url)
    yield r
    r.close()
