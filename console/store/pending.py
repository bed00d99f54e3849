"""Rows a batch holds in memory and writes with SQLAlchemy Core, not through ORM objects.

The writer's hot path (status callbacks) touches three tables: deliveries, delivery_events and
webhook_requests. ORM objects cost far more per row than the work itself (instrumented attribute
sets, unit-of-work flushes), so a batch keeps plain slotted rows and writes them at the end with
one multi-row INSERT per table and one executemany UPDATE per set of changed delivery columns.
Each row converts itself to its frozen record once (the caller's result and the batch's
:class:`~console.domain.model.StoreChange` share it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from console.domain.model import (
    DeliveryRecord,
    EventRecord,
    EventSource,
    Verdict,
    WebhookRequestIn,
    WebhookRequestRecord,
)
from console.store.models import Base, Delivery, DeliveryEvent, WebhookRequest
from console.store.rawsql import Writers
from console.store.records import delivery_record

DELIVERIES = Base.metadata.tables[Delivery.__tablename__]
EVENTS = Base.metadata.tables[DeliveryEvent.__tablename__]
REQUESTS = Base.metadata.tables[WebhookRequest.__tablename__]

# RETURNING's row order is not promised by SQL; SQLAlchemy's sort_by_parameter_order makes the
# ids come back in the order of the rows given (it correlates them, on every backend).
_INSERT_DELIVERY = insert(DELIVERIES).returning(DELIVERIES.c.id, sort_by_parameter_order=True)
_INSERT_EVENT = insert(EVENTS).returning(EVENTS.c.id, sort_by_parameter_order=True)
_INSERT_REQUEST = insert(REQUESTS).returning(REQUESTS.c.id, sort_by_parameter_order=True)
SELECT_DELIVERY = select(DELIVERIES)
CHUNK = 500  # ids per IN (...) list


def insert_ids(conn: Connection, stmt: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one go and return their ids in the order of ``rows``."""
    return list(conn.execute(stmt, rows).scalars().all())


@dataclass(slots=True, eq=False)
class DeliveryRow:
    """A delivery's column values during a batch; ``dirty`` names the columns to write."""

    id: int | None
    sid: str | None
    to_number: str
    from_number: str | None
    messaging_service_sid: str | None
    body: str | None
    profile: str
    account_sid: str | None
    segments: int
    encoding: str
    status: str
    status_rank: int
    send_state: str
    error_code: int | None
    error_message: str | None
    price: str | None
    price_unit: str | None
    batch_id: str | None
    created_at: datetime
    updated_at: datetime
    final_at: datetime | None
    dirty: set[str] = field(default_factory=set)

    def set(self, column: str, value: Any) -> None:
        """Change a column (written at the batch's next write)."""
        setattr(self, column, value)
        self.dirty.add(column)

    def reload(self, other: DeliveryRow) -> None:
        """Take every column value of ``other`` (the row as the database has it)."""
        for name in COLUMNS:
            setattr(self, name, getattr(other, name))
        self.dirty.clear()

    def record(self) -> DeliveryRecord:
        """The frozen record of the row as it is now."""
        return delivery_record(self)


COLUMNS = tuple(c.name for c in DELIVERIES.columns)
_NEW_COLUMNS = tuple(c for c in COLUMNS if c != "id")
if tuple(f.name for f in fields(DeliveryRow) if f.name != "dirty") != COLUMNS:
    raise RuntimeError(
        "DeliveryRow's fields no longer match the deliveries table: update console/store/"
        "pending.py together with console/store/models.py"
    )
_UPDATES: dict[frozenset[str], Any] = {}


def _update_of(columns: frozenset[str]) -> Any:
    """An executemany UPDATE of ``columns`` by id (built once per set of columns)."""
    stmt = _UPDATES.get(columns)
    if stmt is None:
        stmt = (
            update(DELIVERIES)
            .where(DELIVERIES.c.id == bindparam("_id"))
            .values({c: bindparam(f"_v_{c}", type_=DELIVERIES.c[c].type) for c in sorted(columns)})
        )
        _UPDATES[columns] = stmt
    return stmt


def load_deliveries(conn: Connection, where: Any) -> list[DeliveryRow]:
    """The deliveries matching a Core ``where`` clause."""
    return [DeliveryRow(*row) for row in conn.execute(SELECT_DELIVERY.where(where))]


_BY_IDS = SELECT_DELIVERY.where(DELIVERIES.c.id.in_(bindparam("ids", expanding=True)))


def load_by_ids(conn: Connection, ids: Sequence[int]) -> list[DeliveryRow]:
    """The deliveries with these ids (missing ones are left out)."""
    out: list[DeliveryRow] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        out += [DeliveryRow(*row) for row in conn.execute(_BY_IDS, {"ids": chunk})]
    return out


