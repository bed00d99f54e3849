"""A writer batch is one transaction: all of it or nothing, whatever shape its statements take.

Found by review of the SQLite fast path: a ``WITH … UPDATE`` ran outside the batch's
transaction (pysqlite only opens one before INSERT/UPDATE/DELETE), the savepoints of the
op-by-op redo were never emitted, releasing the outermost savepoint committed, a new delivery
could be handed the record of a stand-in adopted earlier in the same batch, and two inbound
messages with one SID in a batch failed the whole batch.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import CursorResult, create_engine, text

from console.domain.model import (
    InboundIn,
    NewDelivery,
    SendState,
    StoreChange,
    WebhookRequestRecord,
)
from console.store import batch, ops
from console.store.queries import Reader
from console.store.writer import Writer, _delivery
from tests.integration.store_support import cb, logged


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every test on SQLite and, with SMS_CONSOLE_TEST_PG, on PostgreSQL."""
    return any_db_url


class database:
    """A plain connection of its own to the test's database, to see what was committed."""

    def __init__(self, db_url: str) -> None:
        self._engine = create_engine(db_url)

    def __enter__(self) -> database:
        self._conn = self._engine.connect()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._conn.close()
        self._engine.dispose()

    def execute(self, sql: str) -> CursorResult[Any]:
        return self._conn.execute(text(sql))


async def accepted(writer: Writer, sid: str) -> int:
    rec = await writer.add_delivery(NewDelivery(to="+14155550100", body="hello", segments=1))
    await writer.transition(rec.id, SendState.ACCEPTED, sid=sid)
    return rec.id


