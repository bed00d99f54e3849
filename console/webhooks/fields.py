"""Twilio webhook parameters → the records the store appends (pure, no I/O).

A validly signed request that lacks what its endpoint needs raises :class:`BadCallback` (answered
400 so the sender sees the mistake). Unknown statuses are not an error: they are kept as events
and never applied. Everything Twilio sent is kept verbatim as the event's JSON payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime

from console.domain.model import EventIn, EventSource, InboundIn, Verdict
from console.domain.optout import OptChange, classify

MAX_SID = 64
MAX_STATUS = 32
MAX_MEDIA = 10
_TOKEN = re.compile(r"[^\s\x00-\x1f\x7f-\x9f]+")  # printable, no whitespace


class BadCallback(ValueError):
    """A signed request without the fields its endpoint needs (answered 400)."""


_PAYLOAD_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def payload_json(params: Mapping[str, str]) -> str:
    """All parameters as JSON (a name sent more than once keeps every value, as a list)."""
    plain = dict(params)
    if len(plain) == len(params):  # no repeated names (the usual case): one value per name
        return _PAYLOAD_ENCODER.encode(plain)
    out: dict[str, str | list[str]] = {}
    getall = getattr(params, "getall", None)
    for key in params:
        if key in out:
            continue
        values = list(getall(key)) if getall is not None else [params[key]]
        out[key] = values[0] if len(values) == 1 else values
    return _PAYLOAD_ENCODER.encode(out)


def _text(params: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = params.get(name, "").strip()
        if value:
            return value
    return ""


def _identifier(params: Mapping[str, str], label: str, *names: str, limit: int) -> str:
    value = _text(params, *names)
    if not value:
        raise BadCallback(f"{label} is missing")
    if len(value) > limit or not _TOKEN.fullmatch(value):
        raise BadCallback(f"{label} is not a plausible value ({len(value)} characters)")
    return value


def _bounded(params: Mapping[str, str], name: str, *, limit: int = MAX_SID) -> str:
    """An optional text field ("" when absent) that must fit its column (numbers, SIDs)."""
    value = _text(params, name)
    if len(value) > limit:
        raise BadCallback(f"{name} is not a plausible value ({len(value)} characters)")
    return value


def _int(value: str) -> int | None:
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 9:
        return int(value)
    return None


def status_event(
    params: Mapping[str, str], *, source: EventSource, verdict: Verdict, received_at: datetime
) -> EventIn:
    """The ledger event of a status callback."""
    sid = _identifier(params, "MessageSid", "MessageSid", "SmsSid", limit=MAX_SID)
    status = _identifier(params, "MessageStatus", "MessageStatus", "SmsStatus", limit=MAX_STATUS)
    return EventIn(
        source=source,
        status=status,
        message_sid=sid,
        error_code=_int(params.get("ErrorCode", "")),
        error_message=_text(params, "ErrorMessage") or None,
        payload=payload_json(params),
        signature=verdict,
        received_at=received_at,
        to=_bounded(params, "To") or None,
        from_=_bounded(params, "From") or None,
        messaging_service_sid=_bounded(params, "MessagingServiceSid") or None,
        account_sid=_bounded(params, "AccountSid") or None,
        segments=_int(params.get("NumSegments", "")),
    )


def inbound_message(
    params: Mapping[str, str], *, verdict: Verdict, received_at: datetime
) -> tuple[InboundIn, OptChange | None]:
    """The inbound message of an inbound webhook, and the opt-out change it asks for."""
    sid = _identifier(params, "MessageSid", "MessageSid", "SmsMessageSid", "SmsSid", limit=MAX_SID)
    sender = _identifier(params, "From", "From", limit=MAX_SID)
    body = params.get("Body", "")
    num_media = _int(params.get("NumMedia", "")) or 0
    media = tuple(
        url for i in range(min(num_media, MAX_MEDIA)) if (url := _text(params, f"MediaUrl{i}"))
    )
    opt_out_type = _text(params, "OptOutType") or None
    message = InboundIn(
        message_sid=sid,
        from_=sender,
        to=_bounded(params, "To"),
        body=body,
        account_sid=_bounded(params, "AccountSid") or None,
        messaging_service_sid=_bounded(params, "MessagingServiceSid") or None,
        num_media=num_media,
        media_urls=media,
        num_segments=_int(params.get("NumSegments", "")),
        opt_out_type=opt_out_type[:16] if opt_out_type else None,
        payload=payload_json(params),
        signature=verdict,
        received_at=received_at,
    )
    return message, classify(body, opt_out_type)
