"""The write operations, as plain functions on a Session. Only the writer's thread calls them.

Each operation notes what it touched in a :class:`Touched` collector; the writer turns that into
one :class:`~console.domain.model.StoreChange` per committed batch.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from console.domain import status as st
from console.domain.model import (
    EventIn,
    EventRecord,
    EventSource,
    InboundIn,
    NewDelivery,
    SendState,
    Verdict,
    WebhookRequestIn,
    WebhookRequestRecord,
    utcnow,
)
from console.store.models import (
    Base,
    Delivery,
    DeliveryEvent,
    InboundMessage,
    OptOut,
    WebhookRequest,
)


@dataclass
class Cache:
    """Per-batch lookups, prefetched in bulk so that each operation needs no query of its own.

    ``by_sid`` maps a SID to its delivery, or to None when the database has none; ``keys`` holds
    the dedup keys known to exist (in the database or added by this batch); ``checked`` the keys
    whose absence from the database was established by the prefetch.
    """

    by_sid: dict[str, Delivery | None] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)


# Plain Core INSERTs, one multi-row statement per batch. RETURNING's row order is not promised,
# but the ids themselves are assigned in VALUES order (SQLite rowids, PostgreSQL sequences), so
# the sorted ids line up with the rows as given.
_EVENTS = Base.metadata.tables[DeliveryEvent.__tablename__]
_REQUESTS = Base.metadata.tables[WebhookRequest.__tablename__]
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_INSERT_REQUEST = insert(_REQUESTS).returning(_REQUESTS.c.id)


def _insert_ids(s: Session, stmt: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` in one go and return their ids in the order of ``rows``."""
    return sorted(s.connection().execute(stmt, rows).scalars().all())