async def test_a_failing_batch_leaves_no_status_update_behind(
    writer: Writer, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await accepted(writer, "SMA")  # its next callback is an UPDATE, the batch's first write

    def failing(*args: Any) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr("console.store.batch.write_events", failing)  # after the UPDATE
    with pytest.raises(OSError, match="disk I/O"):
        await writer.record_event(cb("SMA", "delivered"))
    with database(db_url) as db:
        assert db.execute("SELECT status FROM deliveries").fetchall() == [("pending",)]
        assert db.execute("SELECT count(*) FROM delivery_events").fetchone() == (0,)


async def test_the_redo_rolls_back_a_failing_operation_s_partial_writes(
    writer: Writer, db_url: str
) -> None:
    await accepted(writer, "SMB")
    naive = cb("SMB", "sent", received_at=datetime(2026, 1, 1))  # the event INSERT refuses it
    results = await asyncio.gather(
        writer.log_request(logged(1)),
        writer.record_event(naive),  # updates the delivery first, then fails
        writer.transition(999, SendState.ACCEPTED),  # fails: no such delivery
        return_exceptions=True,
    )
    logged_ok, refused, missing = results
    assert isinstance(logged_ok, WebhookRequestRecord)
    assert isinstance(refused, Exception) and "naive datetime" in str(refused)
    assert isinstance(missing, LookupError)
    with database(db_url) as db:
        assert db.execute("SELECT status FROM deliveries").fetchall() == [("pending",)]
        assert db.execute("SELECT count(*) FROM webhook_requests").fetchone() == (1,)


async def test_an_operation_redone_alone_is_not_committed_when_its_batch_fails(
    writer: Writer, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = ops.prune_requests

    def prune_fails_in_the_redo(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the redo's end of batch: after the first op's savepoint
            raise OSError("disk full")
        real(*args)

    monkeypatch.setattr(ops, "prune_requests", prune_fails_in_the_redo)
    results = await asyncio.gather(
        writer.add_delivery(NewDelivery(to="+14155550111", body="first")),
        writer.transition(999, SendState.ACCEPTED),  # makes the batch be redone op by op
        return_exceptions=True,
    )
    assert all(isinstance(r, OSError) for r in results)
    with database(db_url) as db:
        assert db.execute("SELECT count(*) FROM deliveries").fetchone() == (0,)


async def test_a_new_delivery_next_to_an_adopted_stand_in_gets_its_own_record(
    writer: Writer, reader: Reader
) -> None:
    changes: list[StoreChange] = []
    writer.subscribe(changes.append)
    first = await writer.add_delivery(NewDelivery(to="+14155550120", body="adopter"))
    await writer.record_event(cb("SMS1", "sent", to="+14155550120"))  # the stand-in
    adopted, new = await asyncio.gather(
        writer.transition(first.id, SendState.ACCEPTED, sid="SMS1"),
        writer.add_delivery(NewDelivery(to="+14155550121", body="newcomer")),
    )
    assert adopted.id == first.id and adopted.sid == "SMS1"
    assert new.id != first.id and new.to == "+14155550121" and new.sid is None
    assert reader.delivery(new.id) == new
    last = changes[-1]
    assert {d.id for d in last.deliveries} == {first.id, new.id}
    assert new.id not in last.removed_deliveries


async def test_a_repeated_inbound_message_in_one_batch_is_stored_once(
    writer: Writer, db_url: str
) -> None:
    msg = InboundIn(
        message_sid="SMIN9",
        from_="+14155550130",
        to="+14155550131",
        body="hello",
        received_at=datetime(2026, 12, 4, tzinfo=UTC),
    )
    first, repeat, status = await asyncio.gather(
        writer.record_inbound(msg, logged=logged(1)),
        writer.record_inbound(msg, logged=logged(2)),  # Twilio's retry, same batch
        writer.record_event(cb("SMX", "sent")),
    )
    assert first is not None and repeat is None and status.event is not None
    with database(db_url) as db:
        assert db.execute("SELECT count(*) FROM inbound_messages").fetchone() == (1,)
        assert db.execute("SELECT count(*) FROM webhook_requests").fetchone() == (2,)


async def test_a_row_the_database_refuses_fails_only_the_operation_that_wrote_it(
    writer: Writer, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batch.write_events

    def refuses_one(conn: Any, events: Any, fast: Any = None) -> None:
        if any(e.values["message_sid"] == "SMBAD" for e in events if e.id is None):
            raise ValueError("value too long for type character varying(64)")
        real(conn, events, fast)

    monkeypatch.setattr(batch, "write_events", refuses_one)  # rows are written after the ops
    good, bad, new = await asyncio.gather(
        writer.record_event(cb("SMOK1", "sent")),
        writer.record_event(cb("SMBAD", "sent")),
        writer.add_delivery(NewDelivery(to="+14155550140", body="unrelated")),
        return_exceptions=True,
    )
    assert isinstance(bad, ValueError)
    assert not isinstance(good, BaseException) and not isinstance(new, BaseException)
    with database(db_url) as db:
        sids = {sid for (sid,) in db.execute("SELECT message_sid FROM delivery_events")}
        assert sids == {"SMOK1"}
        assert db.execute("SELECT count(*) FROM deliveries").fetchone() == (2,)  # SMOK1 + new


async def test_a_connection_lost_during_the_op_by_op_redo_is_retried(
    writer: Writer, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("needs a server that can drop the writer's connection (PostgreSQL)")
    calls: list[int] = []

    def flaky(s: Any, t: Any, new: NewDelivery) -> Any:
        calls.append(1)
        row = ops.add_delivery(s, t, new)
        if len(calls) == 1:
            raise ValueError("a failing op: the batch is redone op by op")
        if len(calls) == 2:  # in the redo: the server drops the connection
            t.connection(s).exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
        return row

    results = await asyncio.gather(
        writer.add_delivery(NewDelivery(to="+14155550150", body="first")),
        writer._submit(flaky, (NewDelivery(to="+14155550151", body="flaky"),), _delivery),
        writer.add_delivery(NewDelivery(to="+14155550152", body="third")),
        return_exceptions=True,
    )
    assert [getattr(r, "body", r) for r in results] == ["first", "flaky", "third"]
    with database(db_url) as db:
        assert db.execute("SELECT count(*) FROM deliveries").fetchone() == (3,)
