"""The Reader's queries answer alike on every backend (SQLite, and PostgreSQL when configured).

These are the reads the GUI and the services make: text search (SQLite's trigram index, a
case-insensitive pattern match elsewhere), sort orders the deliveries table relies on (missing
error codes first, recipients in code-point order, as ``delivery_reads.sort_key`` assumes),
time buckets, conversations, the request log, and the pipeline/reconcile lists.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from console.domain.model import (
    EventIn,
    EventSource,
    InboundIn,
    NewDelivery,
    SendState,
    Verdict,
    WebhookRequestIn,
)
from console.store import ops
from console.store.db import upgrade
from console.store.queries import DeliveryFilter, Reader
from console.store.writer import Writer

T0 = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every test here runs on SQLite and, with SMS_CONSOLE_TEST_PG set, on PostgreSQL."""
    return any_db_url


def cb(sid: str, status: str, **kw: Any) -> EventIn:
    return EventIn(source=EventSource.CALLBACK, status=status, message_sid=sid, **kw)


async def send(writer: Writer, to: str, body: str = "x", sid: str | None = None) -> int:
    rec = await writer.add_delivery(NewDelivery(to=to, body=body))
    if sid is not None:
        await writer.transition(rec.id, SendState.ACCEPTED, sid=sid)
    return rec.id


async def test_text_filter_ignores_case_and_takes_wildcards_literally(
    writer: Writer, reader: Reader
) -> None:
    bodies = ["Hola Mundo", "50% off", "5000 units", "a_b", "axb", r"back\slash", "ÉCOLE"]
    for i, body in enumerate(bodies):
        await send(writer, f"+1415558{i:04d}", body)

    def found(needle: str) -> set[str]:
        return {d.body or "" for d in reader.deliveries(DeliveryFilter(text=needle), limit=50)}

    assert found("hola") == found("HOLA") == found("mUnDo") == {"Hola Mundo"}
    assert found("0%") == found("50%") == {"50% off"}  # % is a character, not a wildcard
    assert found("_b") == found("a_b") == {"a_b"}  # so is _
    assert found("k\\s") == found("\\") == {r"back\slash"}
    assert found("ÉCOLE") == {"ÉCOLE"}
    assert reader.count_deliveries(DeliveryFilter(text="%")) == 1


async def test_error_code_order_puts_missing_codes_first_ascending(
    writer: Writer, reader: Reader
) -> None:
    ids = [await send(writer, f"+1415559{i:04d}", sid=f"SMe{i}") for i in range(4)]
    await writer.record_event(cb("SMe1", "undelivered", error_code=30003))
    await writer.record_event(cb("SMe3", "failed", error_code=21211))
    up = [d.id for d in reader.deliveries(sort="error_code", descending=False)]
    down = [d.id for d in reader.deliveries(sort="error_code", descending=True)]
    assert up == [ids[0], ids[2], ids[3], ids[1]]  # NULL, NULL (by id), 21211, 30003
    assert down == list(reversed(up))


async def test_recipient_order_is_by_code_point(writer: Writer, reader: Reader) -> None:
    tos = ["whatsapp:+14155550101", "+447911123456", "WhatsApp:+14155550102", "+14155550100"]
    for to in tos:
        await send(writer, to)
    assert [d.to for d in reader.deliveries(sort="to", descending=False)] == sorted(tos)
    assert [d.to for d in reader.deliveries(sort="to", descending=True)] == sorted(tos)[::-1]


async def test_statistics_buckets_start_at_the_bucket_floor(
    writer: Writer, reader: Reader, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = iter([T0 + timedelta(seconds=59.9), T0 + timedelta(seconds=60), T0])
    monkeypatch.setattr(ops, "utcnow", lambda: next(times))
    for i in range(3):
        await writer.add_delivery(NewDelivery(to=f"+1415557{i:04d}", body="x"))
    stats = reader.stats(bucket_seconds=60)
    assert stats.buckets == [(T0, 2), (T0 + timedelta(minutes=1), 1)]
    late = reader.stats(DeliveryFilter(since=T0 + timedelta(seconds=30)), bucket_seconds=3600)
    assert late.buckets == [(T0, 2)] and late.total == 2


async def test_timestamps_keep_microseconds_and_come_back_in_utc(
    writer: Writer, reader: Reader
) -> None:
    at = datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=UTC)
    await writer.record_event(cb("SMtime", "sent", received_at=at, to="+14155550000"))
    d = reader.delivery_by_sid("SMtime")
    assert d is not None and d.created_at == at and d.created_at.tzinfo is UTC
    (event,) = reader.events_by_sid("SMtime")
    assert event.received_at == at


