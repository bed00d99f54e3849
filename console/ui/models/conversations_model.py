"""Table model of the inbox's conversations: one row per number that wrote in.

Columns: number, last message, message count, opt-out state. Rows are kept in arrival order of
their number; a view sorts them through a proxy on ``SORT_ROLE`` (the last message's id for the
"last message" column, so the newest conversation sorts first descending). Live inbound batches
and opt-out changes update rows with targeted ``dataChanged`` or one insertion per batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Final

from PySide6.QtCore import QModelIndex, QObject, Qt

from console.domain.model import InboundRecord, OptOutRecord
from console.domain.phone import format_display
from console.ui.models.base import Index, RecordTableModel
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE, tint

COLUMNS: Final = ("Number", "Last message", "Count", "Opt-out")
NUMBER, LAST, COUNT, OPT_OUT = range(len(COLUMNS))
PREVIEW_CHARS: Final = 60


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the list shows about one number."""

    number: str
    last: InboundRecord
    count: int
    opted_out: bool


def preview(body: str) -> str:
    """A one-line preview of a message body."""
    line = " ".join(body.split())
    return line if len(line) <= PREVIEW_CHARS else line[: PREVIEW_CHARS - 1] + "…"


class ConversationsModel(RecordTableModel[Conversation]):
    """Conversations per number with a sort role, a record role and an opt-out badge."""

    TITLES = COLUMNS

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._row_of: dict[str, int] = {}

    def set_conversations(self, rows: Iterable[Conversation]) -> None:
        """Replace everything (the initial load)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._row_of = {c.number: i for i, c in enumerate(self._rows)}
        self.endResetModel()

    def add_inbound(self, records: Iterable[InboundRecord], opted_out: dict[str, bool]) -> None:
        """Fold a live batch in: existing numbers change in place, new numbers are appended.

        ``opted_out`` gives the current state of numbers not yet listed.
        """
        fresh: dict[str, Conversation] = {}
        for rec in sorted(records, key=lambda r: r.id):
            row = self._row_of.get(rec.from_)
            if row is not None:
                old = self._rows[row]
                if rec.id > old.last.id:
                    self._rows[row] = replace(old, last=rec, count=old.count + 1)
                    self._row_changed(row)
                continue
            prev = fresh.get(rec.from_)
            count = prev.count + 1 if prev else 1
            last = rec if prev is None or rec.id > prev.last.id else prev.last
            fresh[rec.from_] = Conversation(rec.from_, last, count, opted_out.get(rec.from_, False))
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            for conv in fresh.values():
                self._row_of[conv.number] = len(self._rows)
                self._rows.append(conv)
            self.endInsertRows()

    def set_opt_outs(self, records: Iterable[OptOutRecord]) -> None:
        """Apply opt-out changes to the numbers that are listed."""
        for rec in records:
            row = self._row_of.get(rec.number)
            if row is not None and self._rows[row].opted_out != rec.opted_out:
                self._rows[row] = replace(self._rows[row], opted_out=rec.opted_out)
                self._row_changed(row)

    def conversation(self, row: int) -> Conversation:
        """The conversation in ``row``."""
        return self._rows[row]

    def row_of(self, number: str) -> int | None:
        """The row of a number, if listed."""
        return self._row_of.get(number)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text, raw sort values, the record and the opted-out badge tint."""
        c = self._record_at(index)
        if c is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == NUMBER:
                return format_display(c.number)
            if col == LAST:
                return preview(c.last.body)
            if col == COUNT:
                return str(c.count)
            return "opted out" if c.opted_out else ""
        if role == SORT_ROLE:
            return (c.number, c.last.id, c.count, int(c.opted_out))[col]
        if role == RECORD_ROLE:
            return c
        if role == Qt.ItemDataRole.ToolTipRole and col == LAST:
            return c.last.body
        if role == Qt.ItemDataRole.BackgroundRole and col == OPT_OUT and c.opted_out:
            return tint("bad")
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
