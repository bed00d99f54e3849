"""The main window's actions with their keyboard shortcuts, its menu bar, and its help boxes.

The window's actions work anywhere in the window (``WindowShortcut``); a panel's own shortcuts
(Ctrl+Enter in Compose and the Inbox, Ctrl+R in the inspector, Delete in Trial numbers) act
where they are. Help › Keyboard shortcuts lists what is installed (:func:`shortcut_rows`), so
it cannot drift from the keys that work.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Final

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenuBar, QMessageBox, QWidget

from console import __version__
from console.ui.widgets.shortcut_guard import belongs_to, owner_widget

_NATIVE = QKeySequence.SequenceFormat.NativeText
# what a panel's shortcut does, by (panel, key); the panels' QShortcuts carry no description
PANEL_SHORTCUTS: Final = {
    ("Compose", "Ctrl+Return"): "Send the message",
    ("Compose", "Ctrl+Enter"): "Send the message",
    ("Inbox", "Ctrl+Return"): "Send the reply",
    ("Inbox", "Ctrl+Enter"): "Send the reply",
    ("Webhooks", "Ctrl+R"): "Replay the selected request to the local server",
    ("Trial numbers", "Del"): "Remove the selected verified number",
}
UNDESCRIBED: Final = "(no description)"


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
        # Ctrl+Enter belongs to the compose panel (it acts where the text is; the Inbox has its own)
        self.send = _action(window, "&Send message\tCtrl+Enter")
        self.bulk = _action(window, "&Bulk send…", "Ctrl+Shift+B")
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


def _keys(sequences: Iterable[QKeySequence]) -> str:
    return " / ".join(dict.fromkeys(k.toString(_NATIVE) for k in sequences if not k.isEmpty()))


def _panel_of(obj: QObject) -> str:
    widget = owner_widget(obj)
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    return widget.windowTitle() if widget is not None else ""


def _describe(panel: str, keys: list[QKeySequence], whats_this: str) -> str:
    portable = QKeySequence.SequenceFormat.PortableText
    what = whats_this or next(
        (
            PANEL_SHORTCUTS[panel, k.toString(portable)]
            for k in keys
            if (panel, k.toString(portable)) in PANEL_SHORTCUTS
        ),
        UNDESCRIBED,
    )
    return f"{what} (in {panel})" if panel else what


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """(keys, what they do) for every shortcut installed in ``window``: its own actions first,
    in the order they were made, then each panel's, saying where they act."""
    rows: dict[str, list[QKeySequence]] = {}
    actions = list(window.actions())
    actions += [a for a in window.findChildren(QAction) if a not in actions]
    for action in actions:
        if action.shortcuts() and belongs_to(window, owner_widget(action)):
            what = action.text().split("\t")[0].replace("&", "").rstrip("…")
            panel = "" if action in window.actions() else _panel_of(action)
            rows.setdefault(f"{what} (in {panel})" if panel else what, []).extend(
                action.shortcuts()
            )
    for shortcut in window.findChildren(QShortcut):
        if shortcut.keys() and belongs_to(window, owner_widget(shortcut)):
            panel = _panel_of(shortcut)
            what = _describe(panel, shortcut.keys(), shortcut.whatsThis())
            rows.setdefault(what, []).extend(shortcut.keys())
    return [(_keys(keys), what) for what, keys in rows.items()]


def show_shortcuts(window: QMainWindow) -> QMessageBox:
    """A box listing the keyboard shortcuts installed in the window (it does not block)."""
    rows = "".join(
        f'<tr><td style="white-space:nowrap"><b>{html.escape(k)}</b>&nbsp;&nbsp;</td>'
        f'<td style="white-space:nowrap">{html.escape(v)}</td></tr>'
        for k, v in shortcut_rows(window)
    )
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "Keyboard shortcuts",
        f"<table>{rows}</table>",
        QMessageBox.StandardButton.Close,
        window,
    )
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def show_about(parent: QWidget) -> None:
    """The About box."""
    QMessageBox.about(
        parent,
        "About SMS Console",
        f"<b>SMS Console {__version__}</b><p>Send SMS through Twilio and watch every delivery "
        "live, with every failure explained.</p>",
    )
