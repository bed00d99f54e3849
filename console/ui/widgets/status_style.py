"""How each delivery status looks: a colour, an icon and a label readable in light and dark themes.

The colours are mid-tone (they read on white and on near-black), and every icon carries a white
glyph on its coloured disc, so the status is never told by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QIcon

from console.domain import status as st
from console.ui.widgets.resources import icon


@dataclass(frozen=True, slots=True)
class StatusStyle:
    """The look of one status."""

    label: str
    color: str  # #rrggbb
    icon_name: str
    description: str


_PENDING = "#607d8b"

STYLES: dict[str, StatusStyle] = {
    "pending": StatusStyle(
        "pending",
        _PENDING,
        "status-pending",
        "Recorded; waiting for its turn or for Twilio's answer.",
    ),
    "accepted": StatusStyle(
        "accepted",
        _PENDING,
        "status-pending",
        "Accepted by a Messaging Service; a sender is being chosen.",
    ),
    "scheduled": StatusStyle(
        "scheduled", _PENDING, "status-pending", "Scheduled by a Messaging Service for later."
    ),
    "queued": StatusStyle(
        "queued",
        _PENDING,
        "status-pending",
        "Queued at Twilio, waiting for the sender's rate limit.",
    ),
    "sending": StatusStyle(
        "sending", "#1e88e5", "status-sending", "Twilio is handing the message to the carrier."
    ),
    "sent": StatusStyle(
        "sent", "#1565c0", "status-sent", "The carrier accepted it; no delivery receipt yet."
    ),
    "receiving": StatusStyle("receiving", "#00838f", "status-received", "Inbound, arriving."),
    "received": StatusStyle("received", "#00838f", "status-received", "Inbound, received."),
    "partially_delivered": StatusStyle(
        "partially delivered",
        "#f9a825",
        "status-partial",
        "Some segments were delivered, some not.",
    ),
    "canceled": StatusStyle(
        "canceled", "#757575", "status-canceled", "Withdrawn before it was sent."
    ),
    "failed": StatusStyle(
        "failed", "#c62828", "status-failed", "Twilio could not send it (see the error code)."
    ),
    "undelivered": StatusStyle(
        "undelivered",
        "#e65100",
        "status-undelivered",
        "Sent, but the carrier could not deliver it (see the error code).",
    ),
    "delivered": StatusStyle(
        "delivered", "#2e7d32", "status-delivered", "The carrier confirmed delivery to the handset."
    ),
    "read": StatusStyle("read", "#1b5e20", "status-read", "Delivered and read."),
    "rejected": StatusStyle(
        "rejected",
        "#ad1457",
        "status-rejected",
        "Refused before Twilio took it (by the console or by the API).",
    ),
}

_UNKNOWN = StatusStyle(
    "unknown", "#9e9e9e", "status-pending", "A status the console does not know."
)

# The order of the status filter menu (one entry per status the operator can filter on).
FILTER_ORDER: tuple[str, ...] = (
    "pending",
    "accepted",
    "scheduled",
    "queued",
    "sending",
    "sent",
    "delivered",
    "read",
    "partially_delivered",
    "undelivered",
    "failed",
    "canceled",
    "rejected",
    "received",
)

FAILURE_STATUSES: frozenset[str] = frozenset(s.value for s in st.FAILURES)


def style(status: str) -> StatusStyle:
    """The style of ``status`` (a neutral grey for unknown values)."""
    return STYLES.get(status, _UNKNOWN)


def status_color(status: str) -> QColor:
    """The colour of ``status``."""
    return QColor(style(status).color)


def status_icon(status: str) -> QIcon:
    """The icon of ``status``."""
    return icon(style(status).icon_name)


def is_failure(status: str) -> bool:
    """Whether ``status`` means the message did not reach the handset."""
    return status in FAILURE_STATUSES
