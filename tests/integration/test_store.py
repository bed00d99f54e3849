"""The ledger: group-committed writes, deduplication, forward-only status, orphan adoption."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from console.domain.model import EventIn, EventSource, NewDelivery, SendState, StoreChange
from console.store.db import upgrade
from console.store.queries import DeliveryFilter, Reader
from console.store.writer import Writer

SEQ = ["queued", "sending", "sent", "delivered"]


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every test here runs on SQLite and, with SMS_CONSOLE_TEST_PG set, on PostgreSQL."""
    return any_db_url


def cb(sid: str, status: str, **kw: object) -> EventIn:
    return EventIn(source=EventSource.CALLBACK, status=status, message_sid=sid, **kw)  # type: ignore[arg-type]


async def test_delivery_is_recorded_before_sending(writer: Writer, reader: Reader) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550101", body="hello"))
    assert rec.status == "pending"
    assert rec.send_state is SendState.QUEUED
    assert reader.delivery(rec.id) == rec


async def test_duplicates_are_recorded_once(writer: Writer, reader: Reader) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550101", body="x"))
    await writer.transition(
        rec.id,
        SendState.ACCEPTED,
        sid="SM1",
        event=EventIn(source=EventSource.API, status="queued"),
    )
    outcomes = await asyncio.gather(*(writer.record_event(cb("SM1", s)) for s in SEQ + SEQ))
    assert [o.duplicate for o in outcomes].count(False) == 4
    events = reader.events(rec.id)
    assert [e.status for e in events] == ["queued", "queued", "sending", "sent", "delivered"]
    assert reader.delivery(rec.id).status == "delivered"  # type: ignore[union-attr]


async def test_late_sent_does_not_overwrite_delivered(writer: Writer, reader: Reader) -> None:
    await writer.record_event(cb("SM2", "delivered"))
    await writer.record_event(cb("SM2", "sent"))
    d = reader.delivery_by_sid("SM2")
    assert d is not None and d.status == "delivered" and d.final_at is not None
    assert len(reader.events(d.id)) == 2


async def test_unknown_status_kept_not_applied(writer: Writer, reader: Reader) -> None:
    await writer.record_event(cb("SM3", "sent"))
    out = await writer.record_event(cb("SM3", "teleported"))
    assert out.event is not None and not out.event.applied
    d = reader.delivery_by_sid("SM3")
    assert d is not None and d.status == "sent"


async def test_error_code_is_stored_with_failure(writer: Writer, reader: Reader) -> None:
    await writer.record_event(cb("SM4", "sent"))
    await writer.record_event(cb("SM4", "undelivered", error_code=30003))
    d = reader.delivery_by_sid("SM4")
    assert d is not None and (d.status, d.error_code) == ("undelivered", 30003)


async def test_callback_before_create_response_is_adopted(writer: Writer, reader: Reader) -> None:
    changes: list[StoreChange] = []
    writer.subscribe(changes.append)
    rec = await writer.add_delivery(NewDelivery(to="+14155550102", body="race"))
    early = await writer.record_event(cb("SM5", "sent", to="+14155550102"))
    assert early.delivery is not None and early.delivery.send_state is SendState.EXTERNAL
    stand_in = early.delivery.id
    await writer.transition(
        rec.id,
        SendState.ACCEPTED,
        sid="SM5",
        event=EventIn(source=EventSource.API, status="queued"),
    )
    d = reader.delivery(rec.id)
    assert d is not None and d.sid == "SM5" and d.status == "sent"
    assert reader.delivery(stand_in) is None
    assert {e.status for e in reader.events(rec.id)} == {"sent", "queued"}
    assert reader.count_deliveries() == 1
    assert any(stand_in in c.removed_deliveries for c in changes)


async def test_messages_from_other_tools_are_shown(writer: Writer, reader: Reader) -> None:
    await writer.record_event(cb("SMX", "delivered", to="+14155550103", from_="+14155550100"))
    d = reader.delivery_by_sid("SMX")
    assert d is not None
    assert (d.send_state, d.to, d.from_, d.status) == (
        SendState.EXTERNAL,
        "+14155550103",
        "+14155550100",
        "delivered",
    )


