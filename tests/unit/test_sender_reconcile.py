"""The reconciler polls deliveries with no final status (or no price) and records POLL events."""

from __future__ import annotations

import asyncio

from console.domain.model import EventIn, EventSource, NewDelivery, SendState
from console.gateway.reconcile import Reconciler
from console.store.queries import Reader
from console.store.writer import Writer
from tests.unit.test_sender import FROM, FakeGateway, stored


async def accepted(writer: Writer, gateway: FakeGateway, to: str) -> tuple[int, str]:
    """A delivery Twilio accepted (as the sender leaves it), and its SID."""
    rec = await writer.add_delivery(NewDelivery(to=to, body="hi", from_=FROM))
    info = gateway._store(to, "hi", FROM, None)
    await writer.transition(
        rec.id,
        SendState.ACCEPTED,
        sid=info.sid,
        event=EventIn(source=EventSource.API, status="queued"),
    )
    return rec.id, info.sid


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_at_start_every_open_delivery_is_polled_and_applied(
    writer: Writer, reader: Reader
) -> None:
    gateway = FakeGateway(reader)
    a, sid_a = await accepted(writer, gateway, "+14155550121")
    b, sid_b = await accepted(writer, gateway, "+14155550122")
    gateway.set(sid_a, status="delivered", price="-0.00790", price_unit="USD")
    gateway.set(sid_b, status="undelivered", error_code=30003, error_message="Unreachable")
    reconciler = Reconciler(writer, reader, gateway, after_seconds=600)
    assert await reconciler.reconcile_open(all_open=True) == 2
    da, db = reader.delivery(a), reader.delivery(b)
    assert da is not None and (da.status, da.price, da.price_unit) == (
        "delivered",
        "-0.00790",
        "USD",
    )
    assert db is not None and (db.status, db.error_code) == ("undelivered", 30003)
    assert [e.source for e in reader.events(a)] == [EventSource.API, EventSource.POLL]


async def test_only_overdue_deliveries_are_polled_later(writer: Writer, reader: Reader) -> None:
    gateway = FakeGateway(reader)
    await accepted(writer, gateway, "+14155550123")
    reconciler = Reconciler(writer, reader, gateway, after_seconds=600)
    assert await reconciler.reconcile_open() == 0  # updated a moment ago: not overdue


async def test_a_price_arriving_after_the_final_status_is_filled_in(
    writer: Writer, reader: Reader
) -> None:
    gateway = FakeGateway(reader)
    a, sid = await accepted(writer, gateway, "+14155550124")
    await writer.record_event(
        EventIn(source=EventSource.CALLBACK, status="delivered", message_sid=sid)
    )
    clock = Clock()
    reconciler = Reconciler(writer, reader, gateway, after_seconds=0.0, clock=clock)
    gateway.set(sid, status="delivered")  # no price yet
    assert await reconciler.reconcile_open() == 1
    assert stored(reader, a).price is None
    gateway.set(sid, price="-0.00790", price_unit="USD")
    clock.now += 1
    assert await reconciler.reconcile_open() == 1
    d = reader.delivery(a)
    assert d is not None and (d.status, d.price) == ("delivered", "-0.00790")
    clock.now += 1
    assert await reconciler.reconcile_open() == 0  # priced and final: nothing left to ask


async def test_a_delivery_is_polled_at_most_once_per_repoll_interval(
    writer: Writer, reader: Reader
) -> None:
    gateway = FakeGateway(reader)
    await accepted(writer, gateway, "+14155550125")
    clock = Clock()
    reconciler = Reconciler(
        writer, reader, gateway, after_seconds=0.0, repoll_seconds=60.0, clock=clock
    )
    assert await reconciler.reconcile_open() == 1
    clock.now += 30
    assert await reconciler.reconcile_open() == 0  # overdue, but asked 30 s ago
    assert await reconciler.reconcile_open(all_open=True) == 1  # at start: ask regardless
    clock.now += 60
    assert await reconciler.reconcile_open() == 1


async def test_a_failed_fetch_records_nothing(writer: Writer, reader: Reader) -> None:
    gateway = FakeGateway(reader)
    a, _sid = await accepted(writer, gateway, "+14155550126")
    gateway.messages.clear()  # Twilio answers 20404
    reconciler = Reconciler(writer, reader, gateway)
    assert await reconciler.reconcile_open(all_open=True) == 0
    assert len(reader.events(a)) == 1


async def test_run_polls_everything_first_then_every_interval(
    writer: Writer, reader: Reader
) -> None:
    gateway = FakeGateway(reader)
    a, sid = await accepted(writer, gateway, "+14155550127")
    gateway.set(sid, status="sent")
    waits: asyncio.Queue[tuple[float, asyncio.Future[None]]] = asyncio.Queue()

    async def sleep(delay: float) -> None:
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await waits.put((delay, wake))
        await wake

    reconciler = Reconciler(
        writer,
        reader,
        gateway,
        after_seconds=0.0,
        interval=42.0,
        sleep=sleep,
        clock=lambda: 0.0,
    )
    task = asyncio.create_task(reconciler.run())
    delay, wake = await asyncio.wait_for(waits.get(), 5)
    assert delay == 42.0 and stored(reader, a).status == "sent"
    gateway.set(sid, status="delivered")
    wake.set_result(None)
    delay, wake = await asyncio.wait_for(waits.get(), 5)
    assert stored(reader, a).status == "delivered"
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert delay == 42.0
