"""Reconciliation: asking Twilio what became of messages the console is unsure about.

Two kinds of uncertainty:

- **Outcome unknown** (:class:`OutcomeResolver`): a create timed out, the connection broke, Twilio
  answered 5xx, or the console crashed between recording ``SUBMITTING`` and recording Twilio's
  answer. There is no idempotency key for Messages.create, so the message is looked for in the
  recent messages to that recipient (same body and sender, created after it was recorded, not
  already some other delivery's SID). Found: its SID is adopted. Not found: only once the
  create's settle window is over (a request Twilio is still processing could appear later) is
  it declared absent, which makes one re-send safe.
- **No final status** (:class:`Reconciler`): callbacks can be missed (tunnel down, app closed),
  and the price arrives only after the final status. Deliveries with a SID and no final status
  after ``after_seconds`` (all of them at start), and final ones still without a price, are
  fetched and the answer is recorded as a ``POLL`` event; the ledger's forward-only rank makes
  a stale poll harmless.

Only what the Twilio behind the gateway can know is ever looked up (:class:`Reach`): not the
messages of another account (another profile's, or the demo account's while live), and not the
messages an earlier demo simulator accepted — it kept them in memory, and a new one knows none
of them. Such lookups could only be answered 20404, at every start.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from console.domain.model import DeliveryRecord, EventIn, EventSource, SendState, utcnow
from console.domain.trial import TRIAL_PREFIX
from console.gateway.errors import GatewayError
from console.gateway.pacing import Clock, Sleeper
from console.gateway.resources import MessageInfo
from console.store.queries import Reader
from console.store.writer import Writer

__all__ = [
    "KeyGate",
    "MatchKey",
    "MessageGateway",
    "OutcomeResolver",
    "Reach",
    "Reconciler",
    "match_key",
    "message_event",
]

log = logging.getLogger(__name__)

MatchKey = tuple[str, str, str]
# How far before a delivery was recorded Twilio's clock may place its message (clock skew).
CLOCK_SKEW = timedelta(minutes=5)
LIST_LIMIT = 100
_PRICED_FINALS = frozenset({"delivered", "undelivered", "read", "failed"})
MAX_SCAN = 20_000  # rows read per query at most while skipping deliveries out of reach


@dataclass(frozen=True, slots=True)
class Reach:
    """Which deliveries the Twilio behind a gateway can know; the others are never asked about.

    ``account_sid``: the account the gateway works for (None: any). ``since``: deliveries
    recorded earlier went to a Twilio that is gone — the demo simulator of an earlier run.
    A delivery without an account (recorded before accounts were) counts as this account's.
    """

    account_sid: str | None = None
    since: datetime | None = None

    def owns(self, rec: DeliveryRecord) -> bool:
        """Whether ``rec`` belongs to this account (may be sent through this gateway)."""
        return not (self.account_sid and rec.account_sid and rec.account_sid != self.account_sid)

    def knows(self, rec: DeliveryRecord) -> bool:
        """Whether this Twilio can know ``rec`` (a lookup may find it)."""
        return self.owns(rec) and (self.since is None or rec.created_at >= self.since)

    def select(
        self, query: Callable[[int], list[DeliveryRecord]], limit: int
    ) -> list[DeliveryRecord]:
        """Up to ``limit`` known deliveries of ``query(n)`` (the first n rows, in its order),
        reading further while rows out of reach take the places."""
        n = limit
        while True:
            rows = query(n)
            known = [r for r in rows if self.knows(r)]
            if len(known) >= limit or len(rows) < n or n >= MAX_SCAN:
                return known[:limit]
            n = min(n * 4, MAX_SCAN)


class MessageGateway(Protocol):
    """The part of :class:`~console.gateway.client.TwilioGateway` the pipeline uses."""

    async def create_message(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> MessageInfo: ...

    async def fetch_message(self, sid: str) -> MessageInfo: ...

    async def list_messages(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        sent_after: datetime | None = None,
        limit: int = 50,
    ) -> list[MessageInfo]: ...


def message_event(info: MessageInfo, source: EventSource) -> EventIn:
    """An observation of a Message resource: a create answer (API) or a fetch/list (POLL)."""
    payload = {
        "sid": info.sid,
        "status": info.status,
        "to": info.to,
        "from": info.from_,
        "messaging_service_sid": info.messaging_service_sid,
        "num_segments": info.num_segments,
        "error_code": info.error_code,
        "price": info.price,
        "price_unit": info.price_unit,
        "date_created": info.date_created.isoformat() if info.date_created else None,
    }
    return EventIn(
        source=source,
        status=info.status,
        message_sid=info.sid,
        error_code=info.error_code,
        error_message=info.error_message,
        payload=json.dumps(payload),
        from_=info.from_,
        messaging_service_sid=info.messaging_service_sid,
        account_sid=info.account_sid or None,
        segments=info.num_segments or None,
        price=info.price,
        price_unit=info.price_unit,
    )


def match_key(rec: DeliveryRecord) -> MatchKey:
    """What identifies a message in Twilio's list when no SID is known: to, body, sender."""
    return rec.to, rec.body or "", rec.messaging_service_sid or rec.from_ or ""