async def test_group_commit_batches_concurrent_writes(writer: Writer, reader: Reader) -> None:
    before = writer.commits
    await asyncio.gather(*(writer.record_event(cb(f"SMG{i}", "sent")) for i in range(500)))
    assert reader.count_deliveries() == 500
    assert writer.commits - before < 50  # 500 writes shared a handful of commits


async def test_a_failing_write_does_not_sink_its_batch(writer: Writer, reader: Reader) -> None:
    good = [writer.record_event(cb(f"SMF{i}", "sent")) for i in range(5)]
    bad = writer.transition(999_999, SendState.ACCEPTED, sid="SMNOPE")
    results = await asyncio.gather(*good, bad, return_exceptions=True)
    assert isinstance(results[-1], LookupError)
    assert reader.count_deliveries() == 5


async def test_filters_and_slices(writer: Writer, reader: Reader) -> None:
    for i in range(30):
        rec = await writer.add_delivery(NewDelivery(to=f"+1415555{i:04d}", body=f"m{i}"))
        await writer.transition(
            rec.id,
            SendState.ACCEPTED,
            sid=f"SMS{i}",
            event=EventIn(source=EventSource.API, status="queued"),
        )
        if i % 3 == 0:
            await writer.record_event(cb(f"SMS{i}", "failed", error_code=30006))
    failed = DeliveryFilter(statuses=frozenset({"failed"}))
    assert reader.count_deliveries(failed) == 10
    page = reader.deliveries(failed, sort="to", descending=False, offset=2, limit=3)
    assert [d.to for d in page] == ["+14155550006", "+14155550009", "+14155550012"]
    assert reader.count_deliveries(DeliveryFilter(text="m2")) == 1 + 10  # m2, m20..m29
    stats = reader.stats()
    assert stats.by_error == {30006: 10} and stats.total == 30


async def test_inbound_and_opt_out(writer: Writer, reader: Reader) -> None:
    from console.domain.model import InboundIn

    msg = InboundIn(message_sid="SMin1", from_="+14155550104", to="+14155550100", body="STOP")
    assert await writer.record_inbound(msg, opt_out=True, keyword="STOP") is not None
    assert await writer.record_inbound(msg, opt_out=True, keyword="STOP") is None
    assert reader.is_opted_out("+14155550104")
    await writer.record_inbound(
        InboundIn(message_sid="SMin2", from_="+14155550104", to="+14155550100", body="START"),
        opt_out=False,
        keyword="START",
    )
    assert not reader.is_opted_out("+14155550104")
    assert [m.body for m in reader.inbound_from("+14155550104")] == ["STOP", "START"]


