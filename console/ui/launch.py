"""Start the GUI: application, theme, single instance, runtime, core, window; and shut down cleanly.

Order (DESIGN.md "The shape"): the Runtime thread starts before any window shows; ``Core`` is
started on it through the Bridge, so the GUI thread never waits for the database upgrade, the
keyring or the tunnel; the main window appears once the services run, or a dialog says why they
could not start. On quit: ``core.stop()`` then ``runtime.stop()``. A second launch on the same
data directory raises the first window and exits 0.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    Qt,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox

from console.core import Core
from console.runtime import Bridge, Runtime
from console.settings import Settings
from console.ui.gc_guard import GuiGarbageCollector
from console.ui.main_window import MainWindow
from console.ui.single_instance import SingleInstance
from console.ui.theme import apply_theme
from console.ui.widgets.resources import app_icon

log = logging.getLogger(__name__)
qt_log = logging.getLogger("qt")

STOP_TIMEOUT = 20.0
_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
MessageHandler = Callable[[QtMsgType, QMessageLogContext, str], Any]


def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Route a Qt message into :mod:`logging` (logger ``qt``)."""
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def settle_heap() -> None:
    """Collect once, then move every live object to the permanent generation (``gc.freeze``).

    Full collections otherwise walk all the long-lived start-up objects (imported modules, the
    window) each time the writer's churn triggers one, holding the GIL — and so stalling the
    GUI thread — for about 100 ms. Frozen, they are skipped; later garbage is still collected.
    """
    gc.collect()
    gc.freeze()


def application() -> QApplication:
    """The QApplication (created once), named and with the console's icon."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("SMS Console")
    app.setOrganizationName("sms-console")
    app.setDesktopFileName("sms-console")
    app.setWindowIcon(app_icon())
    return app


class GuiApp(QObject):
    """One GUI session: the services on the runtime thread and the window on the GUI thread."""

    started = Signal(object)  # MainWindow
    failed = Signal(str)  # why the services could not start

    def __init__(self, settings: Settings, app: QApplication) -> None:
        super().__init__()
        self.settings = settings
        self.app = app
        self.instance = SingleInstance(settings.data_dir, self)
        self.runtime = Runtime()
        self.bridge = Bridge()
        self.core: Core | None = None
        self.window: MainWindow | None = None
        self.error_box: QMessageBox | None = None
        self._wants_front = False
        self._following_scheme = False
        self.collector = GuiGarbageCollector(self)

    def start(self) -> None:
        """Start the runtime and the services; the window follows when they run."""
        self.collector.install()  # before any other thread runs Python code
        self.instance.listen()
        self.instance.activated.connect(self._activate)
        apply_theme(self.app, self.settings.theme)
        self.app.styleHints().colorSchemeChanged.connect(self._color_scheme_changed)
        self._following_scheme = True
        self.runtime.start()
        self.core = Core(
            self.settings, publish=self.bridge.publish, publish_state=self.bridge.publish_state
        )
        self.bridge.call(self.runtime, self.core.start(), self._on_started, self._on_failed)

    def _on_started(self, _result: None) -> None:
        assert self.core is not None
        log.info("services started (%s mode)", self.core.state.mode)
        self.window = MainWindow(self.core, self.runtime, self.bridge)
        self.window.show()
        if self._wants_front:
            self.window.activate()
        settle_heap()
        self.started.emit(self.window)

    def _on_failed(self, exc: BaseException) -> None:
        log.error("the console could not start", exc_info=exc)
        text = str(exc) or type(exc).__name__
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "SMS Console could not start",
            f"The console could not start its services:\n\n{text}",
            QMessageBox.StandardButton.Close,
        )
        box.setInformativeText(
            f"Data directory: {self.settings.data_dir}\n"
            f"Details are in the log: {self.settings.log_dir / 'console.log'}"
        )
        box.setWindowIcon(app_icon())
        box.finished.connect(lambda _code: self.app.exit(1))
        self.error_box = box
        box.open()
        self.failed.emit(text)

    def _color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        theme = self.core.settings.theme if self.core is not None else self.settings.theme
        if theme == "system":  # follow the desktop switching between light and dark
            apply_theme(self.app, theme)

    def _activate(self) -> None:
        if self.window is not None:
            self.window.activate()
        else:
            self._wants_front = True

    def shutdown(self) -> None:
        """Close the window, stop the services, then the runtime (idempotent)."""
        if self._following_scheme:
            self.app.styleHints().colorSchemeChanged.disconnect(self._color_scheme_changed)
            self._following_scheme = False
        if self.window is not None:
            self.window.close()
        if self.core is not None and self.runtime.running:
            try:
                self.runtime.submit(self.core.stop()).result(timeout=STOP_TIMEOUT)
            except Exception:
                log.exception("the services did not stop cleanly")
        self.runtime.stop()
        self.instance.close()
        self.collector.uninstall()


def run_gui(settings: Settings) -> int:
    """Run the window until it is closed; returns the exit status."""
    app = application()
    previous: MessageHandler | None = qInstallMessageHandler(qt_message_handler)
    try:
        if SingleInstance(settings.data_dir).notify_running():
            return 0
        session = GuiApp(settings, app)
        app.setQuitOnLastWindowClosed(True)
        session.start()
        try:
            code = app.exec()
        finally:
            session.shutdown()
        log.info("the console exited with status %d", code)
        return code
    finally:
        qInstallMessageHandler(previous)


__all__ = [
    "GuiApp",
    "application",
    "qt_message_handler",
    "run_gui",
    "settle_heap",
]
