"""The send pipeline (the seed's SmsDeliverySendJob): check, record, pace, create, record again.

For every message:

1. **Refuse early** what cannot succeed, with the error catalog's explanation and nothing
   written (:mod:`.checks`).
2. **Record it in the ledger** before any API call, so a crash cannot lose it.
3. **Wait for its slot** (per-sender pacing in segments per second, :mod:`.pacing`).
4. Mark it ``SUBMITTING`` (durably), then **create** it with ``StatusCallback`` = the current
   public URL + ``/webhooks/twilio/status``; the API answer is recorded as the first event (no
   callback comes for the initial status).
5. 429/20429 and refused connections are retried with exponential backoff and jitter (nothing
   was processed). Twilio's other refusals are stored on the delivery (``REJECTED``) with the
   catalog's meaning and fix. A timeout, reset or 5xx is **outcome unknown**: the message is
   never re-sent blindly but reconciled (:mod:`.reconcile`) and re-sent at most once, and only
   after the listing showed Twilio does not have it.

Bulk sends are validated up front, written in one transaction, then paced by a
:class:`~console.gateway.bulk.BulkJob`. ``resume_pending`` at start reconciles what a crash left
in flight and sends what was still queued.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from console.domain.model import (
    DeliveryRecord,
    EventIn,
    EventSource,
    NewDelivery,
    SendState,
    utcnow,
)
from console.gateway.bulk import BulkJob, ProgressListener, Refusal, StopJob
from console.gateway.checks import Outgoing, OutgoingChecks, SendRefused
from console.gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    OutcomeUnknown,
    RateLimited,
    Unreachable,
)
from console.gateway.pacing import Backoff, Clock, Pacer, Sleeper, rate_for
from console.gateway.reconcile import (
    KeyGate,
    MessageGateway,
    OutcomeResolver,
    Reach,
    match_key,
    message_event,
)
from console.gateway.resources import MessageInfo
from console.settings import Pacing
from console.store.queries import Reader
from console.store.writer import Writer

__all__ = ["STATUS_PATH", "MessageGateway", "Outgoing", "ResumeReport", "SendRefused", "Sender"]

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
# Twilio refusals that every later message of the same job would meet as well.
_JOB_STOPPERS = frozenset({20003, 21212, 21606, 21607})


@dataclass(frozen=True, slots=True)
class ResumeReport:
    """What ``resume_pending`` found: reconciled in-flight messages and the queued job."""

    adopted: int
    resent: int
    unresolved: int
    job: BulkJob | None
    out_of_reach: int = 0  # in limbo, but for another account or an earlier demo simulator


def _explained(exc: GatewayError) -> str:
    """The catalog's meaning and fix for a Twilio refusal, on one line."""
    if exc.info is None:
        return str(exc)
    return f"{exc.info.title}: {exc.info.cause} What to do: {exc.info.action}"


