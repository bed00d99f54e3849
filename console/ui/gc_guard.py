"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold is
crossed — often the runtime or a worker thread. If a cycle it frees holds a Qt widget, the
widget is destroyed on that thread, and Qt crashes. The usual remedy (used by PyQt apps for
this exact crash): switch automatic collection off and collect from a QTimer on the GUI thread,
generation by generation, when the thresholds say so.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer, Slot

log = logging.getLogger(__name__)


class GuiGarbageCollector(QObject):
    """Runs the cyclic collector from the GUI thread while it is installed."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._was_enabled = gc.isenabled()

    def install(self) -> None:
        """Disable automatic collection and start collecting on this (the GUI) thread."""
        gc.disable()
        self._timer.start()

    def uninstall(self) -> None:
        """Stop, collect once more here, and restore automatic collection as it was."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()

    @Slot()
    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        thresholds = gc.get_threshold()
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                found = gc.collect(generation)
                if found:
                    log.debug("gc generation %d freed %d objects", generation, found)
                return
