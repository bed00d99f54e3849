"""The send pipeline against an in-memory gateway: refusals, ledger first, retries, reconciliation.

``FakeGateway`` implements the ``MessageGateway`` protocol with a programmable script of
failures; it is a stand-in for Twilio, not for any of the console's own code. It also checks,
at every create, that the delivery is already in the ledger as SUBMITTING.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from console.domain.model import (
    DeliveryRecord,
    EventIn,
    EventSource,
    NewDelivery,
    SendState,
    StoreChange,
)
from console.gateway.bulk import BulkProgress, JobState
from console.gateway.checks import Outgoing, SendRefused
from console.gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    OutcomeUnknown,
    RateLimited,
)
from console.gateway.pacing import Backoff
from console.gateway.resources import MessageInfo
from console.gateway.sender import STATUS_PATH, Sender
from console.settings import Pacing
from console.store.queries import Reader
from console.store.writer import Writer

FROM = "+14155550100"
FROM_2 = "+14155550101"
TO = "+14155550111"
_sids = (f"SM{n:032x}" for n in itertools.count(1))

# A step of the script: what the next create does.
#   "ok"       store and answer
#   "429"      answer 429 without storing
#   "lost"     store, then answer as if the connection timed out (OutcomeUnknown)
#   "500"      answer 5xx without storing (OutcomeUnknown)
#   GatewayError instance: raise it without storing
Step = str | GatewayError


@dataclass
class FakeGateway:
    """An in-memory Twilio: stores messages, lists them newest first, follows a script."""

    reader: Reader
    script: list[Step] = field(default_factory=list)
    messages: list[MessageInfo] = field(default_factory=list)
    callbacks: list[str | None] = field(default_factory=list)
    creates: int = 0
    lists: int = 0
    list_error: GatewayError | None = None
    hold: Callable[[str], Awaitable[None]] | None = None  # awaited before answering a create

    def _store(self, to: str, body: str, from_: str | None, mg: str | None) -> MessageInfo:
        info = MessageInfo(
            sid=next(_sids),
            to=to,
            from_=from_,
            messaging_service_sid=mg,
            status="accepted" if mg else "queued",
            error_code=None,
            error_message=None,
            num_segments=1,
            price=None,
            price_unit=None,
            date_created=datetime.now(UTC).replace(microsecond=0),
            date_sent=None,
            date_updated=None,
            body=body,
            account_sid="AC" + "0" * 32,
            direction="outbound-api",
        )
        self.messages.append(info)
        return info

    async def create_message(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> MessageInfo:
        self.creates += 1
        in_ledger = [d for d in self.reader.deliveries_to(to) if d.body == body]
        assert any(d.send_state is SendState.SUBMITTING for d in in_ledger), "not in ledger"
        self.callbacks.append(status_callback)
        step = self.script.pop(0) if self.script else "ok"
        if isinstance(step, GatewayError):
            raise step
        if step == "429":
            raise RateLimited("Too Many Requests", code=20429, http_status=429)
        if step == "500":
            raise OutcomeUnknown("HTTP 500", code=20500, http_status=500)
        info = self._store(to, body, from_, messaging_service_sid)
        if self.hold is not None:
            await self.hold(info.sid)
        if step == "lost":
            raise OutcomeUnknown("no answer within the request timeout")
        return info

    async def fetch_message(self, sid: str) -> MessageInfo:
        for m in self.messages:
            if m.sid == sid:
                return m
        raise GatewayError("not found", code=20404, http_status=404)

    async def list_messages(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        sent_after: datetime | None = None,
        limit: int = 50,
    ) -> list[MessageInfo]:
        self.lists += 1
        if self.list_error is not None:
            raise self.list_error
        found = [
            m
            for m in reversed(self.messages)
            if (to is None or m.to == to)
            and (from_ is None or m.from_ == from_)
            and (sent_after is None or m.date_created is None or m.date_created >= sent_after)
        ]
        return found[:limit]

    def set(self, sid: str, **changes: Any) -> None:
        self.messages = [replace(m, **changes) if m.sid == sid else m for m in self.messages]


def stored(reader: Reader, delivery_id: int) -> DeliveryRecord:
    """The delivery as the ledger has it now (it must exist)."""
    d = reader.delivery(delivery_id)
    assert d is not None, f"delivery {delivery_id} is not in the ledger"
    return d


class Sleeps:
    """A sleeper that returns at once and records what was asked (the clock stays frozen)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_sender(
    writer: Writer,
    reader: Reader,
    gateway: FakeGateway,
    sleeps: Sleeps | None = None,
    **kw: Any,
) -> Sender:
    options: dict[str, Any] = {
        "pacing": Pacing(long_code=2.0),
        "status_callback": lambda: "https://console.example.com" + STATUS_PATH,
        "settle_seconds": 30.0,
        "backoff": Backoff(base=0.5, cap=4.0, attempts=4, rng=random.Random(1)),
        "clock": lambda: 0.0,
        "sleep": sleeps or Sleeps(),
    }
    options.update(kw)
    return Sender(writer, reader, gateway, **options)


