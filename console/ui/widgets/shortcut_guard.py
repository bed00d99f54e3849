"""Let a window's own shortcuts win over text fields that would swallow them.

Before a key press reaches the focused widget, Qt offers it as a ``ShortcutOverride`` event;
a text field accepts the key sequences it edits with, and the window's shortcut then never
runs. Which sequences depends on the platform's keyboard scheme: under the X11 scheme (KDE,
GNOME, other Linux desktops) a ``QLineEdit`` claims Ctrl+E (move to the end of the line, as
End does) and Ctrl+U (delete the line), so Ctrl+E (export) typed in the deliveries search
moved the cursor instead of exporting.

:class:`ShortcutGuard` sits on whichever widget of the window has the focus and withholds
``ShortcutOverride`` for the key sequences of the window's own shortcuts (actions and shortcuts
in the window or application context), so Qt runs the shortcut. Sequences a text field cannot do
without — clipboard, undo and redo, select all, deleting, moving and selecting by character or
word, new lines — stay with the field whatever the window binds them to (``TEXT_KEYS``). Every
other event passes untouched, and widgets of other windows (dialogs) are left alone.
"""

from __future__ import annotations

from typing import Final

import shiboken6
from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

_Std = QKeySequence.StandardKey
TEXT_KEYS: Final = (
    _Std.Copy,
    _Std.Cut,
    _Std.Paste,
    _Std.Undo,
    _Std.Redo,
    _Std.SelectAll,
    _Std.Delete,
    _Std.Backspace,
    _Std.DeleteStartOfWord,
    _Std.DeleteEndOfWord,
    _Std.MoveToNextChar,
    _Std.MoveToPreviousChar,
    _Std.MoveToNextWord,
    _Std.MoveToPreviousWord,
    _Std.SelectNextChar,
    _Std.SelectPreviousChar,
    _Std.SelectNextWord,
    _Std.SelectPreviousWord,
    _Std.InsertParagraphSeparator,
    _Std.InsertLineSeparator,
)
_GLOBAL: Final = (Qt.ShortcutContext.WindowShortcut, Qt.ShortcutContext.ApplicationShortcut)


def owner_widget(obj: QObject | None) -> QWidget | None:
    """The nearest widget among ``obj`` and its parents (an action's owner, say)."""
    while obj is not None and not isinstance(obj, QWidget):
        obj = obj.parent()
    return obj


def belongs_to(window: QWidget, widget: QWidget | None) -> bool:
    """Whether ``widget`` is part of ``window``: inside it or in one of its (floating) docks,
    but not in a dialog of its own."""
    while widget is not None:
        if widget is window:
            return True
        if widget.isWindow() and not isinstance(widget, QDockWidget):
            return False
        widget = widget.parentWidget()
    return False


def window_keys(window: QWidget) -> list[QKeySequence]:
    """The single-key sequences of the window's enabled actions and window-wide shortcuts."""
    keys: list[QKeySequence] = []
    for action in window.actions():
        if action.isEnabled() and action.shortcutContext() in _GLOBAL:
            keys.extend(action.shortcuts())
    for shortcut in window.findChildren(QShortcut):
        if shortcut.isEnabled() and shortcut.context() in _GLOBAL:
            keys.extend(shortcut.keys())
    return [k for k in keys if k.count() == 1]


def _combination(event: QKeyEvent) -> QKeyCombination:
    mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
    return QKeyCombination(mods, Qt.Key(event.key()))


class ShortcutGuard(QObject):
    """Keeps the window's shortcuts working while a text field has the focus (module doc)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._watched: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
            self._focus_changed(None, app.focusWidget())

    def claims(self, event: QKeyEvent) -> bool:
        """Whether the window, not the focused field, should have this key press."""
        if any(event.matches(key) for key in TEXT_KEYS):
            return False
        return QKeySequence(_combination(event)) in window_keys(self._window)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # a withheld ShortcutOverride is never accepted by the field, so Qt runs the shortcut
        return (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and self.claims(event)
        )

    def _focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        if self._watched is not None and shiboken6.isValid(self._watched):
            self._watched.removeEventFilter(self)
        self._watched = None
        if now is not None and belongs_to(self._window, now):
            now.installEventFilter(self)
            self._watched = now
