"""The main window: wires the panels together; each panel does its own work in its own module.

Centre: the deliveries table above the selected delivery's timeline. Docks: Compose (left);
Inbox, Webhook inspector, Statistics, Doctor and Trial numbers (right, tabbed). Menus and
keyboard shortcuts drive everything; :meth:`MainWindow._connect_signals` is the one place where
panels, the bridge and actions are connected.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from console import __version__
from console.runtime import Bridge, Runtime
from console.settings import Settings
from console.ui.compose import ComposePanel
from console.ui.deliveries import DeliveriesPanel
from console.ui.doctor_panel import DoctorPanel
from console.ui.inbox import InboxPanel
from console.ui.inspector import InspectorPanel
from console.ui.notify import FailureNotifier
from console.ui.settings_dialog import SettingsDialog
from console.ui.stats_panel import StatsPanel
from console.ui.status_bar import AppStatusBar, ModeBanner
from console.ui.theme import apply_theme
from console.ui.timeline import TimelinePanel
from console.ui.trial_panel import TrialPanel
from console.ui.widgets.resources import app_icon

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)

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


class MainWindow(QMainWindow):
    """The operator's window (see module doc)."""

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.setWindowTitle("SMS Console")
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)
        reader = core.reader

        self.banner = ModeBanner(self)
        self.deliveries = DeliveriesPanel(reader, bridge, core.settings.profiles, self)
        self.timeline = TimelinePanel(reader, bridge, self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.addWidget(self.deliveries)
        self.splitter.addWidget(self.timeline)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        self.compose = ComposePanel(core, runtime, bridge, self)
        self.inbox = InboxPanel(core, runtime, bridge, self)
        self.inspector = InspectorPanel(core, runtime, bridge, self)
        self.stats = StatsPanel(reader, bridge, self)
        self.trial = TrialPanel(core, runtime, bridge, self)
        self.doctor = DoctorPanel(core, runtime, bridge, self)
        self.docks: dict[str, QDockWidget] = {}
        self._dock("compose", "Compose", self.compose, Qt.DockWidgetArea.LeftDockWidgetArea)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        for key, title, panel in (
            ("inbox", "Inbox", self.inbox),
            ("inspector", "Webhooks", self.inspector),
            ("stats", "Statistics", self.stats),
            ("doctor", "Doctor", self.doctor),
            ("trial", "Trial numbers", self.trial),
        ):
            self._dock(key, title, panel, right)
        right_docks = [d for k, d in self.docks.items() if k != "compose"]
        for other in right_docks[1:]:
            self.tabifyDockWidget(right_docks[0], other)
        right_docks[0].raise_()

        self.status = AppStatusBar(self)
        self.setStatusBar(self.status)
        self.tray = self._tray_icon()
        self.notifier = FailureNotifier(self.tray, core.settings.notifications, self)
        self._build_actions()
        self._build_menus()
        self._connect_signals()
        self._on_core_state()
        self._restore_layout()

    # -- construction ----------------------------------------------------------------------------
    def _dock(self, key: str, title: str, panel: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(panel)
        dock.setAccessibleName(title)
        self.addDockWidget(area, dock)
        self.docks[key] = dock

    def _tray_icon(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            return None
        tray = QSystemTrayIcon(app_icon(), self)
        tray.setToolTip("SMS Console")
        menu = QMenu(self)
        menu.addAction("Show the console", self.activate)
        menu.addAction("Quit", QApplication.quit)
        tray.setContextMenu(menu)
        tray.show()
        return tray

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.export_action = self._action("&Export visible deliveries…", "Ctrl+E")
        self.open_data_action = self._action("Open &data folder")
        self.quit_action = self._action("&Quit", "Ctrl+Q")
        self.find_action = self._action("&Find deliveries", "Ctrl+F")
        self.settings_action = self._action("&Settings…", "Ctrl+,")
        self.compose_action = self._action("&New message", "Ctrl+N")
        self.send_action = self._action("&Send message\tCtrl+Enter")
        self.bulk_action = self._action("&Bulk send…\tCtrl+Shift+B")
        self.next_failure_action = self._action("&Next failure", "F8")
        self.previous_failure_action = self._action("&Previous failure", "Shift+F8")
        self.failures_only_action = self._action("Show only &failures")
        self.refresh_action = self._action("&Refresh", "F5")
        self.shortcuts_action = self._action("&Keyboard shortcuts")
        self.about_action = self._action("&About SMS Console")

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        for action in (self.export_action, self.open_data_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.find_action)
        edit.addSeparator()
        edit.addAction(self.settings_action)
        message = bar.addMenu("&Message")
        for action in (self.compose_action, self.send_action, self.bulk_action):
            message.addAction(action)
        message.addSeparator()
        for action in (
            self.next_failure_action,
            self.previous_failure_action,
            self.failures_only_action,
            self.refresh_action,
        ):
            message.addAction(action)
        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self.about_action)

    def _connect_signals(self) -> None:
        bridge = self.bridge
        bridge.stateChanged.connect(self.status.on_state_changed)
        bridge.stateChanged.connect(self.banner.on_state_changed)
        bridge.stateChanged.connect(self._state_changed)
        bridge.deliveriesChanged.connect(self.notifier.on_deliveries_changed)
        self.deliveries.currentDeliveryChanged.connect(self.timeline.show_delivery)
        self.deliveries.message.connect(self._note)
        self.compose.sent.connect(self._sent)
        self.notifier.activated.connect(self.reveal_delivery)
        if self.tray is not None:
            self.tray.activated.connect(self.activate)
        self.export_action.triggered.connect(self.deliveries.ask_export)
        self.open_data_action.triggered.connect(self._open_data_folder)
        self.quit_action.triggered.connect(self.close)
        self.find_action.triggered.connect(self.deliveries.focus_search)
        self.settings_action.triggered.connect(self.open_settings)
        self.compose_action.triggered.connect(self._focus_compose)
        self.send_action.triggered.connect(self._send)
        self.bulk_action.triggered.connect(self.compose.open_bulk)
        self.next_failure_action.triggered.connect(self.deliveries.next_failure)
        self.previous_failure_action.triggered.connect(self.deliveries.previous_failure)
        self.failures_only_action.triggered.connect(self.deliveries.filter_bar.show_failures)
        self.refresh_action.triggered.connect(self.deliveries.refresh)
        self.shortcuts_action.triggered.connect(self._show_shortcuts)
        self.about_action.triggered.connect(self._about)

    # -- public API ----------------------------------------------------------------------------
    @Slot()
    def activate(self) -> None:
        """Bring the window to the front (a second launch, the tray icon)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    @Slot(int)
    def reveal_delivery(self, delivery_id: int) -> None:
        """Show a delivery: select its row when loaded, and its timeline in any case."""
        self.activate()
        row = self.deliveries.model.row_of_id(delivery_id)
        if row is not None:
            self.deliveries.select_row(row)
            return
        record = self.core.reader.delivery(delivery_id)
        if record is not None:
            self.timeline.show_delivery(record)

    @Slot()
    def open_settings(self) -> SettingsDialog:
        """Open the settings dialog (non-modal; applied when saved)."""
        dialog = SettingsDialog(self.core, self.runtime, self.bridge, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self.apply_settings)
        dialog.open()
        return dialog

    @Slot(object)
    def apply_settings(self, settings: Settings) -> None:
        """Follow settings the dialog saved: theme, notifications, profiles."""
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)
        self.notifier.set_enabled(settings.notifications)
        self.deliveries.filter_bar.set_profiles(settings.profiles)

    # -- slots -----------------------------------------------------------------------------------
    @Slot(str, object)
    def _state_changed(self, topic: str, _state: object) -> None:
        if topic == "core":
            self._on_core_state()

    def _on_core_state(self) -> None:
        state = self.core.state
        self.status.set_core_state(state)
        self.banner.set_core_state(state)
        mode = {"demo": " — DEMO MODE", "stopped": " — stopped"}.get(state.mode, "")
        self.setWindowTitle(f"SMS Console{mode}")

    @Slot(str)
    def _note(self, text: str) -> None:
        self.status.showMessage(text, 8000)

    @Slot(object)
    def _sent(self, record: object) -> None:
        delivery_id = getattr(record, "id", None)
        if isinstance(delivery_id, int):
            self.reveal_delivery(delivery_id)

    @Slot()
    def _focus_compose(self) -> None:
        self.docks["compose"].show()
        self.docks["compose"].raise_()
        self.compose.to_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    @Slot()
    def _send(self) -> None:
        self.docks["compose"].show()
        self.compose.send()

    @Slot()
    def _open_data_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.core.settings.data_dir)))

    @Slot()
    def _show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in SHORTCUTS
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    @Slot()
    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About SMS Console",
            f"<b>SMS Console {__version__}</b><p>Send SMS through Twilio and watch every "
            "delivery live.</p>",
        )

    # -- layout persistence and shutdown ---------------------------------------------------------
    def _layout_store(self) -> QSettings:
        path = self.core.settings.data_dir / "window.ini"
        return QSettings(str(path), QSettings.Format.IniFormat)

    def _restore_layout(self) -> None:
        store = self._layout_store()
        geometry = store.value("geometry")
        state = store.value("state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        columns = store.value("deliveries/header")
        if isinstance(columns, QByteArray):
            self.deliveries.restore_header_state(columns)
        if not isinstance(state, QByteArray) or not self.restoreState(state):
            right = next(d for k, d in self.docks.items() if k != "compose")
            self.resizeDocks([self.docks["compose"], right], [300, 430], Qt.Orientation.Horizontal)
            self.splitter.setSizes([450, 370])

    def closeEvent(self, event: QCloseEvent) -> None:
        store = self._layout_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState())
        store.setValue("deliveries/header", self.deliveries.header_state())
        store.sync()
        self.deliveries.shutdown()
        self.stats.shutdown()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
