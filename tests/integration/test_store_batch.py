"""The writer's batch machinery: several operations on the same deliveries in one commit.

Writes queued without an await in between land in one batch, so these tests exercise what
happens when operations of one transaction see each other's not-yet-written rows: adoption of a
stand-in created in the same batch, per-column-set UPDATEs, a failing operation whose rolled-back
changes must not leak into its neighbours' results, and request-log retention.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.orm import Session

from console.domain.model import (
    DeliveryRecord,
    EventIn,
    EventSource,
    NewDelivery,
    SendState,
    StoreChange,
)
from console.store import ops
from console.store.batch import Touched
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.store_support import cb, logged


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every test here runs on SQLite and, with SMS_CONSOLE_TEST_PG set, on PostgreSQL."""
    return any_db_url


def same_as_stored(record: DeliveryRecord | None, reader: Reader) -> bool:
    return record is not None and reader.delivery(record.id) == record


async def test_stand_in_created_and_adopted_in_one_batch(writer: Writer, reader: Reader) -> None:
    changes: list[StoreChange] = []
    writer.subscribe(changes.append)
    rec = await writer.add_delivery(NewDelivery(to="+14155550110", body="race"))
    before = writer.commits
    early = writer.record_event(cb("SMB1", "delivered", to="+14155550110"))
    adopted = writer.transition(
        rec.id,
        SendState.ACCEPTED,
        sid="SMB1",
        event=EventIn(source=EventSource.API, status="queued", message_sid="SMB1"),
    )
    outcome, record = await asyncio.gather(early, adopted)
    assert writer.commits - before == 1  # both in one transaction
    assert outcome.delivery is not None and outcome.delivery.id == rec.id  # merged by commit
    assert record.sid == "SMB1" and record.status == "delivered"
    assert same_as_stored(record, reader)
    assert reader.count_deliveries() == 1
    assert [e.status for e in reader.events(rec.id)] == ["delivered", "queued"]
    last = changes[-1]
    assert last.removed_deliveries and rec.id not in last.removed_deliveries
    assert [d.id for d in last.deliveries] == [rec.id]
    assert {e.delivery_id for e in last.events} == {rec.id}


async def test_different_changes_in_one_batch_are_all_written(
    writer: Writer, reader: Reader
) -> None:
    for sid in ("SMU1", "SMU2", "SMU3"):
        await writer.record_event(cb(sid, "sent", to="+14155550111"))
    before = writer.commits
    outcomes = await asyncio.gather(
        writer.record_event(cb("SMU1", "delivered")),  # status, rank, final_at
        writer.record_event(cb("SMU2", "undelivered", error_code=30003, error_message="x")),
        writer.record_event(cb("SMU3", "sent", price="-0.0079", price_unit="USD")),  # repeat
        writer.record_event(cb("SMU3", "teleported", body="hi", segments=2)),  # unknown status
        writer.record_event(cb("SMU4", "sent")),  # new stand-in
    )
    assert writer.commits - before == 1
    assert [o.duplicate for o in outcomes] == [False, False, True, False, False]
    final = {o.delivery.sid: o.delivery for o in outcomes if o.delivery is not None}
    for record in final.values():
        assert same_as_stored(record, reader)
    assert (final["SMU1"].status, final["SMU1"].final_at is not None) == ("delivered", True)
    assert (final["SMU2"].status, final["SMU2"].error_code) == ("undelivered", 30003)
    u3 = final["SMU3"]
    assert (u3.status, u3.price, u3.body, u3.segments) == ("sent", "-0.0079", "hi", 2)
    assert final["SMU4"].send_state is SendState.EXTERNAL


async def test_a_failed_operation_leaks_nothing_into_its_batch(
    writer: Writer, reader: Reader
) -> None:
    changes: list[StoreChange] = []
    writer.subscribe(changes.append)
    await writer.record_event(cb("SMR1", "queued"))

    def deliver_then_fail(s: Session, t: Touched) -> None:
        ops.record_event(s, t, cb("SMR1", "delivered"))
        raise RuntimeError("the operation failed after changing the delivery")

    before = writer.commits
    first = writer.record_event(cb("SMR1", "sent"), logged=logged(1))
    failing = writer._submit(deliver_then_fail, (), lambda raw, _d: raw)
    retried = writer.record_event(cb("SMR1", "delivered", error_code=None), logged=logged(2))
    results = await asyncio.gather(first, failing, retried, return_exceptions=True)
    assert writer.commits - before == 1
    assert isinstance(results[1], RuntimeError)
    sent, again = results[0], results[2]
    assert not isinstance(sent, BaseException) and not isinstance(again, BaseException)
    assert sent.delivery is not None and sent.delivery.status in ("sent", "delivered")
    assert not again.duplicate  # the failed op's dedup key was rolled back with it
    assert same_as_stored(again.delivery, reader)
    stored = reader.delivery_by_sid("SMR1")
    assert stored is not None and stored.status == "delivered"
    assert [e.status for e in reader.events(stored.id)] == ["queued", "sent", "delivered"]
    last = changes[-1]
    assert [e.status for e in last.events] == ["sent", "delivered"]
    assert [r.headers[1][1] for r in last.requests] == ["n1", "n2"]
    assert reader.count_requests() == 2


async def test_request_log_keeps_the_newest(db_url: str, reader: Reader) -> None:
    writer = Writer(db_url, request_retention=300)
    await writer.start()
    try:
        for start in range(0, 1200, 200):
            await asyncio.gather(
                *(writer.log_request(logged(n)) for n in range(start, start + 200))
            )
    finally:
        await writer.close()
    kept = reader.count_requests()
    assert 300 <= kept < 300 + 256
    newest = reader.requests(limit=kept)
    assert newest[0].headers[1][1] == "n1199"
    assert {r.headers[1][1] for r in newest} >= {f"n{n}" for n in range(900, 1200)}
