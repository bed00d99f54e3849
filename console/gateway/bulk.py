"""The paced queue of one bulk send.

:class:`BulkJob` sends recorded deliveries: one dispatcher per sender takes the next message when
its pacing slot (:class:`~console.gateway.pacing.Pacer`) comes, hands it to the pipeline (a bounded
number in flight), and counts the outcomes. It can be paused, resumed, cancelled (messages not yet
submitted become CANCELED) or stopped at shutdown (they stay QUEUED for the next start). A message
whose create call is in flight is never interrupted: Twilio may already have it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from console.domain.model import DeliveryRecord, SendState
from console.gateway.pacing import Pacer

log = logging.getLogger(__name__)

__all__ = [
    "BulkJob",
    "BulkProgress",
    "Deliver",
    "JobState",
    "ProgressListener",
    "Refusal",
    "StopJob",
    "Withdraw",
]


class JobState(StrEnum):
    """Where a bulk job is."""

    RUNNING = "running"
    PAUSED = "paused"
    CANCELING = "canceling"
    FINISHED = "finished"  # every message was submitted (whatever the outcomes)
    CANCELED = "canceled"  # the operator cancelled, or a job-wide error stopped it
    STOPPED = "stopped"  # shut down; unsent messages stay queued for the next start


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row of a bulk send the console refused before recording it (see ``SendRefused``)."""

    index: int
    to: str
    code: int
    reason: str


@dataclass(frozen=True, slots=True)
class BulkProgress:
    """A snapshot of a bulk job, safe to hand to another thread."""

    id: str
    state: JobState
    total: int  # rows given, refused ones included
    queued: int  # recorded, not yet submitted
    in_flight: int
    done: int  # accepted by Twilio
    failed: int  # refused by Twilio
    refused: int  # refused by the console before recording
    deferred: int  # Twilio kept answering 429 / was unreachable: still queued for later
    unknown: int  # no answer and not reconciled yet
    canceled: int
    eta_seconds: float
    error: str | None = None


ProgressListener = Callable[[BulkProgress], None]
Deliver = Callable[[DeliveryRecord], Awaitable[DeliveryRecord]]
Withdraw = Callable[[Sequence[DeliveryRecord]], Awaitable[None]]


class StopJob(Exception):
    """Raised by a job's ``deliver`` when every later message would fail the same way."""

    def __init__(self, record: DeliveryRecord, reason: str) -> None:
        super().__init__(reason)
        self.record = record
        self.reason = reason


_COUNTED = {
    SendState.ACCEPTED: "done",
    SendState.EXTERNAL: "done",
    SendState.REJECTED: "failed",
    SendState.QUEUED: "deferred",
    SendState.SUBMITTING: "unknown",
    SendState.UNKNOWN: "unknown",
    SendState.CANCELED: "canceled",
}


