"""Cyclic garbage is collected on the GUI thread, never on a worker thread."""

from __future__ import annotations

import gc
import threading

from pytestqt.qtbot import QtBot

from console.ui.gc_guard import GuiGarbageCollector


class Cycle:
    """An object in a reference cycle that notes which thread finalised it."""

    def __init__(self, seen: list[str]) -> None:
        self.me = self
        self.seen = seen

    def __del__(self) -> None:
        self.seen.append(threading.current_thread().name)


def test_cycles_are_freed_on_the_gui_thread(
    qtbot: QtBot, gui_thread_gc: GuiGarbageCollector
) -> None:
    assert not gc.isenabled()
    seen: list[str] = []

    def churn() -> None:  # a worker thread leaving cyclic garbage, enough to pass gen 0
        for _ in range(5 * gc.get_threshold()[0]):
            Cycle(seen)

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()
    assert seen == []  # the worker's garbage was not collected there
    qtbot.waitUntil(lambda: seen != [], timeout=5000)
    assert set(seen) == {threading.current_thread().name}