async def test_close_commits_what_was_queued(db_url: str) -> None:
    w = Writer(db_url)
    await w.start()
    pending = [asyncio.ensure_future(w.record_event(cb(f"SMC{i}", "sent"))) for i in range(50)]
    await w.close()
    assert all(p.done() and not p.exception() for p in pending)
    r = Reader(db_url)
    assert r.count_deliveries() == 50
    r.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from([*SEQ, "undelivered", "bogus"]), min_size=1, max_size=10), st.randoms()
)
def test_stored_status_is_order_independent(
    db_url: str, observed: list[str], rnd: random.Random
) -> None:
    """Whatever order callbacks are stored in, the delivery ends with the same status."""

    async def final_status(seq: list[str], sid: str) -> str:
        w = Writer(db_url)
        await w.start()
        for s in seq:
            await w.record_event(cb(sid, s))
        await w.close()
        r = Reader(db_url)
        d = r.delivery_by_sid(sid)
        r.close()
        assert d is not None
        return d.status

    shuffled = observed[:] + rnd.sample(observed, k=len(observed) // 2)
    rnd.shuffle(shuffled)
    sid = f"SMP{rnd.getrandbits(64)}"
    a = asyncio.run(final_status(observed, sid + "a"))
    b = asyncio.run(final_status(shuffled, sid + "b"))
    assert a == b


async def test_free_text_search_uses_the_index_and_finds_substrings(
    writer: Writer, reader: Reader
) -> None:
    bodies = ["Your code is 8812", 'Parcel "XL-7" is late', "Hola, ¿qué tal?", "plain"]
    for i, body in enumerate(bodies):
        rec = await writer.add_delivery(NewDelivery(to=f"+1415556{i:04d}", body=body))
        await writer.transition(
            rec.id,
            SendState.ACCEPTED,
            sid=f"SMtext{i}",
            event=EventIn(source=EventSource.API, status="queued"),
        )
    await writer.record_event(cb("SMother", "sent", to="+447911123456", body="from elsewhere"))

    def found(text: str) -> set[str]:
        return {d.to for d in reader.deliveries(DeliveryFilter(text=text), limit=50)}

    assert found("de is 88") == {"+14155560000"}  # inside a body
    assert found('"XL-7"') == {"+14155560001"}  # quotes are searched, not FTS syntax
    assert found("qué") == {"+14155560002"}
    assert found("5560002") == {"+14155560002"}  # inside a number
    assert found("SMtext3") == {"+14155560003"}  # a SID
    assert found("7911123") == {"+447911123456"}  # a message seen only through a callback
    assert found("elsewhere") == {"+447911123456"}
    assert found("no such text") == set()
    assert reader.count_deliveries(DeliveryFilter(text="is ")) == 2


async def test_statistics_buckets_are_counted_in_sql(writer: Writer, reader: Reader) -> None:
    from datetime import UTC, datetime

    before = datetime.now(UTC)
    for i in range(7):
        await writer.add_delivery(NewDelivery(to=f"+1415557{i:04d}", body="x"))
    stats = reader.stats(bucket_seconds=60)
    assert sum(n for _, n in stats.buckets) == 7 == stats.total
    for start, _ in stats.buckets:
        assert start.tzinfo is not None and start.second == 0 and start.microsecond == 0
        assert before.replace(second=0, microsecond=0) <= start <= datetime.now(UTC)


async def test_recent_recipients_newest_first_without_repeats(
    writer: Writer, reader: Reader
) -> None:
    for to in ("+14155550301", "+14155550302", "+14155550301", "+14155550303"):
        await writer.add_delivery(NewDelivery(to=to, body="x"))
    await writer.record_event(cb("SMext", "sent", to="+14155550399"))  # another tool's message
    assert reader.recent_recipients() == ["+14155550303", "+14155550301", "+14155550302"]
    assert reader.recent_recipients(limit=1) == ["+14155550303"]


def drop_other_connections(url: str) -> int:
    """Terminate every other session on the test's database (a server restart, for them)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


async def test_writer_reconnects_when_the_server_dropped_its_connection(pg_url: str) -> None:
    """The writer keeps its connection across batches; one the server dropped meanwhile must
    not fail the next batch (a lost webhook answered 500 is not retried by Twilio)."""
    upgrade(pg_url)
    w = Writer(pg_url)
    await w.start()
    try:
        await w.record_event(cb("SMD1", "sent"))
        assert drop_other_connections(pg_url) == 1
        out = await w.record_event(cb("SMD2", "sent"))  # starts with a prefetch query
        assert out.event is not None
        assert drop_other_connections(pg_url) == 1
        added = await w.add_delivery(NewDelivery(to="+14155550105", body="after"))  # an INSERT
    finally:
        await w.close()
    r = Reader(pg_url)
    try:
        assert r.count_deliveries() == 3 and r.delivery(added.id) == added
    finally:
        r.close()


async def test_a_connection_lost_during_commit_is_not_retried(
    writer: Writer, reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commit may have happened: the callers learn the error, the batch is not run twice."""
    commits: list[object] = []

    def lost(self: Session) -> None:
        commits.append(self)
        raise OperationalError("COMMIT", {}, OSError("server closed"), connection_invalidated=True)

    monkeypatch.setattr(Session, "commit", lost)
    with pytest.raises(OperationalError):
        await writer.add_delivery(NewDelivery(to="+14155550106", body="x"))
    assert len(commits) == 1
    monkeypatch.undo()
    assert reader.count_deliveries() == 0  # here the rollback did happen
    assert (await writer.add_delivery(NewDelivery(to="+14155550106", body="y"))).body == "y"
