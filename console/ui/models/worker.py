"""Runs slow reads (a count over a million rows, statistics, an export) off the GUI thread.

A :class:`Worker` owns one background thread; each job's result (or error) is handed back to the
GUI thread through a queued signal, so callbacks always run where the widgets live. Jobs run one
at a time in submission order. After :meth:`shutdown` (or once the worker is destroyed with its
parent), results still to come are dropped.

Lifetimes matter with Qt: the callbacks (which reference widgets) stay in a table on the GUI
thread and only a job number crosses threads, so no widget can lose its last Python reference —
and be destroyed — on the worker thread. The job functions themselves must not capture widgets.
"""

from __future__ import annotations

import concurrent.futures
import functools
import itertools
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
Callbacks = tuple[Callable[[Any], None], Callable[[BaseException], None] | None]


@dataclass
class _Gate:
    """Whether results may still be delivered (shared with the worker thread, under a lock)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    open: bool = True


def _close(gate: _Gate, *_args: object) -> None:
    with gate.lock:
        gate.open = False


def weak(method: Callable[..., None], *first: Any) -> Callable[..., None]:
    """A callback calling the bound ``method`` (with ``first`` arguments) while its object lives.

    Callbacks kept by a worker must not hold their widget strongly: a reference cycle through
    a widget may otherwise be collected by the garbage collector on another thread.
    """
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        bound = ref()
        if bound is not None:
            bound(*first, *args)

    return call


class Worker(QObject):
    """One background thread for blocking reads, with results delivered on the GUI thread."""

    _deliver = Signal(int, bool, object)  # job number, succeeded, result or exception

    def __init__(self, name: str, parent: QObject) -> None:
        super().__init__(parent)  # a parent owns the worker, so no thread can delete it
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=name
        )
        self._gate = _Gate()
        self._jobs = itertools.count(1)
        self._callbacks: dict[int, Callbacks] = {}
        self._deliver.connect(self._run_callback, Qt.ConnectionType.QueuedConnection)
        self.destroyed.connect(functools.partial(_close, self._gate))
        weakref.finalize(self, self._executor.shutdown, wait=False, cancel_futures=True)

    def submit(
        self,
        fn: Callable[[], T],
        on_result: Callable[[T], None],
        on_error: Callable[[BaseException], None] | None = None,
    ) -> concurrent.futures.Future[T]:
        """Run ``fn`` on the worker thread; ``on_result``/``on_error`` run on the GUI thread."""
        if not self._gate.open:
            raise RuntimeError("the worker has been shut down")
        job = next(self._jobs)
        self._callbacks[job] = (on_result, on_error)
        future = self._executor.submit(fn)
        future.add_done_callback(functools.partial(_finished, self._gate, self._deliver, job))
        return future

    @Slot(int, bool, object)
    def _run_callback(self, job: int, ok: bool, value: object) -> None:
        on_result, on_error = self._callbacks.pop(job, (None, None))
        if on_result is None or not self._gate.open:
            return
        if ok:
            on_result(value)
        elif isinstance(value, concurrent.futures.CancelledError):
            return  # superseded (e.g. a newer reload); nothing to tell
        elif on_error is not None and isinstance(value, BaseException):
            on_error(value)
        elif isinstance(value, BaseException):
            log.error("background read failed", exc_info=value)

    def shutdown(self) -> None:
        """Stop accepting jobs, cancel queued ones and drop results still to come."""
        _close(self._gate)
        self._callbacks.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _finished(gate: _Gate, deliver: Any, job: int, future: concurrent.futures.Future[Any]) -> None:
    """Hand a finished job to the GUI thread (runs on the worker thread; holds no widget)."""
    value: object
    if future.cancelled():
        ok, value = False, concurrent.futures.CancelledError()  # lets the GUI forget the job
    elif (exc := future.exception()) is not None:
        ok, value = False, exc
    else:
        ok, value = True, future.result()
    with gate.lock:
        if gate.open:
            deliver.emit(job, ok, value)
