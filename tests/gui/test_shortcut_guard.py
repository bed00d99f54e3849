"""ShortcutGuard: a window's shortcuts win over a focused text field, except its editing keys."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMainWindow, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from console.ui.widgets.shortcut_guard import ShortcutGuard, belongs_to
from tests.gui.helpers_keys import CTRL, X11LineEdit

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def window_with(qtbot: QtBot, *keys: str) -> tuple[QMainWindow, X11LineEdit, list[QAction]]:
    window = QMainWindow()
    qtbot.addWidget(window)
    central = QWidget(window)
    field = X11LineEdit(central)
    QVBoxLayout(central).addWidget(field)
    window.setCentralWidget(central)
    actions = []
    for key in keys:
        action = QAction(key, window)
        action.setShortcut(QKeySequence(key))
        window.addAction(action)
        actions.append(action)
    ShortcutGuard(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    field.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    return window, field, actions


def test_the_window_shortcut_wins_over_a_field_that_claims_it(qtbot: QtBot) -> None:
    _window, field, [export] = window_with(qtbot, "Ctrl+E")
    field.setText("+1415")
    field.setCursorPosition(0)
    with qtbot.waitSignal(export.triggered, timeout=1000):
        QTest.keyClick(field, Qt.Key.Key_E, CTRL)
    assert field.text() == "+1415" and field.cursorPosition() == 0  # the field did nothing


def test_editing_keys_stay_with_the_field(qtbot: QtBot) -> None:
    _window, field, [undo_like, export] = window_with(qtbot, "Ctrl+Z", "Ctrl+E")
    export.setEnabled(False)  # a disabled action gives its key back to the field
    QTest.keyClicks(field, "abc")
    with qtbot.assertNotEmitted(undo_like.triggered):
        QTest.keyClick(field, Qt.Key.Key_Z, CTRL)
    assert field.text() == ""  # undone by the field, not taken by the window
    field.setText("abc")
    field.setCursorPosition(0)
    QTest.keyClick(field, Qt.Key.Key_E, CTRL)  # claimed by the field (X11: end of line)
    assert field.cursorPosition() == 3


def test_only_the_window_and_its_docks_are_guarded(qtbot: QtBot) -> None:
    window, field, _ = window_with(qtbot, "Ctrl+E")
    dialog = QDialog(window)
    inside = QLineEdit(dialog)
    assert belongs_to(window, field)
    assert not belongs_to(window, inside)  # a dialog's fields keep their keys
    assert not belongs_to(window, None)
