"""Table model of a trial account's verified caller IDs (the numbers it may text)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from PySide6.QtCore import Qt

from console.domain.phone import format_display
from console.gateway.resources import CallerId
from console.ui.models.base import Index, RecordTableModel
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE

COLUMNS: Final = ("Number", "Name", "SID")
NUMBER, NAME, SID = range(len(COLUMNS))


class CallerIdsModel(RecordTableModel[CallerId]):
    """Verified caller IDs, in the order Twilio listed them."""

    TITLES = COLUMNS

    def set_caller_ids(self, caller_ids: Iterable[CallerId]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(caller_ids)
        self.endResetModel()

    def caller_id(self, row: int) -> CallerId:
        """The caller ID in ``row``."""
        return self._rows[row]

    def numbers(self) -> set[str]:
        """The E.164 numbers listed."""
        return {c.phone_number for c in self._rows}

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Formatted number, name and SID; raw values under the sort role."""
        c = self._record_at(index)
        if c is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_display(c.phone_number), c.friendly_name, c.sid)[col]
        if role == SORT_ROLE:
            return (c.phone_number, c.friendly_name, c.sid)[col]
        if role == RECORD_ROLE:
            return c
        return None
