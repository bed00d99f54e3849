"""A table view that says what to do when it has no rows (instead of a blank white box)."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QTableView, QWidget


class EmptyStateTableView(QTableView):
    """A QTableView that paints a hint over its empty viewport."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hint = hint

    def set_hint(self, hint: str) -> None:
        """Change the hint (e.g. 'no match' while a filter is active)."""
        self._hint = hint
        self.viewport().update()

    def hint(self) -> str:
        """The text shown while the table is empty."""
        return self._hint

    def setModel(self, model: QAbstractItemModel | None) -> None:
        """Repaint the hint whenever rows come or go."""
        super().setModel(model)
        if model is not None:
            model.rowsInserted.connect(self.viewport().update)
            model.rowsRemoved.connect(self.viewport().update)
            model.modelReset.connect(self.viewport().update)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the rows, or the hint when there are none."""
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self._hint:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            rect = self.viewport().rect().adjusted(24, 24, -24, -24)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(rect, int(flags), self._hint)
            painter.end()
