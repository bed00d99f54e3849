"""A label that copies a value to the clipboard when clicked (or activated from the keyboard)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget


class CopyableLabel(QLabel):
    """Shows a text; a click, Enter or Space copies ``copy_text`` and emits :attr:`copied`."""

    copied = Signal(str)

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._copy_text = ""
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    @property
    def copy_text(self) -> str:
        """What a click copies (empty: nothing to copy)."""
        return self._copy_text

    def set_copy_text(self, value: str) -> None:
        """Set what a click copies; the cursor and tooltip say whether there is anything."""
        self._copy_text = value
        if value:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self.setToolTip(f"{value}\nClick to copy")
        else:
            self.unsetCursor()
            self.setToolTip("")

    def copy(self) -> None:
        """Put ``copy_text`` on the clipboard."""
        if not self._copy_text:
            return
        QGuiApplication.clipboard().setText(self._copy_text)
        self.copied.emit(self._copy_text)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.copy()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.copy()
            return
        super().keyPressEvent(event)