@pytest.fixture
def gateway(reader: Reader) -> FakeGateway:
    return FakeGateway(reader)


# -- refusals -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("to", "body", "from_", "mg", "code", "words"),
    [
        ("+1 415 555", "hi", FROM, None, 21211, "too short"),
        ("hello", "hi", FROM, None, 21211, "not a phone number"),
        (TO, "   ", FROM, None, 21602, "empty"),
        (TO, "x" * 1601, FROM, None, 21617, "1601 characters"),
        (TO, "hi", None, None, 21603, "No sender"),
        (TO, "hi", None, "MG123", 21212, "not a Messaging Service SID"),
        (TO, "hi", "+1 999", None, 21212, "sender is not usable"),
        (TO, "hi", TO, None, 21266, "both the recipient and the sender"),
    ],
)
async def test_invalid_messages_are_refused_before_anything_is_written(
    writer: Writer,
    reader: Reader,
    gateway: FakeGateway,
    to: str,
    body: str,
    from_: str | None,
    mg: str | None,
    code: int,
    words: str,
) -> None:
    sender = make_sender(writer, reader, gateway)
    with pytest.raises(SendRefused) as caught:
        await sender.send(to, body, from_=from_, messaging_service_sid=mg)
    assert caught.value.code == code and caught.value.info.code == code
    assert words in str(caught.value) and f"error {code}" in str(caught.value)
    assert reader.count_deliveries() == 0 and gateway.creates == 0


