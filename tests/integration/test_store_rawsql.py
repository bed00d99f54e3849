"""The writer's driver-level statements store exactly what SQLAlchemy Core would have stored.

Two databases receive the same operations, one through the SQLite fast path (multi-row driver
statements) and one through Core (what other databases use); with the clock fixed, every table
must hold identical rows, byte for byte. The TableWriter is also checked on its own: ids of
inserted rows, chunking beyond SQLite's parameter limit, both UPDATE forms, and the lookups.

With ``SMS_CONSOLE_TEST_PG`` set, the same operations also go to PostgreSQL (always Core there):
its rows, read back through the models' types, must equal SQLite's.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from console.domain.model import (
    EventIn,
    EventSource,
    InboundIn,
    NewDelivery,
    SendState,
    Verdict,
    WebhookRequestIn,
)
from console.store import ops, rawsql
from console.store.batch import Touched
from console.store.db import make_writer_engine, sqlite_url, upgrade
from console.store.models import Base
from console.store.pending import DELIVERIES, EVENTS, REQUESTS
from console.store.queries import Reader
from console.store.writer import Writer

T0 = datetime(2026, 12, 4, 9, 30, 0, 123456, tzinfo=UTC)
TABLES = ("deliveries", "delivery_events", "webhook_requests", "inbound_messages", "opt_outs")


class Clock:
    """A fixed clock that moves a microsecond per reading (both runs read it equally often)."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def cb(sid: str, status: str, **kw: Any) -> EventIn:
    return EventIn(
        source=EventSource.CALLBACK, status=status, message_sid=sid, received_at=T0, **kw
    )


def logged(n: int, body: str = "") -> WebhookRequestIn:
    return WebhookRequestIn(
        method="POST",
        path="/webhooks/twilio/status",
        query="bodySHA256=ab" if n % 3 == 0 else "",
        headers=(("Content-Type", "application/x-www-form-urlencoded"), ("X-N", str(n))),
        body=body or f"MessageSid=SM{n}&Body=h%C3%A9llo",
        remote="127.0.0.1" if n % 2 else None,
        status_code=200,
        verdict=Verdict.VALID if n % 2 else None,
        diagnosis=None if n % 2 else "décidé",
        checked_url="https://example.test/webhooks/twilio/status",
        response_body="",
        duration_ms=0.5 * n,
        received_at=T0 + timedelta(seconds=n),
    )


async def workload(writer: Writer) -> None:
    """Deliveries, callbacks (known, unknown, duplicate, out of order), adoption, inbound."""
    sent = await writer.add_deliveries(
        [NewDelivery(to=f"+1415555{i:04d}", body=f"héllo {i} 😀", segments=1) for i in range(40)]
    )
    await asyncio.gather(
        *(writer.transition(d.id, SendState.ACCEPTED, sid=f"SMK{d.id}") for d in sent if d.id % 2)
    )
    jobs = []
    for i, d in enumerate(sent):
        sid = f"SMK{d.id}" if d.id % 2 else f"SMU{i}"  # the even ones arrive as unknown SIDs
        for status in ("sent", "delivered", "sent", "undelivered"):
            code = 30003 if status == "undelivered" else None
            jobs.append(
                writer.record_event(
                    cb(sid, status, error_code=code, price="-0.0075" if code else None),
                    logged=logged(i),
                )
            )
    jobs.append(writer.record_event(cb("SMweird", "teleported", to="+14155550000")))
    await asyncio.gather(*jobs)
    await writer.transition(sent[1].id, SendState.ACCEPTED, sid="SMU1")  # adopts a stand-in
    await writer.record_inbound(
        InboundIn(
            message_sid="SMIN1",
            from_="+14155550001",
            to="+14155550002",
            body="STOP",
            received_at=T0,
        ),
        opt_out=True,
        keyword="STOP",
        logged=logged(99),
    )
    await asyncio.gather(*(writer.log_request(logged(n)) for n in range(100, 400)))


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in TABLES}


