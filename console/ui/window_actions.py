"""The main window's actions with their keyboard shortcuts, its menu bar, and its help boxes."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenuBar, QMessageBox, QWidget

from console import __version__

SHORTCUTS = (
    ("Ctrl+Enter", "Send the message (in Compose)"),
    ("Ctrl+N", "Compose a new message"),
    ("Ctrl+F", "Search the deliveries"),
    ("F8 / Shift+F8", "Next / previous failed message"),
    ("F5", "Refresh the deliveries"),
    ("Ctrl+E", "Export the visible deliveries (CSV or JSON Lines)"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+Q", "Quit"),
)


def _action(window: QMainWindow, text: str, shortcut: str | None = None) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    window.addAction(action)  # shortcuts work even while the menu bar is hidden
    return action


class WindowActions:
    """Every command of the main window; the window connects them in ``_connect_signals``."""

    def __init__(self, window: QMainWindow) -> None:
        self.export = _action(window, "&Export visible deliveries…", "Ctrl+E")
        self.open_data = _action(window, "Open &data folder")
        self.quit = _action(window, "&Quit", "Ctrl+Q")
        self.find = _action(window, "&Find deliveries", "Ctrl+F")
        self.settings = _action(window, "&Settings…", "Ctrl+,")
        self.compose = _action(window, "&New message", "Ctrl+N")
        # Ctrl+Enter and Ctrl+Shift+B belong to the compose panel (they act where the text is)
        self.send = _action(window, "&Send message\tCtrl+Enter")
        self.bulk = _action(window, "&Bulk send…\tCtrl+Shift+B")
        self.next_failure = _action(window, "&Next failure", "F8")
        self.previous_failure = _action(window, "&Previous failure", "Shift+F8")
        self.failures_only = _action(window, "Show only &failures")
        self.refresh = _action(window, "&Refresh", "F5")
        self.shortcuts = _action(window, "&Keyboard shortcuts")
        self.about = _action(window, "&About SMS Console")

    def build_menus(self, bar: QMenuBar, docks: Iterable[QDockWidget]) -> None:
        """File, Edit, Message, View (a toggle per dock) and Help."""
        menu = bar.addMenu("&File")
        menu.addActions([self.export, self.open_data])
        menu.addSeparator()
        menu.addAction(self.quit)
        menu = bar.addMenu("&Edit")
        menu.addAction(self.find)
        menu.addSeparator()
        menu.addAction(self.settings)
        menu = bar.addMenu("&Message")
        menu.addActions([self.compose, self.send, self.bulk])
        menu.addSeparator()
        menu.addActions(
            [self.next_failure, self.previous_failure, self.failures_only, self.refresh]
        )
        menu = bar.addMenu("&View")
        menu.addActions([dock.toggleViewAction() for dock in docks])
        menu = bar.addMenu("&Help")
        menu.addActions([self.shortcuts, self.about])


def show_shortcuts(parent: QWidget) -> None:
    """A box listing the keyboard shortcuts."""
    rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    QMessageBox.information(parent, "Keyboard shortcuts", f"<table>{rows}</table>")


def show_about(parent: QWidget) -> None:
    """The About box."""
    QMessageBox.about(
        parent,
        "About SMS Console",
        f"<b>SMS Console {__version__}</b><p>Send SMS through Twilio and watch every delivery "
        "live, with every failure explained.</p>",
    )