class KeyGate:
    """Keeps a reconciliation from listing while a create with the same key is in flight.

    A create still in flight may already be stored at Twilio; a listing taken then would offer
    its SID to the wrong delivery. Creates with a key wait while that key is being reconciled;
    a reconciliation waits until no create with its key is in flight.
    """

    def __init__(self) -> None:
        self._inflight: Counter[MatchKey] = Counter()
        self._exclusive: set[MatchKey] = set()
        self._changed = asyncio.Event()

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _until(self, ready: Callable[[], bool]) -> None:
        while True:
            changed = self._changed  # taken before the check: no change can slip in between
            if ready():
                return
            await changed.wait()

    @contextlib.asynccontextmanager
    async def creating(self, key: MatchKey) -> AsyncIterator[None]:
        """Hold ``key`` shared for one create call."""
        await self._until(lambda: key not in self._exclusive)
        self._inflight[key] += 1
        try:
            yield
        finally:
            self._inflight[key] -= 1
            if not self._inflight[key]:
                del self._inflight[key]
            self._signal()

    @contextlib.asynccontextmanager
    async def exclusive(self, key: MatchKey) -> AsyncIterator[None]:
        """Hold ``key`` alone (no create with it in flight) for one listing and adoption."""
        await self._until(lambda: key not in self._exclusive and not self._inflight[key])
        self._exclusive.add(key)
        try:
            yield
        finally:
            self._exclusive.discard(key)
            self._signal()


