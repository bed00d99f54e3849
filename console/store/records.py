"""Conversions from ORM rows to the frozen records of :mod:`console.domain.model`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from console.domain.model import (
    DeliveryRecord,
    EventRecord,
    EventSource,
    InboundRecord,
    OptOutRecord,
    SendState,
    Verdict,
    WebhookRequestRecord,
)
from console.store.models import (
    Delivery,
    DeliveryEvent,
    InboundMessage,
    OptOut,
    WebhookRequest,
)

if TYPE_CHECKING:
    from console.store.pending import DeliveryRow


def delivery_record(row: Delivery | DeliveryRow) -> DeliveryRecord:
    """The frozen record of a delivery row (an ORM row, or the writer's batch row)."""
    assert row.id is not None, "the delivery has not been written yet"
    return DeliveryRecord(
        id=row.id,
        sid=row.sid,
        to=row.to_number,
        from_=row.from_number,
        messaging_service_sid=row.messaging_service_sid,
        body=row.body,
        profile=row.profile,
        account_sid=row.account_sid,
        segments=row.segments,
        encoding=row.encoding,
        status=row.status,
        status_rank=row.status_rank,
        send_state=SendState(row.send_state),
        error_code=row.error_code,
        error_message=row.error_message,
        price=row.price,
        price_unit=row.price_unit,
        batch_id=row.batch_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        final_at=row.final_at,
    )


def event_record(row: DeliveryEvent) -> EventRecord:
    """The frozen record of an event row."""
    return EventRecord(
        id=row.id,
        delivery_id=row.delivery_id,
        message_sid=row.message_sid,
        source=EventSource(row.source),
        status=row.status,
        applied=row.applied,
        error_code=row.error_code,
        error_message=row.error_message,
        payload=row.payload,
        signature=Verdict(row.signature) if row.signature else None,
        received_at=row.received_at,
    )


def inbound_record(row: InboundMessage) -> InboundRecord:
    """The frozen record of an inbound message row."""
    return InboundRecord(
        id=row.id,
        message_sid=row.message_sid,
        from_=row.from_number,
        to=row.to_number,
        body=row.body,
        account_sid=row.account_sid,
        messaging_service_sid=row.messaging_service_sid,
        num_media=row.num_media,
        media_urls=tuple(json.loads(row.media_urls)),
        opt_out_type=row.opt_out_type,
        received_at=row.received_at,
    )


def opt_out_record(row: OptOut) -> OptOutRecord:
    """The frozen record of an opt-out row."""
    return OptOutRecord(
        number=row.number,
        opted_out=row.opted_out,
        keyword=row.keyword,
        message_sid=row.message_sid,
        updated_at=row.updated_at,
    )


def request_record(row: WebhookRequest) -> WebhookRequestRecord:
    """The frozen record of a webhook request row."""
    return WebhookRequestRecord(
        id=row.id,
        method=row.method,
        path=row.path,
        query=row.query,
        headers=tuple((str(k), str(v)) for k, v in json.loads(row.headers)),
        body=row.body,
        remote=row.remote,
        status_code=row.status_code,
        verdict=Verdict(row.verdict) if row.verdict else None,
        diagnosis=row.diagnosis,
        checked_url=row.checked_url,
        response_body=row.response_body,
        duration_ms=row.duration_ms,
        received_at=row.received_at,
    )