async def run(url: str, *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(url)
    monkeypatch.setattr(ops, "utcnow", Clock())
    writer = Writer(url, fast_sql=fast, request_retention=250)
    await writer.start()
    try:
        await workload(writer)
    finally:
        await writer.close()


def dump_typed(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table as the models' types read it (comparable across databases)."""
    engine = make_writer_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [
                    tuple(row)
                    for row in conn.execute(
                        select(Base.metadata.tables[t]).order_by(
                            *Base.metadata.tables[t].primary_key.columns
                        )
                    )
                ]
                for t in TABLES
            }
    finally:
        engine.dispose()


async def test_fast_and_core_paths_store_identical_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await run(sqlite_url(tmp_path / "fast.db"), fast=True, monkeypatch=monkeypatch)
    await run(sqlite_url(tmp_path / "core.db"), fast=False, monkeypatch=monkeypatch)
    fast, core = dump(tmp_path / "fast.db"), dump(tmp_path / "core.db")
    # 40 sent, 20 stand-ins for the unknown SIDs (one adopted, so gone), 'SMweird'
    assert len(fast["deliveries"]) == 60
    assert len(fast["webhook_requests"]) < 401  # retention pruned through both paths alike
    for table in TABLES:
        assert fast[table] == core[table], table


async def test_postgresql_stores_what_sqlite_stores(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL (Core; the driver-level path is SQLite's only) ends with SQLite's rows."""
    engine = make_writer_engine(pg_url)
    assert rawsql.for_dialect(engine.dialect) is None
    engine.dispose()
    await run(pg_url, fast=True, monkeypatch=monkeypatch)
    await run(sqlite_url(tmp_path / "fast.db"), fast=True, monkeypatch=monkeypatch)
    pg, lite = dump_typed(pg_url), dump_typed(sqlite_url(tmp_path / "fast.db"))
    assert len(pg["deliveries"]) == 60
    for table in TABLES:
        assert pg[table] == lite[table], table


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = sqlite_url(tmp_path / "t.db")
    upgrade(url)
    engine = make_writer_engine(url)
    yield engine
    engine.dispose()


def event_row(n: int) -> dict[str, Any]:
    return {
        "delivery_id": None,
        "message_sid": f"SM{n}",
        "source": "callback",
        "status": "sent",
        "applied": n % 2 == 0,
        "error_code": n if n % 5 == 0 else None,
        "error_message": None,
        "payload": "{}",
        "signature": "valid",
        "dedup_key": f"k{n}",
        "received_at": T0 + timedelta(microseconds=n),
    }


def writers(conn: Connection) -> rawsql.Writers:
    found = rawsql.for_dialect(conn.dialect)
    assert found is not None
    return found


def test_insert_returns_the_ids_of_the_rows_beyond_one_statement(engine: Engine) -> None:
    with engine.begin() as conn:
        events = writers(conn)[EVENTS]
        first = events.insert(conn, [event_row(n) for n in range(5)])
        conn.exec_driver_sql("DELETE FROM delivery_events WHERE id = ?", (first[-1],))
        many = events.insert(conn, [event_row(n) for n in range(5, 400)])  # > 999 parameters
        stored = dict(conn.exec_driver_sql("SELECT id, dedup_key FROM delivery_events").all())
    assert len(many) == 395
    assert [stored[i] for i in first[:-1] + many] == [f"k{n}" for n in range(400) if n != 4]


def test_both_update_forms_set_the_same_values(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with engine.begin() as conn:
        table = writers(conn)[DELIVERIES]
        base = {c: None for c in table.columns} | {
            "to_number": "+1",
            "profile": "",
            "segments": 0,
            "encoding": "",
            "status": "pending",
            "status_rank": 0,
            "send_state": "queued",
            "created_at": T0,
            "updated_at": T0,
        }
        ids = table.insert(conn, [base | {"sid": f"SM{n}"} for n in range(600)])
        columns = ("status", "final_at", "error_code")
        table.update(conn, columns, [(i, ("failed", T0, 30003)) for i in ids[:300]])
        monkeypatch.setattr(rawsql, "UPDATE_FROM", False)  # SQLite before 3.33
        table.update(conn, columns, [(i, ("failed", T0, 30003)) for i in ids[300:]])
        rows = conn.exec_driver_sql("SELECT status, final_at, error_code FROM deliveries").all()
        found = table.select_in(conn, "sid", [f"SM{n}" for n in range(0, 600, 7)] + ["nope"])
        present = table.present(conn, "sid", [f"SM{n}" for n in range(1200)])
    assert set(rows) == {("failed", "2026-12-04 09:30:00.123456", 30003)}
    assert len(found) == len(range(0, 600, 7))
    assert {r[list(DELIVERIES.columns.keys()).index("final_at")] for r in found} == {T0}
    assert sorted(present) == sorted(f"SM{n}" for n in range(600))


def test_requests_table_round_trips_through_the_driver(engine: Engine) -> None:
    with engine.begin() as conn:
        table = writers(conn)[REQUESTS]
        row = {c: None for c in table.columns} | {
            "method": "POST",
            "path": "/p",
            "query": "",
            "headers": "[]",
            "body": "é",
            "status_code": 403,
            "response_body": "",
            "duration_ms": 1.25,
            "received_at": T0,
        }
        (new_id,) = table.insert(conn, [row])
        (stored,) = table.select_in(conn, "id", [new_id])
    assert stored[0] == new_id and stored[list(REQUESTS.columns.keys()).index("received_at")] == T0


@pytest.mark.parametrize("empty_db_url", ["sqlite", "postgresql"], indirect=True)
async def test_a_failed_batch_leaves_the_writer_usable(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = empty_db_url
    upgrade(url)
    writer = Writer(url)
    await writer.start()
    real = Touched.write_pending
    # the batch's write fails, and so does the op's own write when the batch is redone op by op
    failures = iter([OSError("disk I/O error"), OSError("disk I/O error")])

    def flaky(self: Touched, s: Any) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        real(self, s)

    monkeypatch.setattr(Touched, "write_pending", flaky)
    try:
        with pytest.raises(OSError, match="disk I/O"):
            await writer.record_event(cb("SMF1", "sent"))
        outcome = await writer.record_event(cb("SMF2", "delivered"))
    finally:
        await writer.close()
    assert outcome.event is not None
    reader = Reader(url)
    try:
        assert reader.events_by_sid("SMF1") == [] and reader.delivery_by_sid("SMF1") is None
        assert [e.message_sid for e in reader.events_by_sid("SMF2")] == ["SMF2"]
        assert reader.count_deliveries() == 1
    finally:
        reader.close()