def write_deliveries(
    conn: Connection, rows: Iterable[DeliveryRow], fast: Writers | None = None
) -> list[DeliveryRow]:
    """INSERT the new rows, UPDATE the changed columns of the others; returns the new rows.

    ``fast``: driver-level statements (SQLite) instead of Core ones.
    """
    new: list[DeliveryRow] = []
    groups: dict[tuple[str, ...], list[DeliveryRow]] = {}
    for row in rows:
        if row.id is None:
            new.append(row)
        elif row.dirty:
            groups.setdefault(tuple(sorted(row.dirty)), []).append(row)
    if new:
        values = [{c: getattr(r, c) for c in _NEW_COLUMNS} for r in new]
        ids = (
            fast[DELIVERIES].insert(conn, values)
            if fast is not None
            else insert_ids(conn, _INSERT_DELIVERY, values)
        )
        for row, new_id in zip(new, ids, strict=True):
            row.id = new_id
            row.dirty = set()
    for columns, changed in groups.items():
        if fast is not None:
            fast[DELIVERIES].update(
                conn,
                columns,
                [(r.id, [getattr(r, c) for c in columns]) for r in changed],  # type: ignore[misc]
            )
        else:
            params_list = []
            for r in changed:
                params = {f"_v_{c}": getattr(r, c) for c in columns}
                params["_id"] = r.id
                params_list.append(params)
            conn.execute(_update_of(frozenset(columns)), params_list)
        for r in changed:
            r.dirty = set()
    return new


@dataclass(slots=True, eq=False)
class PendingEvent:
    """An event row to insert with the batch's bulk INSERT."""

    values: dict[str, Any]
    delivery: DeliveryRow | None
    id: int | None = None
    _record: EventRecord | None = None

    def record(self) -> EventRecord:
        """The frozen record (after the insert assigned the id); built once."""
        if self._record is None:
            v = self.values
            assert self.id is not None, "the event has not been written yet"
            self._record = EventRecord(
                id=self.id,
                delivery_id=self.delivery.id if self.delivery is not None else None,
                message_sid=v["message_sid"],
                source=EventSource(v["source"]),
                status=v["status"],
                applied=v["applied"],
                error_code=v["error_code"],
                error_message=v["error_message"],
                payload=v["payload"],
                signature=Verdict(v["signature"]) if v["signature"] else None,
                received_at=v["received_at"],
            )
        return self._record


def write_events(
    conn: Connection, events: Sequence[PendingEvent], fast: Writers | None = None
) -> None:
    """Insert the events not yet written (their deliveries must have ids by now)."""
    todo = [e for e in events if e.id is None]
    if todo:
        rows = []
        for e in todo:
            values = e.values
            values["delivery_id"] = e.delivery.id if e.delivery is not None else None
            rows.append(values)
        ids = (
            fast[EVENTS].insert(conn, rows)
            if fast is not None
            else insert_ids(conn, _INSERT_EVENT, rows)
        )
        for pending, new_id in zip(todo, ids, strict=True):
            pending.id = new_id


def _headers_json(headers: tuple[tuple[str, str], ...]) -> str:
    """The headers as a JSON list of [name, value] pairs (what request_record reads back)."""
    return json.dumps(headers)  # tuples encode as JSON arrays, as lists would


@dataclass(slots=True, eq=False)
class PendingRequest:
    """A webhook-log row to insert with the batch's bulk INSERT."""

    request: WebhookRequestIn
    id: int | None = None
    _record: WebhookRequestRecord | None = None

    def values(self) -> dict[str, Any]:
        """The column values of the row."""
        r = self.request
        return {
            "method": r.method,
            "path": r.path,
            "query": r.query,
            "headers": _headers_json(r.headers),
            "body": r.body,
            "remote": r.remote,
            "status_code": r.status_code,
            "verdict": r.verdict.value if r.verdict else None,
            "diagnosis": r.diagnosis,
            "checked_url": r.checked_url,
            "response_body": r.response_body,
            "duration_ms": r.duration_ms,
            "received_at": r.received_at,
        }

    def record(self) -> WebhookRequestRecord:
        """The frozen record (after the insert assigned the id); built once."""
        if self._record is None:
            assert self.id is not None, "the request has not been written yet"
            r = self.request
            self._record = WebhookRequestRecord(
                id=self.id,
                method=r.method,
                path=r.path,
                query=r.query,
                headers=r.headers,
                body=r.body,
                remote=r.remote,
                status_code=r.status_code,
                verdict=r.verdict,
                diagnosis=r.diagnosis,
                checked_url=r.checked_url,
                response_body=r.response_body,
                duration_ms=r.duration_ms,
                received_at=r.received_at,
            )
        return self._record


def write_requests(
    conn: Connection, requests: Sequence[PendingRequest], fast: Writers | None = None
) -> None:
    """Insert the request-log rows not yet written."""
    todo = [r for r in requests if r.id is None]
    if todo:
        rows = [r.values() for r in todo]
        ids = (
            fast[REQUESTS].insert(conn, rows)
            if fast is not None
            else insert_ids(conn, _INSERT_REQUEST, rows)
        )
        for pending, new_id in zip(todo, ids, strict=True):
            pending.id = new_id
