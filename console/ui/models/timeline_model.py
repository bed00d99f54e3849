"""The events of one delivery, oldest first, appended live (one ``beginInsertRows`` per batch)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt

from console.domain.model import EventRecord, EventSource, Verdict
from console.ui.models.base import Index, RecordTableModel
from console.ui.models.delivery_columns import (
    RECORD_ROLE,
    SORT_ROLE,
    error_text,
    error_tooltip,
    local_time,
)
from console.ui.widgets.status_delegate import STATUS_ROLE
from console.ui.widgets.status_style import status_icon, style

SOURCE_LABELS: dict[EventSource, str] = {
    EventSource.API: "API response",
    EventSource.CALLBACK: "Status callback",
    EventSource.POLL: "Poll",
    EventSource.SIMULATOR: "Simulator",
    EventSource.CONSOLE: "Console",
}

SIGNATURE_LABELS: dict[Verdict | None, str] = {
    Verdict.VALID: "valid",
    Verdict.INVALID: "INVALID",
    Verdict.MISSING: "missing",
    Verdict.SKIPPED: "not checked",
    Verdict.REPLAYED: "replayed",
    None: "—",
}

REPLAY_TOOLTIP = (
    "Replayed from the webhook inspector (re-signed by the console), not sent by Twilio"
)


def source_label(rec: EventRecord) -> str:
    """Where the event came from; a replay from the webhook inspector says so."""
    label = SOURCE_LABELS.get(rec.source, str(rec.source))
    return f"{label} (replay)" if rec.signature is Verdict.REPLAYED else label


class EventColumn(IntEnum):
    """Column positions of the timeline."""

    TIME = 0
    SOURCE = 1
    STATUS = 2
    ERROR = 3
    SIGNATURE = 4


TITLES = ("Time", "Source", "Status", "Error", "Signature")


def event_time(rec: EventRecord) -> str:
    """The event's local date and time to the millisecond."""
    return local_time(rec.received_at) + rec.received_at.strftime(".%f")[:4]


def event_clock(rec: EventRecord) -> str:
    """The event's local time of day to the millisecond (the date is in the tooltip)."""
    local = rec.received_at.astimezone()
    return local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"


class TimelineModel(RecordTableModel[EventRecord]):
    """Every event of the selected delivery."""

    TITLES = TITLES

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._delivery_id: int | None = None
        self._ids: set[int] = set()

    @property
    def delivery_id(self) -> int | None:
        """The delivery whose events are shown."""
        return self._delivery_id

    def event(self, row: int) -> EventRecord | None:  # type: ignore[override]  # row lookup
        """The event in ``row``."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def set_events(self, delivery_id: int | None, events: Iterable[EventRecord]) -> None:
        """Show another delivery's events (a reset: the whole content changes)."""
        self.beginResetModel()
        self._delivery_id = delivery_id
        self._rows = sorted(events, key=lambda e: e.id)
        self._ids = {e.id for e in self._rows}
        self.endResetModel()

    def add_events(self, events: Iterable[EventRecord]) -> int:
        """Append the events of the shown delivery not yet shown; returns how many."""
        fresh = {
            e.id: e for e in events if e.delivery_id == self._delivery_id and e.id not in self._ids
        }
        new = sorted(fresh.values(), key=lambda e: e.id)
        if self._delivery_id is None or not new:
            return 0
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self._ids.update(e.id for e in new)
        self.endInsertRows()
        return len(new)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        rec = self._record_at(index)
        if rec is None:
            return None
        col = EventColumn(index.column())
        if role == RECORD_ROLE:
            return rec
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(rec, col)
        if role == SORT_ROLE:
            return self._sort_value(rec, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(rec, col)
        if col is EventColumn.STATUS:
            if role == STATUS_ROLE:
                return rec.status
            if role == Qt.ItemDataRole.DecorationRole:
                return status_icon(rec.status)
        return None

    @staticmethod
    def _display(rec: EventRecord, col: EventColumn) -> str:
        if col is EventColumn.TIME:
            return event_clock(rec)
        if col is EventColumn.SOURCE:
            return source_label(rec)
        if col is EventColumn.STATUS:
            label = style(rec.status).label if rec.applied else rec.status
            return label if rec.applied else f"{label} (unknown, not applied)"
        if col is EventColumn.ERROR:
            return error_text(rec.error_code)
        return SIGNATURE_LABELS.get(rec.signature, str(rec.signature))

    @staticmethod
    def _sort_value(rec: EventRecord, col: EventColumn) -> Any:
        if col is EventColumn.TIME:
            return rec.received_at
        if col is EventColumn.ERROR:
            return rec.error_code or 0
        if col is EventColumn.SOURCE:
            return rec.source.value
        if col is EventColumn.STATUS:
            return rec.status
        return rec.signature.value if rec.signature else ""

    @staticmethod
    def _tooltip(rec: EventRecord, col: EventColumn) -> str | None:
        if col is EventColumn.ERROR:
            return error_tooltip(rec.error_code, rec.error_message) or None
        if col is EventColumn.STATUS:
            return style(rec.status).description
        if col is EventColumn.TIME:
            return event_time(rec)
        if col in (EventColumn.SOURCE, EventColumn.SIGNATURE) and rec.signature is Verdict.REPLAYED:
            return REPLAY_TOOLTIP
        return None
