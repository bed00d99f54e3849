"""Plain records of Twilio REST resources, and their conversion from twilio-python instances.

The gateway hands these frozen dataclasses to everyone else; twilio-python's instance objects
never leave :mod:`console.gateway.client`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "AccountInfo",
    "Balance",
    "CallerId",
    "MessageInfo",
    "OwnedNumber",
    "ServiceInfo",
    "Verification",
    "account_info",
    "as_aware",
    "balance_info",
    "caller_id_info",
    "message_info",
    "number_info",
    "service_info",
    "verification_info",
]


@dataclass(frozen=True, slots=True)
class MessageInfo:
    """A Message resource as Twilio last described it."""

    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    status: str
    error_code: int | None
    error_message: str | None
    num_segments: int
    price: str | None
    price_unit: str | None
    date_created: datetime | None
    date_sent: datetime | None
    date_updated: datetime | None
    body: str
    account_sid: str
    direction: str = ""


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """The account the credentials belong to."""

    sid: str
    friendly_name: str
    type: str  # "Trial" | "Full"
    status: str  # "active" | "suspended" | "closed"


@dataclass(frozen=True, slots=True)
class Balance:
    """The account balance, as Twilio's decimal string (e.g. "12.34") and currency."""

    balance: str
    currency: str


@dataclass(frozen=True, slots=True)
class OwnedNumber:
    """An IncomingPhoneNumber of the account."""

    sid: str
    phone_number: str
    friendly_name: str
    sms: bool
    sms_url: str | None
    status_callback: str | None
    sms_method: str = "POST"


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A Messaging Service."""

    sid: str
    friendly_name: str
    status_callback: str | None
    inbound_request_url: str | None
    use_inbound_webhook_on_number: bool


@dataclass(frozen=True, slots=True)
class CallerId:
    """A verified caller ID (OutgoingCallerId)."""

    sid: str
    phone_number: str
    friendly_name: str


@dataclass(frozen=True, slots=True)
class Verification:
    """A started caller-ID verification: the person types ``validation_code`` when called."""

    validation_code: str
    call_sid: str
    phone_number: str
    friendly_name: str = ""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def message_info(m: Any) -> MessageInfo:
    code = m.error_code
    return MessageInfo(
        sid=_text(m.sid),
        to=_text(m.to),
        from_=_opt(m.from_),
        messaging_service_sid=_opt(m.messaging_service_sid),
        status=_text(m.status),
        error_code=int(code) if code else None,
        error_message=_opt(m.error_message),
        num_segments=_int(m.num_segments),
        price=_opt(m.price),
        price_unit=_opt(m.price_unit),
        date_created=m.date_created,
        date_sent=m.date_sent,
        date_updated=m.date_updated,
        body=_text(m.body),
        account_sid=_text(m.account_sid),
        direction=_text(m.direction),
    )


def number_info(n: Any) -> OwnedNumber:
    caps = n.capabilities if isinstance(n.capabilities, Mapping) else {}
    sms = bool(caps.get("sms", caps.get("SMS", False)))
    return OwnedNumber(
        sid=_text(n.sid),
        phone_number=_text(n.phone_number),
        friendly_name=_text(n.friendly_name),
        sms=sms,
        sms_url=_opt(n.sms_url),
        status_callback=_opt(n.status_callback),
        sms_method=_text(n.sms_method) or "POST",
    )


def service_info(s: Any) -> ServiceInfo:
    return ServiceInfo(
        sid=_text(s.sid),
        friendly_name=_text(s.friendly_name),
        status_callback=_opt(s.status_callback),
        inbound_request_url=_opt(s.inbound_request_url),
        use_inbound_webhook_on_number=bool(s.use_inbound_webhook_on_number),
    )


def as_aware(value: datetime) -> datetime:
    """``value`` with UTC assumed when it has no time zone."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def account_info(a: Any) -> AccountInfo:
    """An Account instance as a record."""
    return AccountInfo(
        sid=_text(a.sid),
        friendly_name=_text(a.friendly_name),
        type=_text(a.type),
        status=_text(a.status),
    )


def balance_info(b: Any) -> Balance:
    """A Balance instance as a record."""
    return Balance(balance=_text(b.balance), currency=_text(b.currency))


def caller_id_info(c: Any) -> CallerId:
    """An OutgoingCallerId instance as a record."""
    return CallerId(_text(c.sid), _text(c.phone_number), _text(c.friendly_name))


def verification_info(v: Any) -> Verification:
    """A ValidationRequest instance as a record."""
    return Verification(
        validation_code=_text(v.validation_code),
        call_sid=_text(v.call_sid),
        phone_number=_text(v.phone_number),
        friendly_name=_text(v.friendly_name),
    )