def test_the_reader_cannot_write(db_url: str, reader: Reader) -> None:
    """A stray write through a reader fails loudly instead of racing the one writer."""
    with pytest.raises(DBAPIError), reader.engine.begin() as conn:
        conn.execute(text("DELETE FROM opt_outs"))


async def test_conversations_and_threads(writer: Writer, reader: Reader) -> None:
    for n, (sender, body) in enumerate(
        [("+14155550201", "hi"), ("+14155550202", "yo"), ("+14155550201", "again")]
    ):
        msg = InboundIn(message_sid=f"SMc{n}", from_=sender, to="+14155550200", body=body)
        await writer.record_inbound(msg)
    await send(writer, "+14155550201", "reply", sid="SMr1")
    heads = reader.conversations()
    assert [(number, last.body, count) for number, last, count in heads] == [
        ("+14155550201", "again", 2),
        ("+14155550202", "yo", 1),
    ]
    assert [m.body for m in reader.inbound_from("+14155550201")] == ["hi", "again"]
    assert [d.body for d in reader.deliveries_to("+14155550201")] == ["reply"]
    await writer.set_opt_out("+14155550202", True, "STOP")
    await writer.set_opt_out("+14155550201", False, "START")
    assert [(o.number, o.opted_out) for o in reader.opt_outs()] == [
        ("+14155550201", False),
        ("+14155550202", True),
    ]


def request_in(n: int, verdict: Verdict | None, at: datetime) -> WebhookRequestIn:
    return WebhookRequestIn(
        method="POST",
        path="/webhooks/twilio/status",
        query="",
        headers=(("X-N", str(n)),),
        body="é" * n,
        remote=None,
        status_code=200 if verdict is Verdict.VALID else 403,
        verdict=verdict,
        diagnosis=None,
        checked_url=None,
        response_body="",
        duration_ms=n / 3,
        received_at=at,
    )


async def test_request_log_reads(writer: Writer, reader: Reader) -> None:
    verdicts = [Verdict.VALID, Verdict.INVALID, None, Verdict.VALID]
    for n, v in enumerate(verdicts):
        await writer.log_request(request_in(n, v, T0 + timedelta(minutes=n)))
    newest = reader.requests()
    assert [r.headers for r in newest] == [(("X-N", str(n)),) for n in (3, 2, 1, 0)]
    assert newest[0].duration_ms == 1.0 and newest[0].body == "ééé"
    assert reader.request(newest[1].id) == newest[1]
    assert reader.count_requests() == 4
    assert reader.count_requests(verdict="valid") == 2
    assert reader.count_requests(since=T0 + timedelta(minutes=2)) == 2


async def test_pipeline_and_reconcile_lists(writer: Writer, reader: Reader) -> None:
    queued = await send(writer, "+14155550301")
    accepted = await send(writer, "+14155550302", sid="SMp1")
    unknown = await send(writer, "+14155550303")
    await writer.transition(unknown, SendState.UNKNOWN)
    states = reader.in_send_state(SendState.QUEUED, SendState.UNKNOWN)
    assert [d.id for d in states] == [queued, unknown]
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert [d.id for d in reader.open_deliveries(later)] == [accepted]
    await writer.record_event(cb("SMp1", "delivered", received_at=T0))
    assert reader.open_deliveries(later) == []
    found = reader.unpriced_final(
        frozenset({"delivered"}),
        finished_after=T0 - timedelta(seconds=1),
        finished_before=T0 + timedelta(seconds=1),
    )
    assert [d.id for d in found] == [accepted]
    exported = list(reader.iter_with_events(chunk=2))
    assert [d.id for d, _ in exported] == [queued, accepted, unknown]
    assert [e.status for e in exported[1][1]] == ["delivered"]