class BulkJob:
    """The paced sending of recorded deliveries (see module docstring)."""

    def __init__(
        self,
        job_id: str,
        records: Sequence[DeliveryRecord],
        *,
        total: int,
        refusals: Sequence[Refusal],
        indexes: Sequence[int] | None = None,
        pacer: Callable[[DeliveryRecord], Pacer],
        deliver: Deliver,
        withdraw: Withdraw,
        on_progress: ProgressListener | None = None,
        max_in_flight: int = 4,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("a job needs at least one message in flight")
        self.id = job_id
        self.total = total
        self.refusals = tuple(refusals)
        # delivery id -> the input row it was recorded for (``indexes`` runs along ``records``)
        positions = range(len(records)) if indexes is None else indexes
        self.index_of: dict[int, int] = {
            rec.id: index for rec, index in zip(records, positions, strict=True)
        }
        self._deliver = deliver
        self._withdraw = withdraw
        self._listener = on_progress
        self._pending: dict[int, DeliveryRecord] = {r.id: r for r in records}
        self._groups: dict[int, tuple[Pacer, list[DeliveryRecord]]] = {}
        for rec in records:
            p = pacer(rec)
            self._groups.setdefault(id(p), (p, []))[1].append(rec)
        self._group_cost = {
            k: sum(max(r.segments, 1) for r in g[1]) for k, g in self._groups.items()
        }
        self._slots = asyncio.Semaphore(max_in_flight)
        self._running = asyncio.Event()
        self._running.set()
        self._counts = dict.fromkeys(("done", "failed", "deferred", "unknown", "canceled"), 0)
        self._inflight: set[asyncio.Task[None]] = set()
        self._dispatchers: list[asyncio.Task[None]] = []
        self._task: asyncio.Task[BulkProgress] | None = None
        self._state = JobState.RUNNING
        self._end: JobState | None = None
        self.error: str | None = None

    # -- control -----------------------------------------------------------------------------
    def start(self) -> asyncio.Task[BulkProgress]:
        """Begin sending (once); the returned task ends with the final progress."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"bulk-{self.id}")
        return self._task

    def pause(self) -> None:
        """Submit nothing more until ``resume`` (messages in flight finish)."""
        if self._state is JobState.RUNNING:
            self._running.clear()
            self._state = JobState.PAUSED
            self._notify()

    def resume(self) -> None:
        """Continue after ``pause``."""
        if self._state is JobState.PAUSED:
            self._state = JobState.RUNNING
            self._running.set()
            self._notify()

    async def cancel(self) -> int:
        """Withdraw every message not yet submitted (they become CANCELED); return how many."""
        self._halt(JobState.CANCELED)
        before = self._counts["canceled"]
        await self.wait()
        return self._counts["canceled"] - before

    async def stop(self) -> None:
        """Shut down: submit nothing more; unsent messages stay QUEUED for the next start."""
        self._halt(JobState.STOPPED)
        await self.wait()

    async def wait(self) -> BulkProgress:
        """Wait until the job has ended; return its final progress."""
        return await asyncio.shield(self.start())

    # -- observation -------------------------------------------------------------------------
    @property
    def state(self) -> JobState:
        """The job's current state."""
        return self._state

    def progress(self) -> BulkProgress:
        """A snapshot of the counters and the estimated time to finish."""
        c = self._counts
        return BulkProgress(
            id=self.id,
            state=self._state,
            total=self.total,
            queued=len(self._pending),
            in_flight=len(self._inflight),
            done=c["done"],
            failed=c["failed"],
            refused=len(self.refusals),
            deferred=c["deferred"],
            unknown=c["unknown"],
            canceled=c["canceled"],
            eta_seconds=self.eta_seconds,
            error=self.error,
        )

    @property
    def eta_seconds(self) -> float:
        """Seconds until the last queued message is submitted at the senders' rates."""
        if not self._pending:
            return 0.0
        return max(
            (self._group_cost[k] / p.rate + p.backlog() for k, (p, _) in self._groups.items()),
            default=0.0,
        )

    # -- machinery ---------------------------------------------------------------------------
    def _halt(self, end: JobState) -> None:
        if self._end is None and self._state not in (JobState.FINISHED, JobState.CANCELED):
            self._end = end
            self._state = JobState.CANCELING if end is JobState.CANCELED else self._state
            for task in self._dispatchers:
                task.cancel()
            self._running.set()  # paused dispatchers wake up to see the cancellation
            self._notify()

    def _notify(self) -> None:
        if self._listener is not None:
            try:
                self._listener(self.progress())
            except Exception:
                log.exception("a bulk progress listener failed")

    async def _run(self) -> BulkProgress:
        loop = asyncio.get_running_loop()
        self._dispatchers = [
            loop.create_task(self._dispatch(key, p, recs), name=f"bulk-{self.id}-{i}")
            for i, (key, (p, recs)) in enumerate(self._groups.items())
        ]
        if self._end is not None:  # halted before the first dispatch
            for task in self._dispatchers:
                task.cancel()
        await asyncio.gather(*self._dispatchers, return_exceptions=True)
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        if self._end is JobState.CANCELED and self._pending:
            left = list(self._pending.values())
            await self._withdraw(left)
            self._pending.clear()
            self._counts["canceled"] += len(left)
        self._state = self._end or JobState.FINISHED
        self._notify()
        return self.progress()

    async def _dispatch(self, key: int, pacer: Pacer, records: list[DeliveryRecord]) -> None:
        loop = asyncio.get_running_loop()
        for rec in records:
            await self._slots.acquire()
            try:
                await self._running.wait()
                await pacer.acquire(rec.segments)
                await self._running.wait()  # paused while waiting for the slot
            except BaseException:
                self._slots.release()
                raise
            del self._pending[rec.id]
            self._group_cost[key] -= max(rec.segments, 1)
            task = loop.create_task(self._one(rec))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _one(self, rec: DeliveryRecord) -> None:
        try:
            out = await self._deliver(rec)
        except StopJob as stop:
            out = stop.record
            if self.error is None:
                self.error = stop.reason
            self._halt(JobState.CANCELED)
        except Exception:
            log.exception("bulk %s: delivery %d failed unexpectedly", self.id, rec.id)
            out = replace(rec, send_state=SendState.UNKNOWN)
        finally:
            self._slots.release()
        self._counts[_COUNTED[out.send_state]] += 1
        self._notify()
