"""Text fields as the X11 keyboard scheme makes them, for shortcut tests on any platform.

Under the X11 scheme (KDE, GNOME…) ``QLineEdit`` accepts Ctrl+E (move to the end of the line)
and Ctrl+U (delete the line) when Qt offers them as ``ShortcutOverride``; the offscreen platform
uses the Windows scheme, where it does not. :class:`X11LineEdit` claims them the same way (in
``event``, as ``QLineEdit`` itself does) and acts on them as X11 does, so a test can check that
the window's shortcuts still win, and that the field keeps the keys the window does not take.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QKeyCombination, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit

CTRL = Qt.KeyboardModifier.ControlModifier
X11_LINE_KEYS = (QKeyCombination(CTRL, Qt.Key.Key_E), QKeyCombination(CTRL, Qt.Key.Key_U))


class X11LineEdit(QLineEdit):
    """A line edit that claims Ctrl+E and Ctrl+U, as one does under the X11 keyboard scheme."""

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.keyCombination() in X11_LINE_KEYS
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.keyCombination() == X11_LINE_KEYS[0]:
            self.end(False)
        elif event.keyCombination() == X11_LINE_KEYS[1]:
            self.clear()
        else:
            super().keyPressEvent(event)
