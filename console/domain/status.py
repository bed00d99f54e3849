"""Message status lifecycle: every Twilio MessageStatus, its forward-only rank, and finality.

A delivery's status is *derived* from its events, never overwritten: the winner is the event
status with the highest rank under one total order. ``max`` under a total order is commutative,
associative and idempotent, so any permutation or duplication of the same observations yields the
same status — out-of-order and repeated callbacks are harmless, and a late ``sent`` can never
replace ``delivered``.

Two console-local states exist besides Twilio's: ``pending`` (written to the ledger, no answer
from Twilio yet) and ``rejected`` (refused before Twilio accepted it — by the console's own checks
or by an API error on create). They rank below and above Twilio's states respectively.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """A delivery or event status: Twilio's MessageStatus values plus two console-local states."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    RECEIVING = "receiving"
    RECEIVED = "received"
    PARTIALLY_DELIVERED = "partially_delivered"
    CANCELED = "canceled"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    DELIVERED = "delivered"
    READ = "read"
    REJECTED = "rejected"


# The total order. Later lifecycle stages outrank earlier ones. Among the final states, stronger
# evidence of reaching the handset wins (delivered > undelivered > failed), so that a conflicting
# pair resolves the same way whatever order it arrived in. ``read`` (a receipt after delivery)
# outranks ``delivered``. ``rejected`` is the console's verdict that Twilio never took the message.
_RANK: dict[Status, int] = {
    Status.PENDING: 0,
    Status.ACCEPTED: 10,
    Status.SCHEDULED: 15,
    Status.QUEUED: 20,
    Status.SENDING: 30,
    Status.SENT: 40,
    Status.RECEIVING: 42,
    Status.RECEIVED: 44,
    Status.PARTIALLY_DELIVERED: 50,
    Status.CANCELED: 60,
    Status.FAILED: 65,
    Status.UNDELIVERED: 70,
    Status.DELIVERED: 80,
    Status.READ: 90,
    Status.REJECTED: 100,
}

FINAL: frozenset[Status] = frozenset(
    {
        Status.CANCELED,
        Status.FAILED,
        Status.UNDELIVERED,
        Status.DELIVERED,
        Status.READ,
        Status.RECEIVED,
        Status.REJECTED,
    }
)

FAILURES: frozenset[Status] = frozenset({Status.FAILED, Status.UNDELIVERED, Status.REJECTED})

TWILIO_STATUSES: frozenset[str] = frozenset(
    s.value for s in Status if s not in (Status.PENDING, Status.REJECTED)
)


def parse(value: str | None) -> Status | None:
    """Return the Status for a Twilio status string, or None when it is unknown or empty.

    Unknown values are kept as events by the store but never applied to a delivery.
    """
    if not value:
        return None
    try:
        return Status(value.strip().lower())
    except ValueError:
        return None


def rank(status: Status) -> int:
    """The forward-only rank of a status (higher wins)."""
    return _RANK[status]


def is_final(status: Status) -> bool:
    """Whether no later status is expected in the normal lifecycle."""
    return status in FINAL


def is_failure(status: Status) -> bool:
    """Whether the status means the message did not reach the handset."""
    return status in FAILURES


def advance(current: Status, observed: Status) -> Status:
    """The status after observing ``observed`` when the delivery was ``current``."""
    return observed if _RANK[observed] > _RANK[current] else current


def derive(observed: Iterable[Status | None]) -> Status:
    """The delivery status implied by all observed event statuses, in any order.

    ``None`` entries (unknown statuses) are ignored; with no known observation the delivery is
    ``pending``.
    """
    result = Status.PENDING
    for status in observed:
        if status is not None:
            result = advance(result, status)
    return result