class OutcomeResolver:
    """Finds the message Twilio may have accepted for a delivery whose create had no answer."""

    def __init__(
        self,
        reader: Reader,
        gateway: MessageGateway,
        settle_seconds: float,
        *,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        self._reader = reader
        self._gateway = gateway
        self._settle = timedelta(seconds=settle_seconds)
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._claimed: dict[str, int] = {}

    def claim(self, sid: str, delivery_id: int) -> None:
        """Note the SID a delivery received or adopted, before its transition commits."""
        self._claimed[sid] = delivery_id

    async def resolve(
        self, rec: DeliveryRecord, since: datetime, gate: KeyGate
    ) -> tuple[MessageInfo | None, bool]:
        """``(message, absent)``: Twilio's message for ``rec``, or whether it surely has none.

        ``since`` is when the unanswered attempt started (or an upper bound of it). ``absent``
        is True only when a listing taken after the settle window found nothing; a listing
        that failed leaves both empty (still unknown).
        """
        try:
            found = await self._look(rec, gate)
            if found is not None:
                return found, False
            wait = (since + self._settle - utcnow()).total_seconds()
            if wait <= 0:
                return None, True
            await self._sleep(wait)
            found = await self._look(rec, gate)
        except GatewayError as exc:
            log.warning("delivery %d: cannot look for it at Twilio yet: %s", rec.id, exc)
            return None, False
        return found, found is None

    async def _look(self, rec: DeliveryRecord, gate: KeyGate) -> MessageInfo | None:
        async with self._lock, gate.exclusive(match_key(rec)):
            by_number = rec.from_ if rec.from_ and not rec.messaging_service_sid else None
            listed = await self._gateway.list_messages(
                to=rec.to, from_=by_number, sent_after=rec.created_at - CLOCK_SKEW, limit=LIST_LIMIT
            )
            for info in reversed(listed):  # Twilio lists newest first; adopt the oldest match
                if self._matches(rec, info) and self._free(rec, info.sid):
                    self.claim(info.sid, rec.id)
                    return info
        return None

    @staticmethod
    def _matches(rec: DeliveryRecord, info: MessageInfo) -> bool:
        body = rec.body or ""
        if info.body not in (body, TRIAL_PREFIX + body):
            return False
        if info.direction and not info.direction.startswith("outbound"):
            return False
        if rec.messaging_service_sid:
            return info.messaging_service_sid == rec.messaging_service_sid
        return info.from_ == rec.from_

    def _free(self, rec: DeliveryRecord, sid: str) -> bool:
        """True unless ``sid`` already belongs to another of the console's deliveries.

        A stand-in (EXTERNAL) delivery made by an early callback does not count: adopting the
        SID merges it. A SID this process claimed for another delivery does, even before that
        delivery's transition is committed.
        """
        if self._claimed.get(sid, rec.id) != rec.id:
            return False
        owner = self._reader.delivery_by_sid(sid)
        return owner is None or owner.id == rec.id or owner.send_state is SendState.EXTERNAL


class Reconciler:
    """Polls Twilio for deliveries whose final status (or price) has not arrived.

    A delivery is polled at most once per ``repoll_seconds`` (default ``after_seconds``), so a
    message a carrier never reports on is not fetched at every pass.
    """

    def __init__(
        self,
        writer: Writer,
        reader: Reader,
        gateway: MessageGateway,
        *,
        after_seconds: float = 600.0,
        interval: float = 60.0,
        repoll_seconds: float | None = None,
        price_window: timedelta = timedelta(days=1),
        reach: Reach = Reach(),
        batch: int = 200,
        concurrency: int = 4,
        clock: Clock = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._gateway = gateway
        self.after_seconds = after_seconds
        self.interval = interval
        self.repoll_seconds = after_seconds if repoll_seconds is None else repoll_seconds
        self._price_window = price_window
        self._reach = reach
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._clock = clock
        self._sleep = sleep
        self._polled: dict[str, float] = {}

    async def run(self) -> None:
        """Reconcile every open delivery now, then the overdue ones every ``interval``."""
        all_open = True
        while True:
            try:
                await self.reconcile_open(all_open=all_open)
                all_open = False
            except Exception:  # a failed pass is retried at the next interval
                log.exception("reconciliation pass failed")
            await self._sleep(self.interval)

    async def reconcile_open(self, all_open: bool = False) -> int:
        """Fetch overdue deliveries (every open one with ``all_open``); return how many."""
        now = utcnow()
        cutoff = now if all_open else now - timedelta(seconds=self.after_seconds)
        due = await asyncio.to_thread(self._due, cutoff, now)
        if not all_open:
            now_m = self._clock()
            due = [
                d
                for d in due
                if d.sid not in self._polled or now_m - self._polled[d.sid] >= self.repoll_seconds
            ]
        results = await asyncio.gather(*(self._poll(d) for d in due))
        return sum(results)

    def _due(self, cutoff: datetime, now: datetime) -> list[DeliveryRecord]:
        """Open deliveries and unpriced final ones that this Twilio can know (see Reach)."""
        reader, reach = self._reader, self._reach
        after = now - self._price_window
        if reach.since is not None:
            after = max(after, reach.since)
        overdue = reach.select(lambda n: reader.open_deliveries(cutoff, limit=n), self._batch)
        unpriced = reach.select(
            lambda n: reader.unpriced_final(
                _PRICED_FINALS, finished_after=after, finished_before=cutoff, limit=n
            ),
            self._batch,
        )
        return overdue + unpriced

    async def _poll(self, rec: DeliveryRecord) -> int:
        assert rec.sid is not None
        async with self._slots:
            self._polled[rec.sid] = self._clock()
            try:
                info = await self._gateway.fetch_message(rec.sid)
            except GatewayError as exc:
                log.info("could not poll %s: %s", rec.sid, exc)
                return 0
        await self._writer.record_event(message_event(info, EventSource.POLL))
        return 1
