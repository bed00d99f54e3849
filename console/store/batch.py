"""The state of one write batch: lookups prefetched in bulk, and what the operations touched.

Operations look deliveries up in a per-batch :class:`Cache` (filled by :func:`prefetch` with a
few ``IN (...)`` queries) and note what they changed in a :class:`Touched` collector, which
writes the batch's rows with Core and becomes one :class:`~console.domain.model.StoreChange`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from console.domain.model import EventIn, EventSource
from console.store.models import InboundMessage, OptOut
from console.store.pending import (
    CHUNK,
    DELIVERIES,
    EVENTS,
    SELECT_DELIVERY,
    DeliveryRow,
    PendingEvent,
    PendingRequest,
    load_by_ids,
    load_deliveries,
    write_deliveries,
    write_events,
    write_requests,
)
from console.store.rawsql import Writers

# Built once: a statement rebuilt per batch costs more in SQLAlchemy than the query itself.
_BY_SIDS = SELECT_DELIVERY.where(DELIVERIES.c.sid.in_(bindparam("sids", expanding=True)))
_KNOWN_KEYS = select(EVENTS.c.dedup_key).where(
    EVENTS.c.dedup_key.in_(bindparam("keys", expanding=True))
)
_KEY_EXISTS = select(EVENTS.c.id).where(EVENTS.c.dedup_key == bindparam("key"))

_SOURCE_CLASS = {
    EventSource.CALLBACK: "cb",
    EventSource.SIMULATOR: "cb",
    EventSource.API: "api",
    EventSource.POLL: "poll",
    EventSource.CONSOLE: "console",
}


def dedup_key(ev: EventIn) -> str:
    """Events with the same key are one observation (a repeated callback, an unchanged poll)."""
    target = ev.message_sid or f"id:{ev.delivery_id}"
    raw = f"{target}|{_SOURCE_CLASS[ev.source]}|{ev.status}|{ev.error_code or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass
class Cache:
    """Per-batch lookups, so that each operation needs no query of its own.

    ``by_sid`` maps a SID to its delivery, or to None when the database has none; ``by_id`` maps
    ids to deliveries; ``keys`` holds the dedup keys known to exist (in the database or added by
    this batch); ``checked`` the keys whose absence from the database was established.
    """

    by_sid: dict[str, DeliveryRow | None] = field(default_factory=dict)
    by_id: dict[int, DeliveryRow] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)
    key_of: dict[int, str] = field(default_factory=dict)  # id(prefetched event) -> its key

    def dedup_key(self, ev: EventIn) -> str:
        """``ev``'s dedup key (computed once: prefetch already did it for the batch's events)."""
        return self.key_of.pop(id(ev), None) or dedup_key(ev)

    def add(self, row: DeliveryRow) -> None:
        """Remember a delivery by id (once it has one) and SID."""
        if row.id is not None:
            self.by_id[row.id] = row
        if row.sid is not None:
            self.by_sid[row.sid] = row

    def forget(self, row: DeliveryRow) -> None:
        """Drop a deleted delivery."""
        if row.id is not None:
            self.by_id.pop(row.id, None)
        if row.sid is not None and self.by_sid.get(row.sid) is row:
            self.by_sid[row.sid] = None


def prefetch(
    conn: Connection, cache: Cache, events: list[EventIn], fast: Writers | None = None
) -> None:
    """Load, in a few queries, the deliveries and dedup keys a batch of events will look up."""
    sids = sorted({ev.message_sid for ev in events if ev.message_sid} - cache.by_sid.keys())
    ids = sorted({ev.delivery_id for ev in events if ev.delivery_id} - cache.by_id.keys())
    for ev in events:
        cache.key_of[id(ev)] = dedup_key(ev)
    keys = sorted(set(cache.key_of.values()) - cache.keys - cache.checked)
    for start in range(0, len(sids), CHUNK):
        chunk = sids[start : start + CHUNK]
        for sid in chunk:
            cache.by_sid.setdefault(sid, None)
        found = (
            fast[DELIVERIES].select_in(conn, "sid", chunk)
            if fast is not None
            else conn.execute(_BY_SIDS, {"sids": chunk})
        )
        for values in found:
            _keep(cache, DeliveryRow(*values))
    for row in load_by_ids(conn, ids):
        _keep(cache, row)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        cache.checked.update(chunk)
        if fast is not None:
            cache.keys.update(fast[EVENTS].present(conn, "dedup_key", chunk))
        else:
            cache.keys.update(conn.execute(_KNOWN_KEYS, {"keys": chunk}).scalars())


def _keep(cache: Cache, row: DeliveryRow) -> DeliveryRow:
    """The cached object for ``row``'s id (the first one loaded wins), now cached."""
    assert row.id is not None
    known = cache.by_id.get(row.id)
    if known is not None:
        return known
    cache.add(row)
    return row


