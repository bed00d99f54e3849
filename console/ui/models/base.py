"""The shared shape of the panels' flat tables: a list of frozen records under fixed titles.

Subclasses set ``TITLES`` and implement ``data``; the base answers Qt's row, column and header
questions, finds the record behind an index and tells views that one row changed.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex
R = TypeVar("R")


class RecordTableModel(QAbstractTableModel, Generic[R]):
    """A flat table: one record per row in ``_rows``, one column per entry of ``TITLES``."""

    TITLES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[R] = []

    def _record_at(self, index: Index) -> R | None:
        """The record behind a valid index in range, else None."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    def _row_changed(self, row: int) -> None:
        """Tell the views that every cell of ``row`` changed."""
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.TITLES) - 1))

    # -- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        """Rows under the invisible root (a flat table)."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        """The fixed columns."""
        return 0 if parent.isValid() else len(self.TITLES)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.TITLES)
        ):
            return self.TITLES[section]
        return None
