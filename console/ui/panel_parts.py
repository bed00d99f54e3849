"""Widget parts the operator panels build from: record tables, empty states, errors, senders.

Each part comes the way every panel wants it (an accessible name, keyboard access, one line per
table row), so a panel states only what is its own: its model, its sort column, its texts. The
sender picker's items are written by :func:`add_senders` and read by :func:`chosen_sender`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QAbstractItemModel, QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QTableView,
    QWidget,
)

from console.domain.phone import SenderKind
from console.gateway.account import SenderOption
from console.ui.panel_kit import compact_rows, error_html, set_tone, wrap_label

DEFAULT_SENDER = "Profile default sender"


def buddy(text: str, widget: QWidget, parent: QWidget) -> QLabel:
    """A label whose mnemonic (the letter after ``&``) moves the focus to ``widget``."""
    label = QLabel(text, parent)
    label.setBuddy(widget)
    return label


def shortcut(
    widget: QWidget,
    slot: Callable[[], object],
    *keys: str | QKeySequence.StandardKey,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WidgetShortcut,
) -> None:
    """Run ``slot`` when one of ``keys`` is pressed in ``widget`` (``context`` says where else)."""
    for key in keys:
        keys_shortcut = QShortcut(QKeySequence(key), widget)
        keys_shortcut.setContext(context)
        keys_shortcut.activated.connect(slot)


def record_table(
    parent: QWidget,
    model: QAbstractItemModel,
    name: str,
    *,
    sort_by: tuple[int, Qt.SortOrder] | None = None,
    single: bool = True,
    elide: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    stretch: int | None = None,
) -> QTableView:
    """A table of records: whole rows selected, one line a row, columns as wide as their content.

    ``sort_by``: the column and order shown first (then the headers sort on click); ``single``:
    one row at a time is selected; ``stretch``: the column that takes the remaining width.
    """
    table = QTableView(parent)
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    if sort_by is not None:
        table.setSortingEnabled(True)
        table.sortByColumn(*sort_by)
    compact_rows(table)
    table.setTextElideMode(elide)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table


class _EmptySwitch(QObject):
    """Shows the empty-state label instead of the view while the model has no rows."""

    def __init__(self, model: QAbstractItemModel, view: QWidget, label: QLabel) -> None:
        super().__init__(label)  # lives (and stops listening) with the label
        self._model, self._view, self._label = model, view, label
        model.rowsInserted.connect(self.refresh)
        model.modelReset.connect(self.refresh)

    def refresh(self) -> None:
        """Show the label or the view, whichever has something to say."""
        empty = self._model.rowCount() == 0
        self._label.setVisible(empty)
        self._view.setVisible(not empty)


def empty_state(
    text: str, name: str, view: QWidget, model: QAbstractItemModel, parent: QWidget
) -> QLabel:
    """A centred label standing in for ``view`` while ``model`` has no rows (it says what to do)."""
    label = wrap_label(text, parent)
    label.setAccessibleName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    _EmptySwitch(model, view, label)
    return label


def error_label(name: str, parent: QWidget) -> QLabel:
    """A rich-text label for a panel's failures (with links to Twilio's pages), hidden until one."""
    label = wrap_label("", parent, rich=True)
    label.setAccessibleName(name)
    label.hide()
    return label


def show_error(label: QLabel, error: BaseException | str) -> None:
    """Show a failure (explained by ``error_html``), or a text that already explains it, in red."""
    label.setText(error if isinstance(error, str) else error_html(error))
    set_tone(label, "bad")
    label.show()


def sender_combo(parent: QWidget) -> QComboBox:
    """A sender picker holding only "Profile default sender" until :func:`add_senders`."""
    combo = QComboBox(parent)
    combo.setAccessibleName("From")
    combo.addItem(DEFAULT_SENDER, None)
    return combo


def add_senders(combo: QComboBox, senders: Iterable[SenderOption]) -> None:
    """Add the account's numbers and Messaging Services to a sender picker."""
    for option in senders:
        combo.addItem(option.label, (option.value, option.kind))


def chosen_sender(combo: QComboBox) -> tuple[str | None, str | None]:
    """(From number, Messaging Service SID) chosen in a sender picker; (None, None) for "the
    profile's default sender"."""
    data = combo.currentData()
    if data is None:
        return None, None
    value, kind = data
    return (None, str(value)) if kind == SenderKind.MESSAGING_SERVICE else (str(value), None)