class Sender:
    """Sends messages through a gateway, keeping the ledger ahead of every API call."""

    def __init__(
        self,
        writer: Writer,
        reader: Reader,
        gateway: MessageGateway,
        *,
        pacing: Pacing,
        status_callback: Callable[[], str | None],
        account_type: Callable[[], str | None] = lambda: None,
        is_verified: Callable[[str], Awaitable[bool]] | None = None,
        default_region: str = "US",
        profile: str = "default",
        account_sid: str | None = None,
        settle_seconds: float = 15.0,
        reach: Reach | None = None,
        backoff: Backoff | None = None,
        max_in_flight: int = 4,
        clock: Clock = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._gateway = gateway
        self.pacing = pacing
        self._status_callback = status_callback
        self._checks = OutgoingChecks(
            reader,
            account_type=account_type,
            is_verified=is_verified,
            region=default_region,
            profile=profile,
            account_sid=account_sid,
        )
        self._reach = reach or Reach(account_sid=account_sid)
        self._backoff = backoff or Backoff()
        self._max_in_flight = max_in_flight
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[str, Pacer] = {}
        self._gate = KeyGate()
        self._resolver = OutcomeResolver(reader, gateway, settle_seconds, sleep=sleep)
        self._active: set[int] = set()  # deliveries some task of this sender is working on
        self._jobs: set[BulkJob] = set()

    # -- checks ------------------------------------------------------------------------------
    async def prepare(
        self,
        item: Outgoing,
        *,
        opted_out: Callable[[str], bool] | None = None,
        verified: dict[str, bool] | None = None,
    ) -> NewDelivery:
        """The ledger entry for ``item``, or ``SendRefused`` saying why it cannot be sent."""
        return await self._checks.prepare(item, opted_out=opted_out, verified=verified)

    async def check_bulk(
        self, items: Sequence[Outgoing]
    ) -> tuple[list[tuple[int, NewDelivery]], list[Refusal]]:
        """Check rows as ``send_bulk`` does, writing nothing: ((index, entry)…, refusals)."""
        return await self._checks.check_bulk(items)

    # -- sending -----------------------------------------------------------------------------
    async def send(
        self,
        to: str,
        body: str,
        *,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> DeliveryRecord:
        """Send one message now (after its pacing slot); return its delivery as recorded.

        The returned ``send_state`` says what happened: ACCEPTED (with a SID), REJECTED (with the
        error), QUEUED (Twilio kept answering 429 or was unreachable; it is sent on resume) or
        UNKNOWN (no answer and Twilio could not be asked; reconciled on resume).
        """
        new = await self.prepare(Outgoing(to, body, from_, messaging_service_sid))
        pacer = self.pacer(new.messaging_service_sid or new.from_ or "")
        if pacer.backlog() == 0:  # its slot is now: record it as submitting in one commit
            pacer.reserve(new.segments)
            rec = await self._writer.add_delivery(replace(new, send_state=SendState.SUBMITTING))
            submitted = True
        else:
            rec = await self._writer.add_delivery(new)
            submitted = False
        self._active.add(rec.id)
        try:
            if not submitted:
                try:
                    await pacer.acquire(rec.segments)
                except asyncio.CancelledError:
                    self._withdraw_now([rec])
                    raise
            return await self._deliver(rec, submitted=submitted)
        finally:
            self._active.discard(rec.id)

    async def send_bulk(
        self,
        items: Sequence[Outgoing],
        *,
        on_progress: ProgressListener | None = None,
        batch_id: str | None = None,
    ) -> BulkJob:
        """Check every row, record the valid ones in one transaction, and start sending them."""
        batch = batch_id or uuid.uuid4().hex
        checked, refusals = await self.check_bulk(items)
        news = [replace(new, batch_id=batch) for _, new in checked]
        records = await self._writer.add_deliveries(news) if news else []
        indexes = [index for index, _ in checked]
        return self._start_job(batch, records, refusals, len(items), on_progress, indexes)

    def _start_job(
        self,
        batch: str,
        records: list[DeliveryRecord],
        refusals: list[Refusal],
        total: int,
        on_progress: ProgressListener | None,
        indexes: Sequence[int] | None = None,
    ) -> BulkJob:
        self._active.update(r.id for r in records)
        job = BulkJob(
            batch,
            records,
            total=total,
            refusals=refusals,
            indexes=indexes,
            pacer=lambda rec: self.pacer(_sender_key(rec)),
            deliver=self._deliver_in_job,
            withdraw=self._withdraw,
            on_progress=on_progress,
            max_in_flight=self._max_in_flight,
        )
        self._jobs.add(job)

        def finished(_: object) -> None:
            self._jobs.discard(job)
            self._active.difference_update(r.id for r in records)

        job.start().add_done_callback(finished)
        return job

    async def resume_pending(self, *, on_progress: ProgressListener | None = None) -> ResumeReport:
        """Reconcile what a crash left in flight, then send what is still queued.

        Meant for the start, and safe to call again (a "retry" action): deliveries this sender
        is working on are left alone; UNKNOWN ones are looked up again and QUEUED ones (Twilio
        kept answering 429 earlier) are sent. Only deliveries in limbo (SUBMITTING, UNKNOWN)
        are looked up, and only those this Twilio can know (see :class:`Reach`): one out of
        reach is never looked up nor re-sent — a SUBMITTING one is marked UNKNOWN, since no
        create is in flight any more. QUEUED deliveries of another account stay queued.
        """
        pending = [
            r
            for r in self._reader.in_send_state(SendState.SUBMITTING, SendState.UNKNOWN)
            if r.id not in self._active
        ]
        limbo = [r for r in pending if self._reach.knows(r)]
        beyond = [r for r in pending if not self._reach.knows(r)]
        self._active.update(r.id for r in pending)
        try:
            await asyncio.gather(
                *(
                    self._writer.transition(r.id, SendState.UNKNOWN)
                    for r in beyond
                    if r.send_state is SendState.SUBMITTING
                )
            )
            results = await asyncio.gather(
                *(self._resolve(r, since=r.updated_at, resends=1) for r in limbo)
            )
        finally:
            self._active.difference_update(r.id for r in pending)
        adopted = sum(1 for r, how in results if how == "adopted")
        resent = sum(1 for r, how in results if how == "resent")
        unresolved = sum(1 for r, _ in results if r.send_state in _LIMBO)
        queued = [
            r
            for r in self._reader.in_send_state(SendState.QUEUED)
            if r.id not in self._active and self._reach.owns(r)
        ]
        job = None
        if queued:
            batch = f"resume-{uuid.uuid4().hex[:12]}"
            job = self._start_job(batch, queued, [], len(queued), on_progress)
        log.info(
            "resume: %d in flight (%d adopted, %d re-sent, %d unresolved, %d out of reach), "
            "%d queued",
            len(pending),
            adopted,
            resent,
            unresolved,
            len(beyond),
            len(queued),
        )
        return ResumeReport(adopted, resent, unresolved, job, len(beyond))

    async def close(self) -> None:
        """Stop every job (queued messages stay queued for the next start)."""
        await asyncio.gather(*(job.stop() for job in list(self._jobs)))

    def set_pacing(self, pacing: Pacing) -> None:
        """Use new rates from now on (running jobs included)."""
        self.pacing = pacing
        for sender, pacer in self._pacers.items():
            pacer.rate = rate_for(sender, pacing)

    def pacer(self, sender: str) -> Pacer:
        """The pacer of one sender (created at the configured rate of its kind)."""
        pacer = self._pacers.get(sender)
        if pacer is None:
            pacer = Pacer(rate_for(sender, self.pacing), clock=self._clock, sleep=self._sleep)
            self._pacers[sender] = pacer
        return pacer

    # -- one message -------------------------------------------------------------------------
    async def _deliver_in_job(self, rec: DeliveryRecord) -> DeliveryRecord:
        if self._reader.is_opted_out(rec.to):  # replied STOP while the job was running
            refused = SendRefused(21610, f"{rec.to} replied STOP before this message's turn.")
            event = EventIn(
                source=EventSource.CONSOLE,
                status="rejected",
                error_code=21610,
                error_message=str(refused),
            )
            return await self._writer.transition(rec.id, SendState.REJECTED, event=event)
        out = await self._deliver(rec)
        if out.send_state is SendState.REJECTED and out.error_code in _JOB_STOPPERS:
            raise StopJob(out, out.error_message or f"Twilio error {out.error_code}")
        return out

    async def _deliver(
        self, rec: DeliveryRecord, *, resends: int = 1, submitted: bool = False
    ) -> DeliveryRecord:
        """Submit a recorded message once (429s retried) and record what Twilio answered.

        ``submitted``: the delivery was recorded as SUBMITTING already (with its slot).
        """
        key = match_key(rec)
        async with self._gate.creating(key):
            started = utcnow()
            if not submitted:
                await self._writer.transition(rec.id, SendState.SUBMITTING)
            try:
                info = await self._create(rec)
            except OutcomeUnknown as exc:
                log.warning("delivery %d: %s", rec.id, exc)
                await self._writer.transition(rec.id, SendState.UNKNOWN)
                unknown = True
            except (RateLimited, Unreachable) as exc:
                log.warning("delivery %d left queued: %s", rec.id, exc)
                return await self._writer.transition(rec.id, SendState.QUEUED)
            except GatewayError as exc:
                return await self._reject(rec, exc)
            else:
                unknown = False
                self._resolver.claim(info.sid, rec.id)
        if unknown:
            out, _ = await self._resolve(rec, since=started, resends=resends)
            return out
        return await self._writer.transition(
            rec.id, SendState.ACCEPTED, sid=info.sid, event=message_event(info, EventSource.API)
        )

    async def _create(self, rec: DeliveryRecord) -> MessageInfo:
        callback = self._status_callback() or None
        for attempt in range(self._backoff.attempts):
            try:
                return await self._gateway.create_message(
                    to=rec.to,
                    body=rec.body or "",
                    from_=rec.from_,
                    messaging_service_sid=rec.messaging_service_sid,
                    status_callback=callback,
                )
            except (RateLimited, Unreachable):
                if attempt + 1 >= self._backoff.attempts:
                    raise
                await self._sleep(self._backoff.delay(attempt))
        raise AssertionError("unreachable: the loop returns or raises")

    async def _reject(self, rec: DeliveryRecord, exc: GatewayError) -> DeliveryRecord:
        log.info("delivery %d rejected by Twilio: %s", rec.id, exc)
        payload = {"http_status": exc.http_status, "code": exc.code, "message": exc.message}
        event = EventIn(
            source=EventSource.API,
            status="rejected",
            error_code=exc.code,
            error_message=_explained(exc),
            payload=json.dumps(payload),
        )
        out = await self._writer.transition(rec.id, SendState.REJECTED, event=event)
        if isinstance(exc, AuthenticationFailed):
            log.error("Twilio refused the credentials: %s", exc)
        return out

    async def _resolve(
        self, rec: DeliveryRecord, *, since: datetime, resends: int
    ) -> tuple[DeliveryRecord, str]:
        """Settle an unknown outcome: adopt Twilio's message, or re-send once if it is absent."""
        found, absent = await self._resolver.resolve(rec, since, self._gate)
        if found is not None:
            out = await self._writer.transition(
                rec.id,
                SendState.ACCEPTED,
                sid=found.sid,
                event=message_event(found, EventSource.POLL),
            )
            log.info("delivery %d reconciled: Twilio has it as %s", rec.id, found.sid)
            return out, "adopted"
        if absent and resends > 0:
            log.info("delivery %d: Twilio does not have it; sending it once more", rec.id)
            await self.pacer(_sender_key(rec)).acquire(rec.segments)
            return await self._deliver(rec, resends=resends - 1), "resent"
        current = self._reader.delivery(rec.id) or rec
        if current.send_state is not SendState.UNKNOWN:
            current = await self._writer.transition(rec.id, SendState.UNKNOWN)
        return current, "unresolved"

    async def _withdraw(self, records: Sequence[DeliveryRecord]) -> None:
        await asyncio.gather(*self._withdraw_now(records))

    def _withdraw_now(
        self, records: Sequence[DeliveryRecord]
    ) -> list[asyncio.Future[DeliveryRecord]]:
        """Mark never-submitted deliveries CANCELED (queued at once, even while cancelling)."""
        return [
            self._writer.transition(
                r.id,
                SendState.CANCELED,
                event=EventIn(source=EventSource.CONSOLE, status="canceled"),
            )
            for r in records
        ]


_LIMBO = frozenset({SendState.SUBMITTING, SendState.UNKNOWN})


def _sender_key(rec: DeliveryRecord) -> str:
    return rec.messaging_service_sid or rec.from_ or ""
