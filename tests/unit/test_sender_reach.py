"""Resume and reconcile ask only about what the Twilio behind the gateway can know (``Reach``):
not another account's messages, not those an earlier demo simulator accepted."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from console.domain.model import EventIn, EventSource, NewDelivery, SendState, utcnow
from console.gateway.reconcile import Reach, Reconciler
from console.gateway.resources import MessageInfo
from console.store.queries import Reader
from console.store.writer import Writer
from tests.unit.test_sender import FROM, FakeGateway, make_sender, stored

ACCOUNT = "AC" + "0" * 32  # the FakeGateway's account
OTHER = "AC" + "9" * 32  # another profile's account


@dataclass
class Recording(FakeGateway):
    """A FakeGateway that notes whom every listing and fetch asked about."""

    listed: list[str | None] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)

    async def list_messages(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        sent_after: datetime | None = None,
        limit: int = 50,
    ) -> list[MessageInfo]:
        self.listed.append(to)
        return await super().list_messages(to=to, from_=from_, sent_after=sent_after, limit=limit)

    async def fetch_message(self, sid: str) -> MessageInfo:
        self.fetched.append(sid)
        return await super().fetch_message(sid)


async def added(writer: Writer, to: str, account: str, state: SendState) -> int:
    rec = await writer.add_delivery(
        NewDelivery(to=to, body="hi", from_=FROM, account_sid=account, segments=1)
    )
    if state is not SendState.QUEUED:
        await writer.transition(rec.id, SendState.SUBMITTING)
    if state is SendState.UNKNOWN:
        await writer.transition(rec.id, SendState.UNKNOWN)
    return rec.id


async def accepted(writer: Writer, to: str, account: str, sid: str, status: str) -> int:
    rec = await writer.add_delivery(
        NewDelivery(to=to, body="hi", from_=FROM, account_sid=account, segments=1)
    )
    event = EventIn(source=EventSource.API, status="queued")
    await writer.transition(rec.id, SendState.ACCEPTED, sid=sid, event=event)
    if status != "queued":
        await writer.record_event(
            EventIn(source=EventSource.CALLBACK, status=status, message_sid=sid)
        )
    return rec.id


async def test_resume_looks_up_and_sends_only_what_is_in_reach(
    writer: Writer, reader: Reader
) -> None:
    gateway = Recording(reader)
    others_submitting = await added(writer, "+14155550161", OTHER, SendState.SUBMITTING)
    others_queued = await added(writer, "+14155550162", OTHER, SendState.QUEUED)
    earlier_unknown = await added(writer, "+14155550163", ACCOUNT, SendState.UNKNOWN)
    earlier_queued = await added(writer, "+14155550164", ACCOUNT, SendState.QUEUED)
    since = utcnow()  # a new demo simulator starts: what came before went to another one
    current = await added(writer, "+14155550165", ACCOUNT, SendState.SUBMITTING)
    sender = make_sender(writer, reader, gateway, reach=Reach(ACCOUNT, since))

    report = await sender.resume_pending()

    assert gateway.listed and set(gateway.listed) == {"+14155550165"}  # only `current`
    assert report.out_of_reach == 2 and report.resent == 1
    assert stored(reader, current).send_state is SendState.ACCEPTED
    # out of reach: not looked up nor re-sent; no create is in flight any more
    assert stored(reader, others_submitting).send_state is SendState.UNKNOWN
    assert stored(reader, earlier_unknown).send_state is SendState.UNKNOWN
    assert reader.events(others_submitting) == [] and reader.events(earlier_unknown) == []
    # queued: never submitted, so sent by this account's gateway; another account's waits
    assert report.job is not None and (await report.job.wait()).done == 1
    assert stored(reader, earlier_queued).send_state is SendState.ACCEPTED
    assert stored(reader, others_queued).send_state is SendState.QUEUED
    assert gateway.creates == 2


async def test_the_sender_reaches_its_own_account_by_default(
    writer: Writer, reader: Reader
) -> None:
    gateway = Recording(reader)
    others_queued = await added(writer, "+14155550166", OTHER, SendState.QUEUED)
    sender = make_sender(writer, reader, gateway, account_sid=ACCOUNT)
    report = await sender.resume_pending()
    assert report.job is None and gateway.creates == 0
    assert stored(reader, others_queued).send_state is SendState.QUEUED


async def test_reconcile_polls_nothing_a_new_simulator_cannot_know(
    writer: Writer, reader: Reader, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = Recording(reader)
    # An earlier demo run: messages its simulator accepted, open and final without a price.
    await accepted(writer, "+14155550171", ACCOUNT, "SM" + "a" * 32, "sent")
    await accepted(writer, "+14155550172", ACCOUNT, "SM" + "b" * 32, "delivered")
    await accepted(writer, "+14155550173", OTHER, "SM" + "c" * 32, "sent")  # another account
    since = utcnow()
    info = gateway._store("+14155550174", "hi", FROM, None)
    ours = await accepted(writer, "+14155550174", ACCOUNT, info.sid, "sent")
    gateway.set(info.sid, status="delivered", price="-0.00790", price_unit="USD")
    reconciler = Reconciler(writer, reader, gateway, reach=Reach(ACCOUNT, since))

    with caplog.at_level(logging.INFO, logger="console.gateway"):
        assert await reconciler.reconcile_open(all_open=True) == 1

    assert gateway.fetched == [info.sid]
    assert "20404" not in caplog.text and "could not poll" not in caplog.text
    assert stored(reader, ours).price == "-0.00790"


async def test_rows_out_of_reach_do_not_take_the_places_of_a_batch(
    writer: Writer, reader: Reader
) -> None:
    gateway = Recording(reader)
    for n in range(5):  # older, so listed first
        await accepted(writer, f"+1415555018{n}", OTHER, f"SM{n:032x}", "sent")
    sids = []
    for n in range(2):
        info = gateway._store(f"+1415555019{n}", "hi", FROM, None)
        await accepted(writer, info.to, ACCOUNT, info.sid, "sent")
        sids.append(info.sid)
    reconciler = Reconciler(writer, reader, gateway, reach=Reach(ACCOUNT), batch=2)
    assert await reconciler.reconcile_open(all_open=True) == 2
    assert sorted(gateway.fetched) == sorted(sids)


async def test_a_delivery_without_an_account_counts_as_the_current_accounts(
    writer: Writer, reader: Reader
) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550199", body="hi", from_=FROM))
    stored_rec = stored(reader, rec.id)
    assert stored_rec.account_sid is None
    assert Reach(ACCOUNT).owns(stored_rec) and Reach(ACCOUNT).knows(stored_rec)
    assert not Reach(ACCOUNT, since=utcnow()).knows(stored_rec)  # recorded before: unknown
    assert Reach(ACCOUNT, since=utcnow()).owns(stored_rec)  # still this account's to send