@dataclass(slots=True)
class PendingEvent:
    """An event row to insert with the batch's bulk INSERT (cheaper than an ORM object)."""

    values: dict[str, Any]
    delivery: Delivery | None
    id: int | None = None

    def record(self) -> EventRecord:
        """The frozen record (after the insert assigned the id)."""
        v = self.values
        assert self.id is not None, "the event has not been written yet"
        return EventRecord(
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


@dataclass(slots=True)
class PendingRequest:
    """A webhook-log row to insert with the batch's bulk INSERT."""

    request: WebhookRequestIn
    id: int | None = None

    def values(self) -> dict[str, Any]:
        """The column values of the row."""
        r = self.request
        return {
            "method": r.method,
            "path": r.path,
            "query": r.query,
            "headers": json.dumps([list(h) for h in r.headers]),
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
        """The frozen record (after the insert assigned the id)."""
        assert self.id is not None, "the request has not been written yet"
        r = self.request
        return WebhookRequestRecord(
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


@dataclass
class Touched:
    """What a batch of operations changed (rows are converted to records after the flush).

    ``deliveries`` is keyed by Python object identity so that rows need no flush to get an id.
    """

    deliveries: dict[int, Delivery] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)
    events: list[PendingEvent] = field(default_factory=list)
    inbound: list[InboundMessage] = field(default_factory=list)
    opt_outs: dict[str, OptOut] = field(default_factory=dict)
    requests: list[PendingRequest] = field(default_factory=list)
    cache: Cache = field(default_factory=Cache)

    def write_pending(self, s: Session) -> None:
        """Flush the ORM rows, then bulk-insert the pending events and requests (once each)."""
        s.flush()
        events = [e for e in self.events if e.id is None]
        if events:
            rows = [
                {**e.values, "delivery_id": e.delivery.id if e.delivery else None} for e in events
            ]
            ids = _insert_ids(s, _INSERT_EVENT, rows)
            for pending, new_id in zip(events, ids, strict=True):
                pending.id = new_id
        requests = [r for r in self.requests if r.id is None]
        if requests:
            ids = _insert_ids(s, _INSERT_REQUEST, [r.values() for r in requests])
            for pending_request, new_id in zip(requests, ids, strict=True):
                pending_request.id = new_id

    def touch(self, row: Delivery) -> None:
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


def prefetch(s: Session, cache: Cache, events: list[EventIn]) -> None:
    """Load, in a few queries, the deliveries and dedup keys a batch of events will look up."""
    sids = sorted({ev.message_sid for ev in events if ev.message_sid} - cache.by_sid.keys())
    keys = sorted({dedup_key(ev) for ev in events} - cache.keys - cache.checked)
    for start in range(0, len(sids), 500):
        chunk = sids[start : start + 500]
        for sid in chunk:
            cache.by_sid[sid] = None
        for row in s.scalars(select(Delivery).where(Delivery.sid.in_(chunk))):
            assert row.sid is not None
            cache.by_sid[row.sid] = row
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        cache.checked.update(chunk)
        cache.keys.update(
            s.scalars(select(DeliveryEvent.dedup_key).where(DeliveryEvent.dedup_key.in_(chunk)))
        )


def _by_sid(s: Session, cache: Cache, sid: str) -> Delivery | None:
    if sid not in cache.by_sid:
        cache.by_sid[sid] = s.scalars(select(Delivery).where(Delivery.sid == sid)).first()
    return cache.by_sid[sid]


def _seen(s: Session, cache: Cache, key: str) -> bool:
    if key in cache.keys:
        return True
    if key in cache.checked:
        return False
    cache.checked.add(key)
    found = s.scalars(select(DeliveryEvent.id).where(DeliveryEvent.dedup_key == key)).first()
    if found is not None:
        cache.keys.add(key)
    return found is not None


@dataclass(frozen=True, slots=True)
class EventResult:
    """What recording one event did: the rows are converted by the writer after the flush."""

    event: PendingEvent | None
    delivery: Delivery | None
    duplicate: bool


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


def add_delivery(s: Session, touched: Touched, new: NewDelivery) -> Delivery:
    """Record an outbound message before anything is sent (its id is set at the next flush)."""
    now = utcnow()
    status = st.Status.REJECTED if new.send_state is SendState.REJECTED else st.Status.PENDING
    row = Delivery(
        sid=None,
        to_number=new.to,
        from_number=new.from_,
        messaging_service_sid=new.messaging_service_sid,
        body=new.body,
        profile=new.profile,
        account_sid=new.account_sid,
        segments=new.segments,
        encoding=new.encoding,
        status=status.value,
        status_rank=st.rank(status),
        send_state=new.send_state.value,
        batch_id=new.batch_id,
        created_at=now,
        updated_at=now,
        final_at=now if st.is_final(status) else None,
    )
    s.add(row)
    touched.touch(row)
    return row


def _external_delivery(s: Session, cache: Cache, ev: EventIn) -> Delivery:
    """A delivery for a SID the console did not send (another tool, or not yet recorded)."""
    now = utcnow()
    row = Delivery(
        sid=ev.message_sid,
        to_number=ev.to or "",
        from_number=ev.from_,
        messaging_service_sid=ev.messaging_service_sid,
        body=ev.body,
        profile="",
        account_sid=ev.account_sid,
        segments=ev.segments or 0,
        encoding="",
        status=st.Status.PENDING.value,
        status_rank=st.rank(st.Status.PENDING),
        send_state=SendState.EXTERNAL.value,
        created_at=ev.received_at,
        updated_at=now,
    )
    s.add(row)
    assert ev.message_sid is not None
    cache.by_sid[ev.message_sid] = row
    return row


def _apply(row: Delivery, status: st.Status | None, ev: EventIn, now: datetime) -> None:
    """Apply one observation to the delivery's derived fields (forward-only)."""
    if status is not None:
        current = st.Status(row.status)
        new = st.advance(current, status)
        if new is not current:
            row.status = new.value
            row.status_rank = st.rank(new)
            if st.is_final(new) and row.final_at is None:
                row.final_at = ev.received_at
        if (
            new is status
            and ev.error_code
            and (new is not current or row.error_code is None or ev.error_code > row.error_code)
        ):
            row.error_code = ev.error_code
            row.error_message = ev.error_message
    for attr, value in (
        ("price", ev.price),
        ("price_unit", ev.price_unit),
        ("from_number", ev.from_),
        ("messaging_service_sid", ev.messaging_service_sid),
        ("account_sid", ev.account_sid),
        ("body", ev.body),
    ):
        if value and not getattr(row, attr):
            setattr(row, attr, value)
    if ev.segments and not row.segments:
        row.segments = ev.segments
    if not row.to_number and ev.to:
        row.to_number = ev.to
    row.updated_at = now


def record_event(s: Session, touched: Touched, ev: EventIn) -> EventResult:
    """Append an observation (once) and advance its delivery's status."""
    now = utcnow()
    cache = touched.cache
    row: Delivery | None = None
    if ev.delivery_id is not None:
        row = s.get(Delivery, ev.delivery_id)
    elif ev.message_sid:
        row = _by_sid(s, cache, ev.message_sid)
        if row is None:
            row = _external_delivery(s, cache, ev)
    key = dedup_key(ev)
    if _seen(s, cache, key):
        if row is not None and (ev.price and not row.price):
            _apply(row, None, ev, now)
            touched.touch(row)
        return EventResult(event=None, delivery=row, duplicate=True)
    cache.keys.add(key)
    status = st.parse(ev.status)
    event = PendingEvent(
        {
            "message_sid": ev.message_sid or (row.sid if row is not None else None),
            "source": ev.source.value,
            "status": ev.status,
            "applied": status is not None,
            "error_code": ev.error_code,
            "error_message": ev.error_message,
            "payload": ev.payload,
            "signature": ev.signature.value if ev.signature else None,
            "dedup_key": key,
            "received_at": ev.received_at,
        },
        row,
    )
    if row is not None:
        _apply(row, status, ev, now)
        touched.touch(row)
    touched.events.append(event)
    return EventResult(event=event, delivery=row, duplicate=False)


def transition(
    s: Session,
    touched: Touched,
    delivery_id: int,
    state: SendState,
    *,
    sid: str | None = None,
    event: EventIn | None = None,
) -> Delivery:
    """Move a delivery along the send pipeline, optionally with the event that caused it.

    Giving a SID adopts any events (and the stand-in delivery) recorded for it before the
    create() response was recorded: a callback can beat the API answer.
    """
    row = s.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(f"no delivery with id {delivery_id}")
    row.send_state = state.value
    row.updated_at = utcnow()
    touched.touch(row)
    if sid and row.sid != sid:
        _adopt(s, touched, row, sid)
    if event is not None:
        record_event(s, touched, _with_delivery(event, row.id))
    return row


def _with_delivery(ev: EventIn, delivery_id: int) -> EventIn:
    from dataclasses import replace

    return replace(ev, delivery_id=delivery_id)


def _adopt(s: Session, touched: Touched, row: Delivery, sid: str) -> None:
    """Give ``row`` its SID and take over everything recorded earlier under that SID."""
    touched.write_pending(s)  # the bulk UPDATEs below must see this batch's rows
    stand_in = _by_sid(s, touched.cache, sid)
    if stand_in is not None and stand_in is not row:
        s.execute(
            update(DeliveryEvent)
            .where(DeliveryEvent.delivery_id == stand_in.id)
            .values(delivery_id=row.id)
        )
        for pending in touched.events:
            if pending.delivery is stand_in:
                pending.delivery = row
        touched.removed.add(stand_in.id)
        touched.deliveries.pop(id(stand_in), None)
        s.delete(stand_in)
        s.flush()
    row.sid = sid
    touched.cache.by_sid[sid] = row
    s.execute(
        update(DeliveryEvent)
        .where(DeliveryEvent.message_sid == sid, DeliveryEvent.delivery_id.is_(None))
        .values(delivery_id=row.id)
    )
    for ev_row in s.scalars(
        select(DeliveryEvent).where(DeliveryEvent.delivery_id == row.id).order_by(DeliveryEvent.id)
    ):
        ev_row.message_sid = ev_row.message_sid or sid
        _apply(
            row,
            st.parse(ev_row.status),
            EventIn(
                source=EventSource(ev_row.source),
                status=ev_row.status,
                error_code=ev_row.error_code,
                error_message=ev_row.error_message,
                received_at=ev_row.received_at,
            ),
            utcnow(),
        )


def record_inbound(
    s: Session, touched: Touched, msg: InboundIn, opt_out: bool | None, keyword: str | None
) -> InboundMessage | None:
    """Store an inbound SMS once; apply an opt-out (True) or opt-in (False) when given."""
    existing = s.scalars(
        select(InboundMessage).where(InboundMessage.message_sid == msg.message_sid)
    ).first()
    if existing is not None:
        return None
    row = InboundMessage(
        message_sid=msg.message_sid,
        from_number=msg.from_,
        to_number=msg.to,
        body=msg.body,
        account_sid=msg.account_sid,
        messaging_service_sid=msg.messaging_service_sid,
        num_media=msg.num_media,
        media_urls=json.dumps(list(msg.media_urls)),
        opt_out_type=msg.opt_out_type,
        payload=msg.payload,
        signature=msg.signature.value if msg.signature else None,
        received_at=msg.received_at,
    )
    s.add(row)
    if opt_out is not None:
        set_opt_out(s, touched, msg.from_, opt_out, keyword or "", msg.message_sid)
    touched.inbound.append(row)
    return row


def set_opt_out(
    s: Session, touched: Touched, number: str, opted_out: bool, keyword: str, sid: str | None
) -> OptOut:
    """Record that ``number`` opted out (STOP) or back in (START)."""
    row = s.get(OptOut, number)
    if row is None:
        row = OptOut(number=number)
        s.add(row)
    row.opted_out = opted_out
    row.keyword = keyword
    row.message_sid = sid
    row.updated_at = utcnow()
    touched.opt_outs[number] = row
    return row


def log_request(s: Session, touched: Touched, req: WebhookRequestIn) -> PendingRequest:
    """Append a webhook request to the inspector's log (pruned by :func:`prune_requests`)."""
    pending = PendingRequest(req)
    touched.requests.append(pending)
    return pending


def prune_requests(s: Session, touched: Touched, retention: int) -> None:
    """After a flush: keep only the newest ``retention`` webhook requests (checked every 256)."""
    ids = [r.id for r in touched.requests if r.id is not None]
    if ids and max(ids) // 256 != (min(ids) - 1) // 256:
        s.execute(delete(WebhookRequest).where(WebhookRequest.id <= max(ids) - retention))


def count_requests(s: Session) -> int:
    """How many webhook requests are kept (for retention tests and the inspector)."""
    return int(s.scalar(select(func.count()).select_from(WebhookRequest)) or 0)
