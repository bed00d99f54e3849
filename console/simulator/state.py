"""The simulator's mutable world: messages, numbers, services, caller IDs, opt-outs.

Records are plain dataclasses owned by one ``SimState`` on one event loop; nothing here does I/O.
Callers outside the simulator get copies (``dataclasses.replace``), never these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from console.domain.segments import analyze
from console.simulator.config import AccountConfig, AccountType
from console.simulator.ids import new_sid, utcnow

# What one SMS segment costs in the simulated account (Twilio's US price, as a negative string).
PRICE_PER_SEGMENT = "0.00790"

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "received", "canceled", "read"})


def count_segments(body: str) -> int:
    """num_segments of a body (at least 1: a media-only message is one segment)."""
    return max(analyze(body).segments, 1)


@dataclass(slots=True)
class MessageRecord:
    """One Message resource as the REST API shows it now."""

    sid: str
    account_sid: str
    direction: str
    from_: str | None
    to: str
    body: str
    status: str
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None
    num_segments: int
    num_media: int = 0
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    price_unit: str | None = None

    @property
    def is_final(self) -> bool:
        """True once the status can no longer change."""
        return self.status in FINAL_STATUSES


@dataclass(slots=True)
class NumberRecord:
    """An IncomingPhoneNumber the account owns."""

    sid: str
    phone_number: str
    friendly_name: str
    sms: bool
    mms: bool
    voice: bool
    date_created: datetime
    date_updated: datetime
    sms_url: str | None = None
    sms_method: str = "POST"
    sms_fallback_url: str | None = None
    sms_fallback_method: str = "POST"
    status_callback: str | None = None
    status_callback_method: str = "POST"
    voice_url: str | None = None
    voice_method: str = "POST"


@dataclass(slots=True)
class ServiceRecord:
    """A Messaging Service."""

    sid: str
    friendly_name: str
    senders: list[str]
    date_created: datetime
    date_updated: datetime
    status_callback: str | None = None
    inbound_request_url: str | None = None
    inbound_method: str = "POST"
    fallback_url: str | None = None
    fallback_method: str = "POST"
    use_inbound_webhook_on_number: bool = False
    sticky_sender: bool = True
    validity_period: int = 36000


@dataclass(slots=True)
class CallerIdRecord:
    """A verified OutgoingCallerId."""

    sid: str
    phone_number: str
    friendly_name: str
    date_created: datetime
    date_updated: datetime


@dataclass(slots=True)
class PendingVerification:
    """A ValidationRequest waiting for the person to type the code."""

    phone_number: str
    friendly_name: str
    validation_code: str
    call_sid: str
    status_callback: str | None
    status_callback_method: str = "POST"


@dataclass(slots=True)
class SimState:
    """Everything the simulated account holds."""

    account_sid: str
    auth_token: str
    friendly_name: str
    type: AccountType
    balance: str
    currency: str
    api_keys: dict[str, str]
    date_created: datetime
    legacy_trial: bool = False
    messages: dict[str, MessageRecord] = field(default_factory=dict)
    numbers: dict[str, NumberRecord] = field(default_factory=dict)
    services: dict[str, ServiceRecord] = field(default_factory=dict)
    caller_ids: dict[str, CallerIdRecord] = field(default_factory=dict)
    pending: dict[str, PendingVerification] = field(default_factory=dict)
    # (recipient, owned number) pairs where the recipient replied STOP and not START since.
    opted_out: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def from_config(cls, config: AccountConfig) -> SimState:
        """Build the starting world of ``config``."""
        now = utcnow()
        state = cls(
            account_sid=config.sid,
            auth_token=config.auth_token,
            friendly_name=config.friendly_name,
            type=config.type,
            balance=config.balance,
            currency=config.currency,
            api_keys=dict(config.api_keys),
            date_created=now,
            legacy_trial=config.legacy_trial,
        )
        for n in config.numbers:
            record = NumberRecord(
                sid=n.sid or new_sid("PN"),
                phone_number=n.phone_number,
                friendly_name=n.friendly_name or n.phone_number,
                sms=n.sms,
                mms=n.mms,
                voice=n.voice,
                date_created=now,
                date_updated=now,
                sms_url=n.sms_url,
            )
            state.numbers[record.sid] = record
        for s in config.services:
            service = ServiceRecord(
                sid=s.sid or new_sid("MG"),
                friendly_name=s.friendly_name,
                senders=list(s.senders),
                date_created=now,
                date_updated=now,
                status_callback=s.status_callback,
                inbound_request_url=s.inbound_request_url,
                use_inbound_webhook_on_number=s.use_inbound_webhook_on_number,
            )
            state.services[service.sid] = service
        for phone in config.verified_numbers:
            state.add_caller_id(phone, phone)
        return state

    def number(self, phone_number: str) -> NumberRecord | None:
        """The owned number ``phone_number``, if any."""
        return next((n for n in self.numbers.values() if n.phone_number == phone_number), None)

    def service_of(self, phone_number: str) -> ServiceRecord | None:
        """The Messaging Service whose sender pool holds ``phone_number``, if any."""
        return next((s for s in self.services.values() if phone_number in s.senders), None)

    def caller_id(self, phone_number: str) -> CallerIdRecord | None:
        """The verified caller ID for ``phone_number``, if any."""
        return next((c for c in self.caller_ids.values() if c.phone_number == phone_number), None)

    def add_caller_id(self, phone_number: str, friendly_name: str) -> CallerIdRecord:
        """Verify ``phone_number`` (idempotent) and return its caller ID."""
        existing = self.caller_id(phone_number)
        if existing is not None:
            return existing
        now = utcnow()
        record = CallerIdRecord(new_sid("PN"), phone_number, friendly_name, now, now)
        self.caller_ids[record.sid] = record
        return record

    def charge(self, amount: str) -> None:
        """Add a (negative) price to the balance, to the cent-fraction Twilio shows."""
        total = Decimal(self.balance) + Decimal(amount)
        self.balance = str(total.quantize(Decimal("0.00001")))
