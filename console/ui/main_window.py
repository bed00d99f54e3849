"""The main window: wires the panels together; each panel does its own work in its own module.

Centre: the deliveries table above the selected delivery's timeline. Docks: Compose (left);
Inbox, Webhook inspector, Statistics, Doctor and Trial numbers (right, tabbed). Menus and
keyboard shortcuts drive everything; :meth:`MainWindow._connect_signals` is the one place where
panels, the bridge and actions are connected.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QCloseEvent, QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QSplitter,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from console.domain.model import DeliveryRecord
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
from console.ui.widgets.shortcut_guard import ShortcutGuard
from console.ui.window_actions import WindowActions, show_about, show_shortcuts

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)


COMPOSE_WIDTH = 300  # the docks' widths in the first layout, and what a squeezed dock regains
SIDE_WIDTH = 430


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
        self.commands = WindowActions(self)
        self.commands.build_menus(self.menuBar(), self.docks.values())
        self.shortcut_guard = ShortcutGuard(self)  # Ctrl+E and co. win in text fields
        self._connect_signals()
        self._on_core_state()
        self._restore_layout()
        self._initial_focus()

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

    def _connect_signals(self) -> None:
        bridge, actions = self.bridge, self.commands
        bridge.stateChanged.connect(self.status.on_state_changed)
        bridge.stateChanged.connect(self.banner.on_state_changed)
        bridge.stateChanged.connect(self._state_changed)
        bridge.deliveriesChanged.connect(self.notifier.on_deliveries_changed)
        self.deliveries.currentDeliveryChanged.connect(self.timeline.show_delivery)
        self.deliveries.message.connect(self._note)
        self.compose.sent.connect(self._sent)
        self.notifier.activated.connect(self.reveal_delivery)
        self.doctor.actionRequested.connect(self.doctor_action)
        if self.tray is not None:
            self.tray.activated.connect(self.activate)
        actions.export.triggered.connect(self.deliveries.ask_export)
        actions.open_data.triggered.connect(self._open_data_folder)
        actions.quit.triggered.connect(self.close)
        actions.find.triggered.connect(self.deliveries.focus_search)
        actions.settings.triggered.connect(self.open_settings)
        actions.compose.triggered.connect(self._focus_compose)
        actions.send.triggered.connect(self._send)
        actions.bulk.triggered.connect(self.compose.open_bulk)
        actions.next_failure.triggered.connect(self.deliveries.next_failure)
        actions.previous_failure.triggered.connect(self.deliveries.previous_failure)
        actions.failures_only.triggered.connect(self.deliveries.filter_bar.show_failures)
        actions.refresh.triggered.connect(self.deliveries.refresh)
        actions.shortcuts.triggered.connect(lambda: show_shortcuts(self))
        actions.about.triggered.connect(lambda: show_about(self))

    # -- public API ----------------------------------------------------------------------------
    @Slot()
    def activate(self) -> None:
        """Bring the window to the front (a second launch, the tray icon)."""
        if self.isMinimized():
            self.showNormal()
        self.show()
        self.raise_()
        self.activateWindow()

    @Slot(str)
    def doctor_action(self, action: str) -> None:
        """Carry out a doctor fix that belongs to the window (settings, inspector, trial)."""
        if action == "open_settings":
            self.open_settings()
        elif action in ("open_inspector", "verify_number"):
            dock = self.docks["inspector" if action == "open_inspector" else "trial"]
            dock.show()
            dock.raise_()
            if action == "verify_number":
                self.trial.verify()

    @Slot(int)
    def reveal_delivery(self, delivery_id: int) -> None:
        """Show a delivery: select its row when loaded, and its timeline in any case."""
        self.activate()
        if self.deliveries.reveal(delivery_id):
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
        # the record in hand is the timeline's until the row arrives: no read on this thread
        if isinstance(record, DeliveryRecord) and not self.deliveries.reveal(record.id):
            self.timeline.show_delivery(record)

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

    def _initial_focus(self) -> None:
        """Start where the operator starts: Compose's To field (or the deliveries, when the
        restored layout hides Compose); without it the banner's close button took the focus."""
        compose = self.docks["compose"]
        target = self.compose.to_edit if not compose.isHidden() else self.deliveries.table
        target.setFocus(Qt.FocusReason.OtherFocusReason)

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
            self.resizeDocks(
                [self.docks["compose"], right],
                [COMPOSE_WIDTH, SIDE_WIDTH],
                Qt.Orientation.Horizontal,
            )
            self.splitter.setSizes([450, 370])

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt gives a growing window's new width to the centre only: docks squeezed when it was
        small would stay squeezed (tabs cut to "Webhoo…"), so they get their width back."""
        super().resizeEvent(event)
        if event.oldSize().isValid() and event.size().width() > event.oldSize().width():
            QTimer.singleShot(0, self._widen_squeezed_docks)  # once the layout has settled

    def _widen_squeezed_docks(self) -> None:
        placed = [
            (dock, COMPOSE_WIDTH if key == "compose" else SIDE_WIDTH)
            for key, dock in self.docks.items()
            if dock.isVisible() and not dock.isFloating()
        ]
        # a tabbed group shows one dock at a time: one entry per side is enough
        squeezed = {self.dockWidgetArea(d): (d, w) for d, w in placed if d.width() < w}
        central = self.centralWidget()
        room = 0 if central is None else central.width() - central.minimumSizeHint().width()
        if squeezed and room > 0:
            share = room // len(squeezed)
            docks = [d for d, _ in squeezed.values()]
            widths = [min(w, d.width() + share) for d, w in squeezed.values()]
            self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

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