async def test_text_with_nul_is_stored_on_every_backend(
    db_url: str, writer: Writer, reader: Reader
) -> None:
    """SQLite keeps NUL; PostgreSQL cannot store it and gets U+FFFD instead of an error (a
    webhook log entry or an inbound SMS must never be lost to one odd character)."""
    kept = "a\x00b" if db_url.startswith("sqlite") else "a\ufffdb"
    sent = await writer.add_delivery(NewDelivery(to="+14155550401", body="a\x00b"))
    await writer.record_inbound(
        InboundIn(message_sid="SMnul", from_="+14155550402", to="+14155550400", body="a\x00b")
    )
    logged = await writer.log_request(request_in(1, None, T0))
    await writer.log_request(
        WebhookRequestIn(**{**_fields(request_in(2, None, T0)), "body": "a\x00b", "query": "\x00"})
    )
    assert (stored := reader.delivery(sent.id)) is not None and stored.body == kept
    assert [m.body for m in reader.inbound_from("+14155550402")] == [kept]
    assert reader.requests(limit=1)[0].body == kept and reader.request(logged.id) == logged
    assert reader.count_deliveries(DeliveryFilter(text="a\x00b")) == 1  # found as it was sent


def _fields(req: WebhookRequestIn) -> dict[str, Any]:
    return {name: getattr(req, name) for name in req.__dataclass_fields__}


def plan_of(reader: Reader, read: Callable[[], object]) -> str:
    """PostgreSQL's plan for the statement ``read`` makes, with scans and sorts discouraged
    (a test table is too small for the planner to prefer an index on its own)."""
    seen: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        seen.append((statement, params))

    event.listen(reader.engine, "before_cursor_execute", note)
    try:
        read()
    finally:
        event.remove(reader.engine, "before_cursor_execute", note)
    statement, params = seen[-1]
    with reader.engine.connect() as conn:
        for setting in ("enable_seqscan", "enable_sort", "enable_incremental_sort"):
            conn.exec_driver_sql(f"SET LOCAL {setting} = off")
        return "\n".join(conn.exec_driver_sql(f"EXPLAIN {statement}", params).scalars())


def test_postgresql_serves_the_text_filter_and_sorts_from_indexes(pg_url: str) -> None:
    """Migrations 0004/0005: the Reader's ILIKE (with its ESCAPE) can use the pg_trgm index of
    the side table delivery_search, and each sort order the GUI asks for, NULLs and collation
    included, has a matching index."""
    upgrade(pg_url)
    reader = Reader(pg_url)
    try:
        text_plan = plan_of(reader, lambda: reader.count_deliveries(DeliveryFilter(text="50%_")))
        assert "ix_pg_delivery_search_trgm" in text_plan  # migration 0005's side table
        assert "_trgm" not in text_plan.replace("ix_pg_delivery_search_trgm", "")
        for sort, index in [
            ("status", "ix_pg_deliveries_rank_id"),
            ("error_code", "ix_pg_deliveries_error_id"),
            ("segments", "ix_pg_deliveries_segments_id"),
            ("to", "ix_pg_deliveries_to_id"),
        ]:
            for descending in (False, True):
                page = plan_of(reader, partial(reader.deliveries, sort=sort, descending=descending))
                assert index in page, (sort, descending, page)
    finally:
        reader.close()


def _holding(reader: Reader, needle: str) -> set[int]:
    """The oracle: ids of the deliveries whose to, from, body or SID holds ``needle``, ASCII
    case ignored (as SQLite's LIKE; the needles below have only ASCII letters)."""
    low = needle.lower()
    return {
        d.id
        for d in reader.deliveries(limit=1000)
        if any(low in (v or "").lower() for v in (d.to, d.from_, d.body, d.sid))
    }


def _found(reader: Reader, needle: str) -> set[int]:
    return {d.id for d in reader.deliveries(DeliveryFilter(text=needle), limit=1000)}