async def test_an_opted_out_recipient_is_refused_with_21610(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    await writer.set_opt_out(TO, True, "STOP")
    sender = make_sender(writer, reader, gateway)
    with pytest.raises(SendRefused) as caught:
        await sender.send(TO, "hello", from_=FROM)
    assert caught.value.code == 21610
    assert "replied STOP" in str(caught.value) and "START" in caught.value.detail
    assert caught.value.info.title == "Recipient opted out (STOP)"
    assert reader.count_deliveries() == 0 and gateway.creates == 0


async def test_a_trial_account_refuses_unverified_recipients_with_the_way_out(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    verified = {"+14155550150"}
    asked: list[str] = []

    async def is_verified(number: str) -> bool:
        asked.append(number)
        return number in verified

    sender = make_sender(
        writer, reader, gateway, account_type=lambda: "Trial", is_verified=is_verified
    )
    with pytest.raises(SendRefused) as caught:
        await sender.send("(415) 555-0111", "hello", from_=FROM)
    assert caught.value.code == 21608
    assert "verify this number" in str(caught.value) and TO in str(caught.value)
    assert asked == [TO] and reader.count_deliveries() == 0
    rec = await sender.send("+14155550150", "hello", from_=FROM)
    assert rec.send_state is SendState.ACCEPTED


async def test_a_full_account_does_not_ask_about_verification(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    async def never(number: str) -> bool:
        raise AssertionError("a Full account must not check caller IDs")

    sender = make_sender(writer, reader, gateway, account_type=lambda: "Full", is_verified=never)
    assert (await sender.send(TO, "hi", from_=FROM)).send_state is SendState.ACCEPTED


# -- the happy path -------------------------------------------------------------------------
async def test_a_send_is_recorded_first_then_accepted_with_the_api_answer_as_first_event(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    sender = make_sender(writer, reader, gateway, profile="ops", account_sid="AC" + "1" * 32)
    rec = await sender.send("415-555-0111", "héllo ✓", from_=FROM)
    assert rec.send_state is SendState.ACCEPTED and rec.sid == gateway.messages[0].sid
    assert (rec.to, rec.from_, rec.profile, rec.encoding) == (TO, FROM, "ops", "UCS-2")
    assert rec.status == "queued"
    assert gateway.callbacks == ["https://console.example.com" + STATUS_PATH]
    events = reader.events(rec.id)
    assert [(e.source, e.status) for e in events] == [(EventSource.API, "queued")]


async def test_a_send_waits_for_its_slot_queued_and_goes_in_one_commit_when_idle(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    states: dict[int, list[SendState]] = {}

    def note(change: StoreChange) -> None:
        for d in change.deliveries:
            states.setdefault(d.id, []).append(d.send_state)

    writer.subscribe(note)
    sleeps = Sleeps()
    sender = make_sender(writer, reader, gateway, sleeps, pacing=Pacing(long_code=2.0))
    first = await sender.send(TO, "one", from_=FROM)
    second = await sender.send(TO, "two", from_=FROM)  # the sender's next slot is 0.5 s away
    assert sleeps.delays == [0.5]
    assert states[first.id] == [SendState.SUBMITTING, SendState.ACCEPTED]
    assert states[second.id] == [SendState.QUEUED, SendState.SUBMITTING, SendState.ACCEPTED]


async def test_without_a_public_url_no_callback_is_requested(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    sender = make_sender(writer, reader, gateway, status_callback=lambda: None)
    await sender.send(TO, "hi", messaging_service_sid="MG" + "a" * 32)
    assert gateway.callbacks == [None]
    assert gateway.messages[0].messaging_service_sid == "MG" + "a" * 32


# -- retries and refusals by Twilio ---------------------------------------------------------
async def test_429_is_retried_with_growing_jittered_backoff_and_sent_once(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = ["429", "429", "429"]
    sleeps = Sleeps()
    sender = make_sender(writer, reader, gateway, sleeps)
    rec = await sender.send(TO, "hi", from_=FROM)
    assert rec.send_state is SendState.ACCEPTED
    assert gateway.creates == 4 and len(gateway.messages) == 1
    assert len(sleeps.delays) == 3
    assert all(0 <= d <= c for d, c in zip(sleeps.delays, (0.5, 1.0, 2.0), strict=True))


async def test_a_429_storm_longer_than_the_attempts_leaves_the_message_queued(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = ["429"] * 4
    sender = make_sender(writer, reader, gateway)
    rec = await sender.send(TO, "hi", from_=FROM)
    assert rec.send_state is SendState.QUEUED and rec.sid is None
    assert gateway.messages == []
    report = await sender.resume_pending()  # the next start sends it
    assert report.job is not None
    final = await report.job.wait()
    assert final.done == 1 and len(gateway.messages) == 1
    assert stored(reader, rec.id).send_state is SendState.ACCEPTED


async def test_twilio_refusals_are_stored_with_the_catalog_meaning_and_fix(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = [GatewayError("The 'From' phone number ...", code=21606, http_status=400)]
    sender = make_sender(writer, reader, gateway)
    rec = await sender.send(TO, "hi", from_=FROM)
    assert rec.send_state is SendState.REJECTED and rec.status == "rejected"
    assert rec.error_code == 21606 and rec.final_at is not None
    assert rec.error_message is not None and "What to do:" in rec.error_message
    assert "sender" in rec.error_message.lower()


# -- outcome unknown ------------------------------------------------------------------------
async def test_a_create_lost_after_twilio_stored_it_is_adopted_not_resent(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = ["lost"]
    sleeps = Sleeps()
    sender = make_sender(writer, reader, gateway, sleeps)
    rec = await sender.send(TO, "hello", from_=FROM)
    assert gateway.creates == 1 and len(gateway.messages) == 1
    assert rec.send_state is SendState.ACCEPTED and rec.sid == gateway.messages[0].sid
    assert [e.source for e in reader.events(rec.id)] == [EventSource.POLL]
    assert sleeps.delays == []  # found at the first look: no waiting


async def test_a_5xx_before_storing_is_resent_once_after_the_settle_window(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = ["500"]
    sleeps = Sleeps()
    sender = make_sender(writer, reader, gateway, sleeps, settle_seconds=30.0)
    rec = await sender.send(TO, "hello", from_=FROM)
    assert gateway.creates == 2 and len(gateway.messages) == 1
    assert rec.send_state is SendState.ACCEPTED and rec.sid == gateway.messages[0].sid
    # waited out the settle window, then the re-send took the next pacing slot (rate 2/s)
    assert len(sleeps.delays) == 2 and 29 < sleeps.delays[0] <= 30 and sleeps.delays[1] == 0.5


async def test_it_is_resent_at_most_once(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = ["500", "500"]
    sender = make_sender(writer, reader, gateway)
    rec = await sender.send(TO, "hello", from_=FROM)
    assert gateway.creates == 2 and gateway.messages == []
    assert rec.send_state is SendState.UNKNOWN  # left for the operator / the next start


async def test_a_listing_that_fails_leaves_the_outcome_unknown(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = ["lost"]

    gateway.list_error = OutcomeUnknown("timeout")
    sender = make_sender(writer, reader, gateway)
    rec = await sender.send(TO, "hello", from_=FROM)
    assert rec.send_state is SendState.UNKNOWN and gateway.creates == 1


async def test_an_identical_message_in_flight_is_not_adopted_by_mistake(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    """B (stored first, answer delayed) and A (stored, answer lost) share to and body.

    Listing while B's create is in flight would offer B's SID (the oldest match) to A; the
    pipeline must wait for B's answer before reconciling A, and must not take B's SID for a
    free one when only a callback's stand-in holds it in the ledger.
    """
    release_b = asyncio.Event()
    b_stored = asyncio.Event()
    stored: list[str] = []

    async def hold(sid: str) -> None:
        stored.append(sid)
        if len(stored) == 1:
            b_stored.set()
            await release_b.wait()

    gateway.hold = hold
    gateway.script = ["ok", "lost"]
    sender = make_sender(writer, reader, gateway, pacing=Pacing(long_code=1000.0))
    task_b = asyncio.create_task(sender.send(TO, "same", from_=FROM))
    await asyncio.wait_for(b_stored.wait(), 5)
    a_unknown = asyncio.Event()
    writer.subscribe(
        lambda ch: (
            a_unknown.set()
            if any(d.send_state is SendState.UNKNOWN for d in ch.deliveries)
            else None
        )
    )
    task_a = asyncio.create_task(sender.send(TO, "same", from_=FROM))
    await asyncio.wait_for(a_unknown.wait(), 5)
    assert gateway.lists == 0  # A waits at the gate instead of listing
    # an early callback for B's message makes a stand-in delivery for B's SID
    await writer.record_event(
        EventIn(source=EventSource.CALLBACK, status="sent", message_sid=stored[0], to=TO)
    )
    release_b.set()
    b, a = await asyncio.gather(task_b, task_a)
    assert (b.sid, a.sid) == (stored[0], stored[1])
    assert len(gateway.messages) == 2 and gateway.lists == 1


# -- bulk ------------------------------------------------------------------------------------
async def test_bulk_refuses_rows_up_front_and_records_the_rest_in_one_batch(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    await writer.set_opt_out("+14155550113", True, "STOP")
    sender = make_sender(writer, reader, gateway)
    items = [
        Outgoing("+14155550112", "one", FROM),
        Outgoing("nope", "two", FROM),
        Outgoing("+14155550113", "three", FROM),
        Outgoing("+14155550114", "four", FROM),
    ]
    progress: list[BulkProgress] = []
    job = await sender.send_bulk(items, on_progress=progress.append)
    assert [(r.index, r.code) for r in job.refusals] == [(1, 21211), (2, 21610)]
    final = await job.wait()
    assert (final.total, final.done, final.refused, final.state) == (4, 2, 2, JobState.FINISHED)
    rows = reader.deliveries(limit=10)
    assert len(rows) == 2 and {r.batch_id for r in rows} == {job.id}
    assert progress[-1] == final and final.eta_seconds == 0


async def test_bulk_is_paced_per_sender_in_segments(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    sleeps = Sleeps()  # frozen clock: each wait is the slot's ideal time from t=0
    sender = make_sender(writer, reader, gateway, sleeps, pacing=Pacing(long_code=2.0))
    three_segments = "x" * 400  # GSM-7: 3 parts of 153
    items = [Outgoing(TO, b, FROM) for b in ("a", three_segments, "b", "c")]
    items += [Outgoing(TO, b, "+18005550100") for b in ("d", "e")]  # toll-free: 3 segments/s
    job = await sender.send_bulk(items)
    assert job.eta_seconds == pytest.approx(max((1 + 3 + 1 + 1) / 2.0, 2 / 3.0))
    await job.wait()
    assert sorted(sleeps.delays) == pytest.approx(sorted([0.5, 2.0, 2.5, 1 / 3]))
    assert len(gateway.messages) == 6


async def test_new_pacing_settings_apply_to_existing_senders(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    sleeps = Sleeps()
    sender = make_sender(writer, reader, gateway, sleeps, pacing=Pacing(long_code=2.0))
    await sender.send(TO, "one", from_=FROM)
    sender.set_pacing(Pacing(long_code=4.0))
    assert sender.pacer(FROM).rate == 4.0 and sender.pacer("+18005550100").rate == 3.0
    await sender.send(TO, "two", from_=FROM)  # the slot was booked at 2/s
    await sender.send(TO, "three", from_=FROM)  # ... this one at 4/s
    assert sleeps.delays == [0.5, 0.75]


async def test_bulk_cancel_withdraws_what_was_not_submitted(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def hold(sid: str) -> None:
        started.set()
        await release.wait()

    gateway.hold = hold
    sender = make_sender(writer, reader, gateway, max_in_flight=1)
    job = await sender.send_bulk([Outgoing(f"+1415555012{i}", "hi", FROM) for i in range(5)])
    await asyncio.wait_for(started.wait(), 5)
    cancel = asyncio.create_task(job.cancel())
    release.set()
    assert await cancel == 4
    final = job.progress()
    assert (final.done, final.canceled, final.state) == (1, 4, JobState.CANCELED)
    assert len(gateway.messages) == 1
    canceled = [d for d in reader.deliveries(limit=10) if d.send_state is SendState.CANCELED]
    assert len(canceled) == 4 and all(d.status == "canceled" for d in canceled)


async def test_bulk_pause_holds_the_queue_until_resume(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def hold(sid: str) -> None:
        started.set()
        await release.wait()

    gateway.hold = hold
    sender = make_sender(writer, reader, gateway, max_in_flight=1)
    first_done = asyncio.Event()
    job = await sender.send_bulk(
        [Outgoing(f"+1415555013{i}", "hi", FROM) for i in range(3)],
        on_progress=lambda p: first_done.set() if p.done == 1 else None,
    )
    await asyncio.wait_for(started.wait(), 5)
    job.pause()
    release.set()
    await asyncio.wait_for(first_done.wait(), 5)
    await writer.add_delivery(NewDelivery(to="+14155550199", body="a round trip through the loop"))
    assert job.state is JobState.PAUSED and gateway.creates == 1
    job.resume()
    final = await job.wait()
    assert final.done == 3 and gateway.creates == 3


async def test_a_stop_arriving_during_a_bulk_rejects_the_later_message_locally(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def hold(sid: str) -> None:
        started.set()
        await release.wait()

    gateway.hold = hold
    sender = make_sender(writer, reader, gateway, max_in_flight=1)
    job = await sender.send_bulk([Outgoing(f"+1415555016{i}", "hi", FROM) for i in range(2)])
    await asyncio.wait_for(started.wait(), 5)
    await writer.set_opt_out("+14155550161", True, "STOP")
    release.set()
    final = await job.wait()
    assert (final.done, final.failed) == (1, 1) and gateway.creates == 1
    [late] = [d for d in reader.deliveries(limit=5) if d.to == "+14155550161"]
    assert (late.send_state, late.status, late.error_code) == (
        SendState.REJECTED,
        "rejected",
        21610,
    )
    assert late.error_message is not None and "replied STOP" in late.error_message


async def test_an_authentication_failure_stops_the_whole_job(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    gateway.script = [AuthenticationFailed("Authenticate", code=20003, http_status=401)]
    sender = make_sender(writer, reader, gateway, max_in_flight=1)
    job = await sender.send_bulk([Outgoing(f"+1415555014{i}", "hi", FROM) for i in range(4)])
    final = await job.wait()
    assert (final.failed, final.canceled, final.state) == (1, 3, JobState.CANCELED)
    assert final.error is not None and "Authentication failed" in final.error
    assert gateway.creates == 1


# -- resume after a crash -------------------------------------------------------------------
async def test_resume_adopts_resends_and_sends_what_a_crash_left(
    writer: Writer, reader: Reader, gateway: FakeGateway
) -> None:
    """Three deliveries as a killed process leaves them: stored+SUBMITTING, SUBMITTING, QUEUED."""
    recs = await writer.add_deliveries(
        [NewDelivery(to=f"+1415555015{i}", body=f"m{i}", from_=FROM, segments=1) for i in range(3)]
    )
    for rec in recs[:2]:
        await writer.transition(rec.id, SendState.SUBMITTING)
    gateway._store(recs[0].to, "m0", FROM, None)  # Twilio had accepted the first one
    sender = make_sender(writer, reader, gateway)
    report = await sender.resume_pending()
    assert (report.adopted, report.resent, report.unresolved) == (1, 1, 0)
    assert report.job is not None and (await report.job.wait()).done == 1
    assert gateway.creates == 2 and len(gateway.messages) == 3
    sids = {stored(reader, r.id).sid for r in recs}
    assert sids == {m.sid for m in gateway.messages}
