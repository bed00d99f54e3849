"""The single writer: every database write, group-committed, on one connection and one thread.

Callers on the runtime loop call an operation, which queues the write at once and returns a
future to ``await``; operations queue up while the previous batch
commits, and the next batch takes everything queued (up to ``max_batch``) into one transaction.
A caller's await returns only after the commit holding its write — so a webhook answered 200 is
durable — while thousands of writes per second share a handful of commits.

The blocking SQL runs on a dedicated one-thread executor that owns the only writing connection;
the loop stays free for the HTTP server. After each commit, subscribers receive one
:class:`~console.domain.model.StoreChange` on the loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from console.domain.model import (
    DeliveryRecord,
    EventIn,
    EventRecord,
    InboundIn,
    InboundRecord,
    NewDelivery,
    OptOutRecord,
    SendState,
    StoreChange,
    WebhookRequestIn,
    WebhookRequestRecord,
)
from console.store import ops, rawsql
from console.store.batch import Touched, recover
from console.store.batch import prefetch as batch_prefetch
from console.store.db import make_writer_engine, sqlite_file
from console.store.pending import DeliveryRow, PendingRequest
from console.store.records import inbound_record, opt_out_record
from console.store.writer_lock import WriterLock

log = logging.getLogger(__name__)

T = TypeVar("T")
DeliveryConverter = Callable[[DeliveryRow], DeliveryRecord]
Convert = Callable[[Any, DeliveryConverter], Any]  # (op result, memoised delivery record)


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """What recording an event did."""

    event: EventRecord | None
    delivery: DeliveryRecord | None
    duplicate: bool


@dataclass(slots=True)
class _Job:
    """One queued write: ``op(session, touched, *args)``, and optionally a request-log entry
    written in the same savepoint (a webhook's event and its log entry commit together)."""

    op: Callable[..., Any]
    args: tuple[Any, ...]
    convert: Convert
    future: asyncio.Future[Any]
    hint: EventIn | None = None  # lets the batch prefetch what the op will look up
    request: WebhookRequestIn | None = None

    def run(self, session: Session, touched: Touched) -> Any:
        raw = self.op(session, touched, *self.args)
        if self.request is not None:
            ops.log_request(session, touched, self.request)
        return raw


class WriterClosed(RuntimeError):
    """The writer was closed; the write was not accepted."""


class Writer:
    """The one writing connection, with group commit. Create and use on the runtime loop."""

    def __init__(
        self,
        url: str,
        *,
        max_batch: int = 2000,
        request_retention: int = 10_000,
        fast_sql: bool = True,
    ):
        """``fast_sql=False`` keeps every write on SQLAlchemy Core (what non-SQLite databases
        use); tests compare the two paths."""
        self._engine = make_writer_engine(url)
        file = sqlite_file(url)
        self._lock = WriterLock(file) if file is not None else None
        self._fast = rawsql.for_dialect(self._engine.dialect) if fast_sql else None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-writer")
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._max_batch = max_batch
        self._retention = request_retention
        self._listeners: list[Callable[[StoreChange], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._open: tuple[Connection, Session] | None = None  # writer thread only
        self._committing = False  # writer thread only: set while a batch's COMMIT runs
        self._closed = False
        self.commits = 0

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the commit loop on the running event loop.

        Raises :class:`~console.store.writer_lock.DatabaseInUse` when another process writes to
        the same SQLite file.
        """
        if self._lock is not None:
            self._lock.acquire()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="db-writer")

    async def close(self) -> None:
        """Commit everything already queued, then stop and release the connection."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            await self._queue.join()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.get_running_loop().run_in_executor(self._executor, self._release)
        self._executor.shutdown(wait=True)

    def subscribe(self, listener: Callable[[StoreChange], None]) -> None:
        """Call ``listener`` (on the loop thread) with what each committed batch changed."""
        self._listeners.append(listener)

    # -- operations --------------------------------------------------------------------------
    def add_delivery(self, new: NewDelivery) -> asyncio.Future[DeliveryRecord]:
        """Record one outbound message before it is sent."""
        return self._submit(ops.add_delivery, (new,), _delivery)

    def add_deliveries(self, news: Sequence[NewDelivery]) -> asyncio.Future[list[DeliveryRecord]]:
        """Record many outbound messages in one transaction (a bulk send)."""
        return self._submit(_add_all, (tuple(news),), _deliveries)

    def record_event(
        self, ev: EventIn, *, logged: WebhookRequestIn | None = None
    ) -> asyncio.Future[EventOutcome]:
        """Append an observation once and advance its delivery's status.

        ``logged`` is the webhook request that carried the event: its log entry is written in
        the same unit (both or neither), so one future covers the pair.
        """
        return self._submit(ops.record_event, (ev,), _outcome, hint=ev, request=logged)

    def transition(
        self,
        delivery_id: int,
        state: SendState,
        *,
        sid: str | None = None,
        event: EventIn | None = None,
    ) -> asyncio.Future[DeliveryRecord]:
        """Move a delivery along the send pipeline (atomically with its event, if any)."""
        return self._submit(_transition, (delivery_id, state, sid, event), _delivery)

    def record_inbound(
        self,
        msg: InboundIn,
        *,
        opt_out: bool | None = None,
        keyword: str | None = None,
        logged: WebhookRequestIn | None = None,
    ) -> asyncio.Future[InboundRecord | None]:
        """Store an inbound SMS once (None for a repeat), with its opt-out/opt-in effect.

        ``logged``: the webhook request that carried it, logged in the same unit.
        """
        return self._submit(ops.record_inbound, (msg, opt_out, keyword), _inbound, request=logged)

    def set_opt_out(
        self, number: str, opted_out: bool, keyword: str, message_sid: str | None = None
    ) -> asyncio.Future[OptOutRecord]:
        """Set a number's opt-out state by hand (the operator's decision)."""
        return self._submit(ops.set_opt_out, (number, opted_out, keyword, message_sid), _opt_out)

    def log_request(self, req: WebhookRequestIn) -> asyncio.Future[WebhookRequestRecord]:
        """Append a request to the inspector's log (bounded retention)."""
        return self._submit(ops.log_request, (req,), _request)

    # -- machinery ---------------------------------------------------------------------------
    def _submit(
        self,
        op: Callable[..., Any],
        args: tuple[Any, ...],
        convert: Convert,
        *,
        hint: EventIn | None = None,
        request: WebhookRequestIn | None = None,
    ) -> asyncio.Future[Any]:
        """Queue a write now (so its order is the call order); the future resolves at commit."""
        if self._closed:
            raise WriterClosed("the database writer is closed; the write was not accepted")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Job(op, args, convert, future, hint, request))
        return future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                results, change = await loop.run_in_executor(self._executor, self._apply, batch)
            except Exception as exc:  # commit failed: every caller in the batch learns it
                log.exception("database commit failed for a batch of %d writes", len(batch))
                results, change = [exc] * len(batch), StoreChange()
            for job, result in zip(batch, results, strict=True):
                if not job.future.done():
                    if isinstance(result, BaseException):
                        job.future.set_exception(result)
                    else:
                        job.future.set_result(result)
                self._queue.task_done()
            if change:
                for listener in self._listeners:
                    try:
                        listener(change)
                    except Exception:
                        log.exception("a store listener failed")

    def _session(self) -> Session:
        """The writer's session, on its one connection (kept open across batches: opening a
        connection and a session per batch costs more than a batch of callbacks)."""
        if self._open is None:
            conn = self._engine.connect()
            self._open = (conn, Session(bind=conn, expire_on_commit=False, autoflush=False))
        return self._open[1]

    def _discard(self) -> None:
        """Drop the session and its connection (after a failure: the next batch reconnects)."""
        if self._open is not None:
            conn, session = self._open
            self._open = None
            try:
                session.close()
            finally:
                conn.close()

    def _release(self) -> None:
        try:
            self._discard()
        finally:
            self._engine.dispose()
            if self._lock is not None:
                self._lock.release()

    def _apply(self, batch: list[_Job]) -> tuple[list[Any], StoreChange]:
        """Run a batch in one transaction; on a failing op, redo the batch op by op.

        The connection is kept across batches, so a server that dropped it meanwhile (a
        PostgreSQL restart, an idle timeout) fails the next batch before anything was written:
        that batch is run once more on a new connection. A connection lost during COMMIT is
        not retried (the commit may have happened); the callers get the error.
        """
        try:
            return self._apply_batch(batch)
        except DBAPIError as exc:
            if not exc.connection_invalidated or self._committing:
                raise
            log.warning("the database connection was lost; retrying the batch on a new one")
            return self._apply_batch(batch)

    def _apply_batch(self, batch: list[_Job]) -> tuple[list[Any], StoreChange]:
        try:
            return self._apply_all(batch, isolate=False)
        except _OpFailed as failed:
            if isinstance(failed.__cause__, DBAPIError) and failed.__cause__.connection_invalidated:
                raise failed.__cause__ from None  # not the op's fault: reconnect, not isolate
            return self._apply_all(batch, isolate=True)

    def _apply_all(self, batch: list[_Job], *, isolate: bool) -> tuple[list[Any], StoreChange]:
        self._committing = False
        touched = Touched(fast=self._fast)
        results: list[Any] = []
        session = self._session()
        try:
            batch_prefetch(
                touched.connection(session),
                touched.cache,
                [j.hint for j in batch if j.hint is not None],
                self._fast,
            )
            for job in batch:
                if not isolate:
                    try:
                        results.append(job.run(session, touched))
                    except Exception as exc:
                        raise _OpFailed from exc
                    continue
                savepoint = session.begin_nested()
                session.connection()  # emits the SAVEPOINT now: ops use the cached connection
                mine = Touched(cache=touched.cache, fast=self._fast, conn=touched.conn)
                try:
                    raw = job.run(session, mine)
                    mine.write_pending(session)  # inside the savepoint: its failure is this op's
                    savepoint.commit()
                except Exception as exc:
                    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                        raise  # the connection's fault, not the op's: the batch is retried
                    savepoint.rollback()
                    results.append(exc)
                    touched.cache = recover(touched.connection(session), touched.cache)
                    continue
                touched.merge(mine)
                results.append(raw)
            try:
                touched.write_pending(session)
            except Exception as exc:
                if isolate:
                    raise
                # one row the database refuses (a value too long for its column on PostgreSQL)
                # must fail only the op that wrote it: redo the batch op by op
                raise _OpFailed from exc
            ops.prune_requests(session, touched, self._retention)
            memo: dict[int, DeliveryRecord] = {}

            def drec(row: DeliveryRow) -> DeliveryRecord:
                row = touched.current(row)
                record = memo.get(id(row))
                if record is None:
                    record = memo[id(row)] = row.record()
                return record

            converted = [
                r if isinstance(r, BaseException) else job.convert(r, drec)
                for job, r in zip(batch, results, strict=True)
            ]
            change = _change(touched, drec)
            self._committing = True
            session.commit()
        except BaseException:
            self._discard()  # rolls back whatever the batch wrote
            raise
        self._committing = False
        session.expunge_all()  # the batch's ORM rows are records now; keep no identity map
        self.commits += 1
        return converted, change


class _OpFailed(Exception):
    """An operation raised inside a shared batch; the batch is redone with isolation."""


def _add_all(s: Session, t: Touched, news: tuple[NewDelivery, ...]) -> list[DeliveryRow]:
    return [ops.add_delivery(s, t, n) for n in news]


def _transition(
    s: Session,
    t: Touched,
    delivery_id: int,
    state: SendState,
    sid: str | None,
    event: EventIn | None,
) -> DeliveryRow:
    return ops.transition(s, t, delivery_id, state, sid=sid, event=event)


def _delivery(row: DeliveryRow, drec: DeliveryConverter) -> DeliveryRecord:
    return drec(row)


def _deliveries(rows: list[DeliveryRow], drec: DeliveryConverter) -> list[DeliveryRecord]:
    return [drec(r) for r in rows]


def _inbound(row: Any, _drec: DeliveryConverter) -> InboundRecord | None:
    return None if row is None else inbound_record(row)


def _opt_out(row: Any, _drec: DeliveryConverter) -> OptOutRecord:
    return opt_out_record(row)


def _request(pending: PendingRequest, _drec: DeliveryConverter) -> WebhookRequestRecord:
    return pending.record()


def _outcome(result: ops.EventResult, drec: DeliveryConverter) -> EventOutcome:
    return EventOutcome(
        event=result.event.record() if result.event is not None else None,
        delivery=drec(result.delivery) if result.delivery is not None else None,
        duplicate=result.duplicate,
    )


def _change(t: Touched, drec: DeliveryConverter) -> StoreChange:
    live = [r for r in t.deliveries.values() if r.id is not None]
    # SQLite may give a row inserted after a deletion the deleted row's id: then it is no removal
    removed = t.removed - {r.id for r in live}
    return StoreChange(
        deliveries=tuple(drec(r) for r in live),
        events=tuple(e.record() for e in t.events),
        inbound=tuple(inbound_record(i) for i in t.inbound),
        opt_outs=tuple(opt_out_record(o) for o in t.opt_outs.values()),
        requests=tuple(r.record() for r in t.requests),
        removed_deliveries=tuple(sorted(removed)),
    )
