"""Table model of a trial account's verified caller IDs (the numbers it may text)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.domain.phone import format_display
from console.gateway.resources import CallerId
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE

Index = QModelIndex | QPersistentModelIndex

COLUMNS: Final = ("Number", "Name", "SID")
NUMBER, NAME, SID = range(len(COLUMNS))


class CallerIdsModel(QAbstractTableModel):
    """Verified caller IDs, in the order Twilio listed them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CallerId] = []

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

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        """Rows under the invisible root (a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        """The fixed columns."""
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Formatted number, name and SID; raw values under the sort role."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        c = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (format_display(c.phone_number), c.friendly_name, c.sid)[col]
        if role == SORT_ROLE:
            return (c.phone_number, c.friendly_name, c.sid)[col]
        if role == RECORD_ROLE:
            return c
        return None
