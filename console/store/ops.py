"""The write operations, as plain functions on a Session. Only the writer's thread calls them.

Each operation notes what it touched in a :class:`~console.store.batch.Touched` collector; the
writer writes that with Core and turns it into one :class:`~console.domain.model.StoreChange` per
committed batch. Deliveries are :class:`~console.store.pending.DeliveryRow` values, not ORM
objects; inbound messages and opt-outs (rare) stay ORM rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from console.domain import status as st
from console.domain.model import (
    EventIn,
    EventSource,
    InboundIn,
    NewDelivery,
    SendState,
    WebhookRequestIn,
    utcnow,
)
from console.store.batch import Cache, Touched, by_id, by_sid, dedup_key, seen
from console.store.models import InboundMessage, OptOut, WebhookRequest
from console.store.pending import (
    DELIVERIES,
    EVENTS,
    REQUESTS,
    DeliveryRow,
    PendingEvent,
    PendingRequest,
)

__all__ = ["Cache", "EventResult", "Touched", "dedup_key"]


@dataclass(frozen=True, slots=True)
class EventResult:
    """What recording one event did: the rows are converted by the writer after the write."""

    event: PendingEvent | None
    delivery: DeliveryRow | None
    duplicate: bool


def add_delivery(s: Session, touched: Touched, new: NewDelivery) -> DeliveryRow:
    """Record an outbound message before anything is sent (its id is set at the next write)."""
    now = utcnow()
    status = st.Status.REJECTED if new.send_state is SendState.REJECTED else st.Status.PENDING
    row = DeliveryRow(
        id=None,
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
        error_code=None,
        error_message=None,
        price=None,
        price_unit=None,
        batch_id=new.batch_id,
        created_at=now,
        updated_at=now,
        final_at=now if st.is_final(status) else None,
    )
    touched.touch(row)
    return row


_PENDING_RANK = st.rank(st.Status.PENDING)


def _external_delivery(cache: Cache, ev: EventIn, now: datetime) -> DeliveryRow:
    """A delivery for a SID the console did not send (another tool, or not yet recorded)."""
    assert ev.message_sid is not None
    row = DeliveryRow(
        id=None,
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
        status_rank=_PENDING_RANK,
        send_state=SendState.EXTERNAL.value,
        error_code=None,
        error_message=None,
        price=None,
        price_unit=None,
        batch_id=None,
        created_at=ev.received_at,
        updated_at=now,
        final_at=None,
    )
    cache.by_sid[ev.message_sid] = row
    return row


_FILLED = ("price", "price_unit", "from_number", "messaging_service_sid", "account_sid", "body")


def _apply(row: DeliveryRow, status: st.Status | None, ev: EventIn, now: datetime) -> None:
    """Apply one observation to the delivery's derived fields (forward-only)."""
    if status is not None:
        current = st.Status(row.status)
        new = st.advance(current, status)
        if new is not current:
            row.set("status", new.value)
            row.set("status_rank", st.rank(new))
            if st.is_final(new) and row.final_at is None:
                row.set("final_at", ev.received_at)
        if (
            new is status
            and ev.error_code
            and (new is not current or row.error_code is None or ev.error_code > row.error_code)
        ):
            row.set("error_code", ev.error_code)
            row.set("error_message", ev.error_message)
    for attr, value in zip(
        _FILLED,
        (ev.price, ev.price_unit, ev.from_, ev.messaging_service_sid, ev.account_sid, ev.body),
        strict=True,
    ):
        if value and not getattr(row, attr):
            row.set(attr, value)
    if ev.segments and not row.segments:
        row.set("segments", ev.segments)
    if not row.to_number and ev.to:
        row.set("to_number", ev.to)
    row.set("updated_at", now)


