"""Paints a status cell as a badge: the status icon and label on a faint tint of its colour.

The text keeps the palette's text colour, so it stays readable in light and dark themes; the
colour is carried by the icon and the tint, never by the text alone.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from console.ui.widgets.status_style import status_color, status_icon

STATUS_ROLE = Qt.ItemDataRole.UserRole + 10  # the raw status string of a cell

Index = QModelIndex | QPersistentModelIndex


class StatusBadgeDelegate(QStyledItemDelegate):
    """Draws the status of a row (read from ``STATUS_ROLE``) as an icon + label badge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        status = index.data(STATUS_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(status, str) or not status:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()  # the badge draws its own icon
        style = opt.widget.style() if opt.widget is not None else None
        painter.save()
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        rect = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        color = status_color(status)
        tint = QColor(color)
        tint.setAlpha(70 if selected else 45)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        size = max(10, min(16, rect.height() - 4))
        icon_rect = QRect(rect.left() + 5, rect.center().y() - size // 2 + 1, size, size)
        status_icon(status).paint(painter, icon_rect)
        group = QPalette.ColorGroup.Active
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(group, role))
        text_rect = rect.adjusted(size + 10, 0, -6, 0)
        shown = painter.fontMetrics().elidedText(
            str(text or status), Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignVCenter), shown)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        base = super().sizeHint(option, index)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        width = option.fontMetrics.horizontalAdvance(text) + 40
        return QSize(max(base.width(), width), max(base.height(), 24))
