"""The runtime thread (one asyncio loop for all I/O) and the Qt bridge to the GUI thread.

* :class:`Runtime` owns an event loop on its own thread: started before the window shows,
  shut down on quit (registered cleanups in reverse order, remaining tasks cancelled and awaited,
  async generators and the default executor shut down, loop closed, thread joined). Tasks started
  through :meth:`Runtime.spawn` are strongly referenced until they finish.
* GUI → runtime: :meth:`Runtime.submit` (``run_coroutine_threadsafe``); :meth:`Bridge.call` adds
  a done-callback that hands the result back to the GUI thread through a queued signal.
* Runtime → GUI: :class:`Bridge` signals carrying frozen dataclasses. Store changes are
  *coalesced*: any number of commits within ``interval_ms`` become one emission per kind.

Only QtCore is used here; nothing in this module knows a widget.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from console.domain.model import (
    DeliveryRecord,
    EventRecord,
    InboundRecord,
    OptOutRecord,
    StoreChange,
    WebhookRequestRecord,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
Cleanup = Callable[[], Awaitable[None]]


class Runtime:
    """One asyncio event loop on a dedicated thread."""

    def __init__(self, name: str = "runtime") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._ready = threading.Event()
        self._cleanups: list[Cleanup] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopped = False

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def start(self) -> None:
        """Start the thread and wait until its loop runs."""
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the runtime thread did not start within 10 s")

    @property
    def running(self) -> bool:
        """Whether the loop thread is alive and accepting work."""
        return self._thread.is_alive() and not self._stopped

    def in_loop_thread(self) -> bool:
        """Whether the caller runs on the runtime thread."""
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run a coroutine on the loop from any thread; returns a thread-safe future."""
        if self._stopped:
            coro.close()
            raise RuntimeError("the runtime has been stopped")
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Start a task on the loop (call from the loop thread); kept alive until done."""
        task = self.loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def add_cleanup(self, cleanup: Cleanup) -> None:
        """Register an async cleanup to run on stop (last registered runs first)."""
        self._cleanups.append(cleanup)

    def stop(self, timeout: float = 15.0) -> None:
        """Run cleanups, cancel what is left, close the loop and join the thread."""
        if self._stopped or not self._thread.is_alive():
            self._stopped = True
            if not self._thread.is_alive() and not self.loop.is_closed():
                self.loop.close()  # never started (or already gone): release the loop's sockets
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)
        try:
            future.result(timeout=timeout)
        except Exception:
            log.exception("runtime shutdown did not complete cleanly")
        self._stopped = True
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=timeout)
        if not self._thread.is_alive():
            self.loop.close()

    async def _shutdown(self) -> None:
        for cleanup in reversed(self._cleanups):
            try:
                await cleanup()
            except Exception:
                log.exception("a runtime cleanup failed")
        self._cleanups.clear()
        current = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks(self.loop) if t is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self.loop.shutdown_asyncgens()
        await self.loop.shutdown_default_executor()


class Bridge(QObject):
    """Typed signals from the runtime to the GUI thread, coalesced under load.

    :meth:`publish` may be called from any thread. Emissions happen on the thread that owns the
    bridge (the GUI thread), at most once per ``interval_ms`` per kind, each carrying the batch.
    """

    deliveriesChanged = Signal(object)  # tuple[DeliveryRecord, ...] (latest snapshot per id)
    deliveriesRemoved = Signal(object)  # tuple[int, ...]
    eventsAdded = Signal(object)  # tuple[EventRecord, ...]
    inboundAdded = Signal(object)  # tuple[InboundRecord, ...]
    optOutsChanged = Signal(object)  # tuple[OptOutRecord, ...]
    requestsAdded = Signal(object)  # tuple[WebhookRequestRecord, ...]
    stateChanged = Signal(str, object)  # (topic, frozen dataclass), e.g. ("tunnel", TunnelState)
    flushed = Signal()  # after each coalesced emission (tests and benchmarks)

    _wake = Signal()
    _deliver = Signal(object)
    _answer = Signal(object)  # (token, error, result, cancelled) of a Bridge.call

    def __init__(self, interval_ms: int = 100, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._deliveries: dict[int, DeliveryRecord] = {}
        self._removed: list[int] = []
        self._events: list[EventRecord] = []
        self._inbound: list[InboundRecord] = []
        self._opt_outs: dict[str, OptOutRecord] = {}
        self._requests: list[WebhookRequestRecord] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._flush)
        self._wake.connect(self._schedule, Qt.ConnectionType.QueuedConnection)
        self._deliver.connect(self._run_callback, Qt.ConnectionType.QueuedConnection)
        self._answer.connect(self._on_answer, Qt.ConnectionType.QueuedConnection)
        self._callbacks: dict[
            int, tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None]
        ] = {}
        self._tokens = itertools.count()
        self.emissions = 0

    # -- runtime → GUI ------------------------------------------------------------------------
    def publish(self, change: StoreChange) -> None:
        """Queue a store change for the next coalesced emission (any thread)."""
        with self._lock:
            was_empty = self._empty()
            for d in change.deliveries:
                self._deliveries[d.id] = d
            for i in change.removed_deliveries:
                self._deliveries.pop(i, None)
                self._removed.append(i)
            self._events.extend(change.events)
            self._inbound.extend(change.inbound)
            for o in change.opt_outs:
                self._opt_outs[o.number] = o
            self._requests.extend(change.requests)
        if was_empty:
            self._wake.emit()

    def publish_state(self, topic: str, state: object) -> None:
        """Tell the GUI about a service's new state (any thread; not coalesced)."""
        self._deliver.emit((self.stateChanged.emit, (topic, state)))

    def _empty(self) -> bool:
        return not (
            self._deliveries
            or self._removed
            or self._events
            or self._inbound
            or self._opt_outs
            or self._requests
        )

    @Slot()
    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _flush(self) -> None:
        with self._lock:
            deliveries = tuple(self._deliveries.values())
            removed = tuple(self._removed)
            events = tuple(self._events)
            inbound = tuple(self._inbound)
            opt_outs = tuple(self._opt_outs.values())
            requests = tuple(self._requests)
            self._deliveries, self._removed, self._events = {}, [], []
            self._inbound, self._opt_outs, self._requests = [], {}, []
        self.emissions += 1
        if removed:
            self.deliveriesRemoved.emit(removed)
        if deliveries:
            self.deliveriesChanged.emit(deliveries)
        if events:
            self.eventsAdded.emit(events)
        if inbound:
            self.inboundAdded.emit(inbound)
        if opt_outs:
            self.optOutsChanged.emit(opt_outs)
        if requests:
            self.requestsAdded.emit(requests)
        self.flushed.emit()

    # -- GUI → runtime → GUI -------------------------------------------------------------------
    def call(
        self,
        runtime: Runtime,
        coro: Coroutine[Any, Any, T],
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the runtime; its result or error comes back on the GUI thread.

        Call from the GUI thread. The callbacks stay on the GUI side, keyed by a token: the
        runtime thread only ever holds the token, so it can never drop the last reference to
        a widget (Qt would then destroy it on the wrong thread).
        """
        token = next(self._tokens)
        self._callbacks[token] = (on_result, on_error)
        future = runtime.submit(coro)
        future.add_done_callback(functools.partial(self._settled, token))
        return future

    def _settled(self, token: int, future: concurrent.futures.Future[Any]) -> None:
        """Runs on whichever thread completed the future: hand the outcome to the GUI thread."""
        if future.cancelled():
            self._answer.emit((token, None, None, True))
            return
        exc = future.exception()
        self._answer.emit((token, exc, None if exc is not None else future.result(), False))

    @Slot(object)
    def _on_answer(self, item: tuple[int, BaseException | None, Any, bool]) -> None:
        token, exc, value, cancelled = item
        on_result, on_error = self._callbacks.pop(token, (None, None))
        if cancelled:
            return
        if exc is not None:
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background call failed", exc_info=exc)
        elif on_result is not None:
            on_result(value)

    @Slot(object)
    def _run_callback(self, item: tuple[Callable[..., None], tuple[Any, ...]]) -> None:
        func, args = item
        func(*args)
