"""Custom item roles and verdict/status tints shared by the panels' models.

``SORT_ROLE`` carries the raw value a column sorts by (never the display string);
``RECORD_ROLE`` carries the frozen record behind a row so that a selection survives sorting.
Tints are translucent so they read on light and dark palettes alike: the text keeps the
palette's colour and only the background is tinted.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

SORT_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 1
RECORD_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 2
KIND_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 3

_ALPHA: Final = 70


def tint(name: str) -> QColor:
    """A translucent background for a state name: good, bad, warn, info or neutral."""
    rgb = {
        "good": (46, 160, 67),
        "bad": (218, 54, 51),
        "warn": (210, 153, 34),
        "info": (56, 132, 244),
    }.get(name, (128, 128, 128))
    return QColor(rgb[0], rgb[1], rgb[2], _ALPHA)


def status_tone(status: str) -> str:
    """The tint name of a message status (delivered good, failed bad, in flight info)."""
    if status in ("delivered", "read", "received"):
        return "good"
    if status in ("failed", "undelivered", "rejected", "canceled"):
        return "bad"
    if status in ("sent", "sending", "queued", "accepted", "scheduled", "submitting", "waiting"):
        return "info"
    return "neutral"
