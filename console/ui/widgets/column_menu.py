"""A header context menu that shows or hides a table's columns (at least one stays visible)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QHeaderView, QMenu, QTableView


def install_column_menu(view: QTableView) -> None:
    """Right-clicking ``view``'s horizontal header offers a checkable entry per column."""
    header = view.horizontalHeader()
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(
        lambda pos: column_menu(header).exec(header.mapToGlobal(QPoint(pos)))
    )


def column_menu(header: QHeaderView) -> QMenu:
    """The menu of ``header``'s columns; toggling an entry shows or hides that column."""
    menu = QMenu(header)
    model = header.model()
    visible = [i for i in range(header.count()) if not header.isSectionHidden(i)]
    for section in range(header.count()):
        title = str(model.headerData(section, Qt.Orientation.Horizontal) or section)
        action = menu.addAction(title)
        action.setCheckable(True)
        action.setChecked(not header.isSectionHidden(section))
        action.setEnabled(header.isSectionHidden(section) or len(visible) > 1)
        action.toggled.connect(lambda on, s=section: header.setSectionHidden(s, not on))
    return menu