async def test_text_filter_follows_inserts_updates_and_adoption(
    writer: Writer, reader: Reader
) -> None:
    """The index behind the filter (SQLite's FTS5 table, PostgreSQL's delivery_search) keeps up
    with new rows, with later values of to/from/body/sid, and with an adopted stand-in's
    deletion: the filter answers what the rows hold."""
    needles = ["hello", "HELLO planet", "0700", "0701", "0799", "SMsrch", "smsrch1", "late body"]

    def agree() -> None:
        for needle in needles:
            assert _found(reader, needle) == _holding(reader, needle), needle

    sent = await send(writer, "+14155550700", "Hello planet")
    agree()
    early = await writer.record_event(cb("SMsrch1", "sent", to="+14155550701"))
    assert early.delivery is not None
    stand_in = early.delivery.id
    assert _found(reader, "smsrch1") == {stand_in}
    await writer.record_event(cb("SMsrch1", "delivered", from_="+14155550799", body="late body"))
    assert _found(reader, "0799") == _found(reader, "LATE BODY") == {stand_in}
    agree()
    await writer.transition(sent, SendState.ACCEPTED, sid="SMsrch1")  # adopts the stand-in
    assert reader.delivery(stand_in) is None
    assert _found(reader, "smsrch1") == {sent}
    agree()
    other = await send(writer, "+14155550702", "more", sid="SMsrch2")
    assert _found(reader, "SMSRCH") == {sent, other}
    agree()


async def test_text_filter_does_not_match_across_columns(writer: Writer, reader: Reader) -> None:
    """PostgreSQL's side table joins the columns with U+001F: a needle holding it matches only
    within one column, as a needle spanning two columns never does."""
    joined = await writer.add_delivery(
        NewDelivery(to="+14155550800", from_="+14155550899", body="unit\x1fsep")
    )
    for needle in ("0800\x1f+1415", "0899\x1funit", "0800+1415"):
        assert _found(reader, needle) == set(), repr(needle)
    assert _found(reader, "t\x1fs") == _found(reader, "UNIT\x1fSEP") == {joined.id}


async def test_text_filter_compares_nul_literally(writer: Writer, reader: Reader) -> None:
    """A needle with NUL finds the rows holding it (SQLite's LIKE would cut its pattern at the
    NUL and find every row); PostgreSQL stored NUL as U+FFFD and searches for that."""
    ids = {}
    for body in ("a\x00b", "ab", "xyz", "XA\x00BY", "\x00"):
        ids[body] = (await writer.add_delivery(NewDelivery(to="+14155550900", body=body))).id
    with_nul = {ids["a\x00b"], ids["XA\x00BY"], ids["\x00"]}
    assert _found(reader, "\x00") == with_nul
    assert _found(reader, "A\x00B") == _found(reader, "a\x00") == with_nul - {ids["\x00"]}
    assert _found(reader, "xa\x00by") == {ids["XA\x00BY"]}
    assert _found(reader, "a\x00c") == _found(reader, "b\x00") == set()
    assert reader.count_deliveries(DeliveryFilter(text="\x00z")) == 0


def _search_row(url: str, delivery_id: int) -> tuple[str, str, str]:
    """xmin and ctid of a delivery's delivery_search row (a new version changes both) and the
    xmin of its deliveries row."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT s.xmin::text, s.ctid::text, d.xmin::text FROM delivery_search s "
                    "JOIN deliveries d ON d.id = s.delivery_id WHERE s.delivery_id = :id"
                ),
                {"id": delivery_id},
            ).one()
            return row[0], row[1], row[2]
    finally:
        engine.dispose()


async def test_status_updates_leave_the_search_table_alone(pg_url: str) -> None:
    """Migration 0005: a status callback's UPDATE (status, status_rank, updated_at) writes no new
    version of the delivery's delivery_search row; a change of to/from/body/sid does."""
    upgrade(pg_url)
    w = Writer(pg_url)
    await w.start()
    try:
        sent = await send(w, "+14155551000", "status only", sid="SMhot1")
        before = _search_row(pg_url, sent)
        for status in ("sending", "sent"):
            await w.record_event(cb("SMhot1", status))
        after = _search_row(pg_url, sent)
        assert after[2] != before[2]  # the delivery was updated
        assert after[:2] == before[:2]  # its search row was not
        engine = create_engine(pg_url)
        with engine.begin() as conn:  # named in SET but unchanged: the trigger's WHEN skips it
            conn.execute(
                text("UPDATE deliveries SET sid = sid, body = body WHERE id = :id"), {"id": sent}
            )
        engine.dispose()
        assert _search_row(pg_url, sent)[:2] == before[:2]
        await w.record_event(cb("SMhot1", "delivered", from_="+14155551099"))  # fills from
        changed = _search_row(pg_url, sent)
        assert changed[:2] != before[:2]
    finally:
        await w.close()
    reader = Reader(pg_url)
    try:
        assert _found(reader, "1099") == {sent}
    finally:
        reader.close()
