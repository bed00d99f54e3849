"""Frozen records that cross layers and threads: what the store returns and the GUI displays.

ORM objects never leave the store; these immutable dataclasses do. Inputs for writes (``New…``,
``…In``) are separate from the stored records so that callers cannot forge ids or timestamps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class EventSource(StrEnum):
    """Where an observation of a delivery came from."""

    API = "api"  # a REST response (create)
    CALLBACK = "callback"  # a signed status callback
    POLL = "poll"  # a REST fetch by the reconciler
    SIMULATOR = "simulator"  # a callback from the built-in simulator (demo mode)
    CONSOLE = "console"  # the console's own verdict (refusal before calling Twilio)


class SendState(StrEnum):
    """Where an outbound message is in the console's own send pipeline."""

    QUEUED = "queued"  # in the ledger, waiting for its turn (pacing)
    SUBMITTING = "submitting"  # the create() call is in flight
    ACCEPTED = "accepted"  # Twilio answered with a SID
    UNKNOWN = "unknown"  # timeout/5xx/reset: Twilio may or may not have it; reconcile first
    REJECTED = "rejected"  # refused by the console or by Twilio; never sent
    CANCELED = "canceled"  # withdrawn before it was submitted
    EXTERNAL = "external"  # sent by another tool on the same account; seen through callbacks


class Verdict(StrEnum):
    """The outcome of webhook signature validation."""

    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"
    SKIPPED = "skipped"  # validation explicitly disabled (development setting)
    # accepted (valid, or validation disabled) but marked X-Console-Replay: a logged request the
    # console re-sent and re-signed from the webhook inspector, not a report from Twilio
    REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """An outbound message to record in the ledger before anything is sent."""

    to: str
    body: str
    from_: str | None = None
    messaging_service_sid: str | None = None
    profile: str = "default"
    account_sid: str | None = None
    segments: int = 0
    encoding: str = ""
    send_state: SendState = SendState.QUEUED
    batch_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """A delivery as stored: its derived status and the facts learned so far."""

    id: int
    sid: str | None
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str | None
    profile: str
    account_sid: str | None
    segments: int
    encoding: str
    status: str
    status_rank: int
    send_state: SendState
    error_code: int | None
    error_message: str | None
    price: str | None
    price_unit: str | None
    batch_id: str | None
    created_at: datetime
    updated_at: datetime
    final_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventIn:
    """One observation to append to the ledger.

    ``message_sid`` or ``delivery_id`` identifies the delivery; an event whose SID is not yet
    known is kept and attached when the delivery appears. The remaining optional fields let an
    event from another tool's message describe that message.
    """

    source: EventSource
    status: str
    message_sid: str | None = None
    delivery_id: int | None = None
    error_code: int | None = None
    error_message: str | None = None
    payload: str = "{}"
    signature: Verdict | None = None
    received_at: datetime = field(default_factory=utcnow)
    to: str | None = None
    from_: str | None = None
    messaging_service_sid: str | None = None
    account_sid: str | None = None
    body: str | None = None
    segments: int | None = None
    price: str | None = None
    price_unit: str | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    """A stored observation."""

    id: int
    delivery_id: int | None
    message_sid: str | None
    source: EventSource
    status: str
    applied: bool  # False when the status is unknown and was kept but not applied
    error_code: int | None
    error_message: str | None
    payload: str
    signature: Verdict | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class InboundIn:
    """An inbound SMS as received from Twilio."""

    message_sid: str
    from_: str
    to: str
    body: str
    account_sid: str | None = None
    messaging_service_sid: str | None = None
    num_media: int = 0
    media_urls: tuple[str, ...] = ()
    num_segments: int | None = None
    opt_out_type: str | None = None
    payload: str = "{}"
    signature: Verdict | None = None
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """A stored inbound SMS."""

    id: int
    message_sid: str
    from_: str
    to: str
    body: str
    account_sid: str | None
    messaging_service_sid: str | None
    num_media: int
    media_urls: tuple[str, ...]
    opt_out_type: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class OptOutRecord:
    """Whether a number has opted out (STOP) or back in (START)."""

    number: str
    opted_out: bool
    keyword: str
    message_sid: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookRequestIn:
    """One HTTP request the webhook server received, for the inspector (headers redacted)."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: str
    remote: str | None
    status_code: int
    verdict: Verdict | None
    diagnosis: str | None
    checked_url: str | None
    response_body: str
    duration_ms: float
    received_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class WebhookRequestRecord:
    """A stored webhook request."""

    id: int
    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: str
    remote: str | None
    status_code: int
    verdict: Verdict | None
    diagnosis: str | None
    checked_url: str | None
    response_body: str
    duration_ms: float
    received_at: datetime


@dataclass(frozen=True, slots=True)
class StoreChange:
    """What one committed batch changed, for listeners (the GUI bridge coalesces these)."""

    deliveries: tuple[DeliveryRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    inbound: tuple[InboundRecord, ...] = ()
    opt_outs: tuple[OptOutRecord, ...] = ()
    requests: tuple[WebhookRequestRecord, ...] = ()
    removed_deliveries: tuple[int, ...] = ()  # stand-ins merged into the console's own delivery

    def __bool__(self) -> bool:
        return bool(
            self.deliveries
            or self.events
            or self.inbound
            or self.opt_outs
            or self.requests
            or self.removed_deliveries
        )