def by_sid(conn: Connection, cache: Cache, sid: str) -> DeliveryRow | None:
    """The delivery with this SID, or None."""
    if sid not in cache.by_sid:
        found = load_deliveries(conn, DELIVERIES.c.sid == sid)
        cache.by_sid[sid] = _keep(cache, found[0]) if found else None
    return cache.by_sid[sid]


def by_id(conn: Connection, cache: Cache, delivery_id: int) -> DeliveryRow | None:
    """The delivery with this id, or None."""
    row = cache.by_id.get(delivery_id)
    if row is None:
        found = load_by_ids(conn, [delivery_id])
        row = _keep(cache, found[0]) if found else None
    return row


def seen(conn: Connection, cache: Cache, key: str) -> bool:
    """Whether an event with this dedup key exists (in the database or this batch)."""
    if key in cache.keys:
        return True
    if key in cache.checked:
        return False
    cache.checked.add(key)
    found = conn.execute(_KEY_EXISTS, {"key": key}).first()
    if found is not None:
        cache.keys.add(key)
    return found is not None


def recover(conn: Connection, cache: Cache) -> Cache:
    """After a rolled-back operation: reload every cached delivery as the database has it.

    Earlier operations' results hold these same objects, so they must not keep values the
    rollback discarded; rows the rollback removed are dropped. Dedup knowledge is rebuilt lazily.
    """
    rows = {id(r): r for r in cache.by_id.values()}
    rows.update({id(r): r for r in cache.by_sid.values() if r is not None})
    fresh = {r.id: r for r in load_by_ids(conn, sorted({r.id for r in rows.values() if r.id}))}
    out = Cache()
    for row in rows.values():
        now = fresh.get(row.id) if row.id is not None else None
        if now is not None:
            row.reload(now)
            out.add(row)
    return out


@dataclass
class Touched:
    """What a batch of operations changed (rows are converted to records after the write).

    ``deliveries`` is keyed by Python object identity so that rows need no write to get an id.
    """

    deliveries: dict[int, DeliveryRow] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    events: list[PendingEvent] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    opt_outs: dict[str, OptOut] = field(default_factory=dict)
    requests: list[PendingRequest] = field(default_factory=list)
    cache: Cache = field(default_factory=Cache)
    # id(stand-in) -> (stand-in, adopter): the stand-in is kept so that its id() stays its own
    merged: dict[int, tuple[DeliveryRow, DeliveryRow]] = field(default_factory=dict)
    fast: Writers | None = None  # driver-level statements for the hot tables (SQLite)
    conn: Connection | None = None  # the session's connection, once asked for

    def connection(self, s: Session) -> Connection:
        """The batch's connection (asking the session each time costs more than most rows)."""
        if self.conn is None:
            self.conn = s.connection()
        return self.conn

    def write_pending(self, s: Session) -> None:
        """Flush the ORM rows, then write deliveries, events and requests (Core or driver)."""
        s.flush()
        conn = self.connection(s)
        for row in write_deliveries(conn, self.deliveries.values(), self.fast):
            self.cache.add(row)
        write_events(conn, self.events, self.fast)
        write_requests(conn, self.requests, self.fast)

    def touch(self, row: DeliveryRow) -> None:
        """Note that ``row`` changed."""
        self.deliveries[id(row)] = row

    def merge(self, other: Touched) -> None:
        """Add what ``other`` touched (an operation that committed its savepoint)."""
        self.deliveries.update(other.deliveries)
        self.removed |= other.removed
        self.events.extend(other.events)
        self.inbound.extend(other.inbound)
        self.opt_outs.update(other.opt_outs)
        self.requests.extend(other.requests)
        self.merged.update(other.merged)
        for stand_in in other.merged:  # adopted by ``other``: deleted, no longer a change
            self.deliveries.pop(stand_in, None)

    def current(self, row: DeliveryRow) -> DeliveryRow:
        """``row``, or the delivery it was merged into (a stand-in adopted in this batch)."""
        while id(row) in self.merged:
            row = self.merged[id(row)][1]
        return row