def record_event(s: Session, touched: Touched, ev: EventIn) -> EventResult:
    """Append an observation (once) and advance its delivery's status."""
    now = utcnow()
    cache = touched.cache
    conn = touched.connection(s)
    row: DeliveryRow | None = None
    if ev.delivery_id is not None:
        row = by_id(conn, cache, ev.delivery_id)
    elif ev.message_sid:
        row = by_sid(conn, cache, ev.message_sid)
        if row is None:
            row = _external_delivery(cache, ev, now)
            touched.touch(row)
    key = cache.dedup_key(ev)
    if seen(conn, cache, key):
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
) -> DeliveryRow:
    """Move a delivery along the send pipeline, optionally with the event that caused it.

    Giving a SID adopts any events (and the stand-in delivery) recorded for it before the
    create() response was recorded: a callback can beat the API answer.
    """
    row = by_id(touched.connection(s), touched.cache, delivery_id)
    if row is None:
        raise LookupError(f"no delivery with id {delivery_id}")
    row.set("send_state", state.value)
    row.set("updated_at", utcnow())
    touched.touch(row)
    if sid and row.sid != sid:
        _adopt(s, touched, row, sid)
    if event is not None:
        record_event(s, touched, replace(event, delivery_id=row.id))
    return row


def _adopt(s: Session, touched: Touched, row: DeliveryRow, sid: str) -> None:
    """Give ``row`` its SID and take over everything recorded earlier under that SID."""
    touched.write_pending(s)  # the bulk UPDATEs below must see this batch's rows
    conn = touched.connection(s)
    stand_in = by_sid(conn, touched.cache, sid)
    if stand_in is not None and stand_in is not row:
        assert stand_in.id is not None
        conn.execute(
            update(EVENTS).where(EVENTS.c.delivery_id == stand_in.id).values(delivery_id=row.id)
        )
        for pending in touched.events:
            if pending.delivery is stand_in:
                pending.delivery = row
        touched.removed.add(stand_in.id)
        touched.merged[id(stand_in)] = (stand_in, row)
        touched.deliveries.pop(id(stand_in), None)
        touched.cache.forget(stand_in)
        conn.execute(delete(DELIVERIES).where(DELIVERIES.c.id == stand_in.id))
    row.set("sid", sid)
    touched.cache.add(row)
    conn.execute(
        update(EVENTS)
        .where(EVENTS.c.message_sid == sid, EVENTS.c.delivery_id.is_(None))
        .values(delivery_id=row.id)
    )
    conn.execute(
        update(EVENTS)
        .where(EVENTS.c.delivery_id == row.id, EVENTS.c.message_sid.is_(None))
        .values(message_sid=sid)
    )
    for pending in touched.events:
        if pending.delivery is row and pending.values["message_sid"] is None:
            pending.values["message_sid"] = sid
    history = conn.execute(
        select(
            EVENTS.c.source,
            EVENTS.c.status,
            EVENTS.c.error_code,
            EVENTS.c.error_message,
            EVENTS.c.received_at,
        )
        .where(EVENTS.c.delivery_id == row.id)
        .order_by(EVENTS.c.id)
    )
    for source, status, error_code, error_message, received_at in history:
        _apply(
            row,
            st.parse(status),
            EventIn(
                source=EventSource(source),
                status=status,
                error_code=error_code,
                error_message=error_message,
                received_at=received_at,
            ),
            utcnow(),
        )


def record_inbound(
    s: Session, touched: Touched, msg: InboundIn, opt_out: bool | None, keyword: str | None
) -> InboundMessage | None:
    """Store an inbound SMS once; apply an opt-out (True) or opt-in (False) when given."""
    if any(r.message_sid == msg.message_sid for r in touched.inbound):
        return None  # a repeat within this batch (not flushed yet, so the query cannot see it)
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


_PRUNE = delete(REQUESTS).where(REQUESTS.c.id <= bindparam("last"))  # built once


def prune_requests(s: Session, touched: Touched, retention: int) -> None:
    """After a flush: keep only the newest ``retention`` webhook requests (checked every 256)."""
    ids = [r.id for r in touched.requests if r.id is not None]
    if ids and max(ids) // 256 != (min(ids) - 1) // 256:
        touched.connection(s).execute(_PRUNE, {"last": max(ids) - retention})


def count_requests(s: Session) -> int:
    """How many webhook requests are kept (for retention tests and the inspector)."""
    return int(s.scalar(select(func.count()).select_from(WebhookRequest)) or 0)
