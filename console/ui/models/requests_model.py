"""Table model of the webhook requests the server received (the inspector's list).

Rows are :class:`~console.domain.model.WebhookRequestRecord`, newest first. Live batches from
``Bridge.requestsAdded`` are inserted with one ``beginInsertRows`` per batch; the table keeps at
most ``limit`` rows and drops the oldest beyond that. ``RequestFilter`` sorts on raw values and
filters by text or to failures; ``decoded_body``/``raw_body`` are the detail pane's body views.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import parse_qsl

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt

from console.domain.model import Verdict, WebhookRequestRecord
from console.ui.models.base import Index, RecordTableModel
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE, tint

COLUMNS: Final = ("Time", "Method", "Path", "Status", "Verdict", "Diagnosis")
TIME, METHOD, PATH, STATUS, VERDICT, DIAGNOSIS = range(len(COLUMNS))
SHORT_DIAGNOSIS: Final = 90


def verdict_text(record: WebhookRequestRecord) -> str:
    """The verdict as shown: 'valid', 'invalid', 'missing', 'skipped' or '—' (not checked)."""
    return record.verdict.value if record.verdict is not None else "—"


def verdict_tone(record: WebhookRequestRecord) -> str:
    """The tint of a request: good when accepted with a valid signature, bad when refused."""
    if record.verdict in (Verdict.INVALID, Verdict.MISSING) or record.status_code >= 400:
        return "bad"
    if record.verdict == Verdict.SKIPPED:
        return "warn"
    if record.verdict == Verdict.VALID:
        return "good"
    return "neutral"


def short_diagnosis(record: WebhookRequestRecord) -> str:
    """The first sentence of the diagnosis, cut to fit a table cell."""
    text = (record.diagnosis or "").strip()
    if not text:
        return ""
    first = text.split("\n", 1)[0]
    return first if len(first) <= SHORT_DIAGNOSIS else first[: SHORT_DIAGNOSIS - 1] + "…"


class RequestsModel(RecordTableModel[WebhookRequestRecord]):
    """Webhook requests, newest first, with a sort role and a record role."""

    TITLES = COLUMNS

    def __init__(self, limit: int = 5000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids: set[int] = set()
        self._limit = limit

    # -- feeding -------------------------------------------------------------------------------
    def set_records(self, records: Iterable[WebhookRequestRecord]) -> None:
        """Replace everything (the initial load); records are sorted newest first."""
        self.beginResetModel()
        self._rows = sorted(records, key=lambda r: r.id, reverse=True)[: self._limit]
        self._ids = {r.id for r in self._rows}
        self.endResetModel()

    def add_records(self, records: Iterable[WebhookRequestRecord]) -> int:
        """Insert a live batch at the top (one insertion); returns how many rows were new."""
        fresh = sorted(
            {r.id: r for r in records if r.id not in self._ids}.values(),
            key=lambda r: r.id,
            reverse=True,
        )
        if not fresh:
            return 0
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._rows[0:0] = fresh
        self._ids.update(r.id for r in fresh)
        self.endInsertRows()
        excess = len(self._rows) - self._limit
        if excess > 0:
            first = len(self._rows) - excess
            self.beginRemoveRows(QModelIndex(), first, len(self._rows) - 1)
            for r in self._rows[first:]:
                self._ids.discard(r.id)
            del self._rows[first:]
            self.endRemoveRows()
        return len(fresh)

    def record(self, row: int) -> WebhookRequestRecord:
        """The record shown in ``row``."""
        return self._rows[row]

    def row_of(self, request_id: int) -> int | None:
        """The row of a request id, if it is loaded."""
        for i, r in enumerate(self._rows):
            if r.id == request_id:
                return i
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text, raw sort values, the record, verdict tints and tooltips."""
        r = self._record_at(index)
        if r is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == SORT_ROLE:
            return self._sort_value(r, col)
        if role == RECORD_ROLE:
            return r
        if role == Qt.ItemDataRole.BackgroundRole and col in (STATUS, VERDICT):
            return tint(verdict_tone(r))
        if role == Qt.ItemDataRole.ToolTipRole and col == DIAGNOSIS and r.diagnosis:
            return r.diagnosis
        if role == Qt.ItemDataRole.TextAlignmentRole and col == STATUS:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    @staticmethod
    def _display(r: WebhookRequestRecord, col: int) -> str:
        if col == TIME:
            return r.received_at.astimezone().strftime("%H:%M:%S")
        if col == METHOD:
            return r.method
        if col == PATH:
            return r.path + (f"?{r.query}" if r.query else "")
        if col == STATUS:
            return str(r.status_code)
        if col == VERDICT:
            return verdict_text(r)
        return short_diagnosis(r)

    @staticmethod
    def _sort_value(r: WebhookRequestRecord, col: int) -> Any:
        if col == TIME:
            return r.id  # ids grow with arrival; exact and cheap
        if col == STATUS:
            return r.status_code
        if col == METHOD:
            return r.method
        if col == PATH:
            return r.path
        if col == VERDICT:
            return verdict_text(r)
        return r.diagnosis or ""


class RequestFilter(QSortFilterProxyModel):
    """Sorts on raw values; filters by free text and, optionally, to failures only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self._failures_only = False

    def set_failures_only(self, on: bool) -> None:
        """Show only refused requests (status ≥ 400 or a bad/missing signature)."""
        self.beginFilterChange()
        self._failures_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: Index) -> bool:
        """Text match on any column, then the failures-only condition."""
        if not super().filterAcceptsRow(row, parent):
            return False
        if not self._failures_only:
            return True
        record = self.sourceModel().index(row, 0, parent).data(RECORD_ROLE)
        return isinstance(record, WebhookRequestRecord) and verdict_tone(record) == "bad"


def decoded_body(record: WebhookRequestRecord) -> list[tuple[str, str]]:
    """The form fields of a body (empty for a JSON or empty body)."""
    if not record.body or record.body.lstrip().startswith(("{", "[")):
        return []
    return parse_qsl(record.body, keep_blank_values=True)


def raw_body(record: WebhookRequestRecord) -> str:
    """The body as received (JSON pretty-printed)."""
    text = record.body
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            return text
    return text
