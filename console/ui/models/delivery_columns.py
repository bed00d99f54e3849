"""The columns of the deliveries table: titles, SQL sort keys, and how a record is shown.

Pure formatting of a :class:`~console.domain.model.DeliveryRecord` for each column and role; the
model (paging, live updates) lives in :mod:`console.ui.models.deliveries_model`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from functools import lru_cache
from typing import Any

from PySide6.QtCore import Qt

from console.domain.errors import explain
from console.domain.model import DeliveryRecord, SendState
from console.domain.phone import format_display
from console.store.queries import DeliveryFilter
from console.ui.widgets.status_delegate import STATUS_ROLE
from console.ui.widgets.status_style import status_icon, style

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's DeliveryRecord
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value the column sorts by

__all__ = ["COLUMNS", "RECORD_ROLE", "SORT_ROLE", "STATUS_ROLE", "Column", "cell", "matches"]


class Column(IntEnum):
    """Column positions."""

    CREATED = 0
    TO = 1
    FROM = 2
    STATUS = 3
    ERROR = 4
    SEGMENTS = 5
    BODY = 6
    SID = 7
    UPDATED = 8


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """A column's title, its SQL sort key (None: not sortable), width and header tooltip."""

    title: str
    sort_key: str | None
    width: int
    tooltip: str
    shown: bool = True  # visible by default (the header's context menu shows the others)


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("Created", "created_at", 100, "When the console recorded the message"),
    ColumnSpec("To", "to", 125, "Recipient"),
    ColumnSpec("From", None, 125, "Sender number or Messaging Service", shown=False),
    ColumnSpec("Status", "status", 122, "Current status, derived from every event"),
    ColumnSpec("Error", "error_code", 200, "Twilio error code and what it means"),
    ColumnSpec("Seg.", "segments", 40, "SMS segments billed"),
    ColumnSpec("Message", None, 240, "Message text (first line)"),
    ColumnSpec("SID", None, 150, "Twilio Message SID", shown=False),
    ColumnSpec("Updated", "updated_at", 100, "Last change", shown=False),
)

_NO_VALUE = "—"
_SEND_STATE_HINTS: dict[SendState, str] = {
    SendState.QUEUED: "Waiting in the console's send queue (pacing).",
    SendState.SUBMITTING: "The request to Twilio is in flight.",
    SendState.UNKNOWN: "Twilio's answer was lost; the console will check before any resend.",
    SendState.CANCELED: "Withdrawn before it was sent.",
    SendState.EXTERNAL: "Sent by another tool on this account; seen through its callbacks.",
}


def local_time(ts: datetime | None) -> str:
    """A UTC timestamp in local time, to the second."""
    if ts is None:
        return _NO_VALUE
    return ts.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def short_time(ts: datetime, now: datetime | None = None) -> str:
    """Local time of day for today, else month and day (the full time is in the tooltip)."""
    local = ts.astimezone()
    today = (now or datetime.now(UTC)).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M:%S")
    if local.year == today.year:
        return local.strftime("%b %d %H:%M")
    return local.strftime("%Y-%m-%d")


@lru_cache(maxsize=8192)
def display_number(value: str) -> str:
    """A phone number in international format (cached: formatting parses the number)."""
    return format_display(value) if value else _NO_VALUE


def error_text(code: int | None) -> str:
    """``30007 · Message filtered`` (empty without an error)."""
    info = explain(code)
    return f"{code} · {info.title}" if info is not None else ""


def error_tooltip(code: int | None, message: str | None = None) -> str:
    """The cause and the fix of an error code, for a tooltip."""
    info = explain(code)
    if info is None:
        return ""
    parts = [f"{info.code} — {info.title}", info.cause, f"What to do: {info.action}"]
    if message and message.strip() and message.strip() != info.title:
        parts.append(f"Twilio said: {message.strip()}")
    return "\n\n".join(parts)


def _first_line(body: str | None, limit: int = 120) -> str:
    if not body:
        return ""
    line = body.strip().splitlines()[0] if body.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _display(rec: DeliveryRecord, col: Column) -> str:
    if col is Column.CREATED:
        return short_time(rec.created_at)
    if col is Column.TO:
        return display_number(rec.to)
    if col is Column.FROM:
        return display_number(rec.from_ or rec.messaging_service_sid or "")
    if col is Column.STATUS:
        return style(rec.status).label
    if col is Column.ERROR:
        return error_text(rec.error_code)
    if col is Column.SEGMENTS:
        return str(rec.segments) if rec.segments else ""
    if col is Column.BODY:
        return _first_line(rec.body)
    if col is Column.SID:
        return rec.sid or _NO_VALUE
    return short_time(rec.updated_at)


def _sort_value(rec: DeliveryRecord, col: Column) -> Any:
    values: dict[Column, Any] = {
        Column.CREATED: rec.created_at,
        Column.TO: rec.to,
        Column.FROM: rec.from_ or rec.messaging_service_sid or "",
        Column.STATUS: rec.status_rank,
        Column.ERROR: rec.error_code or 0,
        Column.SEGMENTS: rec.segments,
        Column.BODY: rec.body or "",
        Column.SID: rec.sid or "",
        Column.UPDATED: rec.updated_at,
    }
    return values[col]


def _tooltip(rec: DeliveryRecord, col: Column) -> str | None:
    if col is Column.STATUS:
        text = f"{style(rec.status).label}: {style(rec.status).description}"
        hint = _SEND_STATE_HINTS.get(rec.send_state)
        return f"{text}\n{hint}" if hint else text
    if col is Column.ERROR:
        return error_tooltip(rec.error_code, rec.error_message) or None
    if col is Column.BODY and rec.body:
        return rec.body if len(rec.body) <= 600 else rec.body[:599] + "…"
    if col is Column.CREATED:
        return local_time(rec.created_at)
    if col is Column.UPDATED:
        return local_time(rec.updated_at)
    if col in (Column.TO, Column.FROM):
        return rec.to if col is Column.TO else (rec.from_ or rec.messaging_service_sid)
    return None


def cell(rec: DeliveryRecord, column: int, role: int) -> Any:
    """The value of one cell for a Qt item role (None when the role does not apply)."""
    col = Column(column)
    if role == Qt.ItemDataRole.DisplayRole:
        return _display(rec, col)
    if role == RECORD_ROLE:
        return rec
    if role == SORT_ROLE:
        return _sort_value(rec, col)
    if role == Qt.ItemDataRole.ToolTipRole:
        return _tooltip(rec, col)
    if col is Column.STATUS:
        if role == STATUS_ROLE:
            return rec.status
        if role == Qt.ItemDataRole.DecorationRole:
            return status_icon(rec.status)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Status {style(rec.status).label}"
    if role == Qt.ItemDataRole.TextAlignmentRole and col is Column.SEGMENTS:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return None


def matches(flt: DeliveryFilter, rec: DeliveryRecord) -> bool:
    """Whether ``rec`` passes ``flt`` (the same rules as the SQL of :class:`DeliveryFilter`)."""
    if flt.statuses and rec.status not in flt.statuses:
        return False
    needle = flt.text.strip().lower()
    if needle and not any(
        needle in (value or "").lower() for value in (rec.to, rec.from_, rec.body, rec.sid)
    ):
        return False
    if flt.since is not None and rec.created_at < flt.since:
        return False
    if flt.until is not None and rec.created_at >= flt.until:
        return False
    return not (flt.profile and rec.profile != flt.profile)
