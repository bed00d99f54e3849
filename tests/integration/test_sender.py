"""The send pipeline against the simulator: the real twilio library talking HTTP on 127.0.0.1.

Every test runs the simulator (REST + signed callbacks), the console's webhook server (which
records those callbacks through the writer) and a ``Sender`` on one event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pytest

from console.domain.model import EventSource, SendState
from console.domain.trial import get_template
from console.gateway.account import AccountService
from console.gateway.bulk import JobState
from console.gateway.checks import Outgoing, SendRefused
from console.gateway.client import TwilioGateway
from console.gateway.pacing import Backoff
from console.gateway.resources import MessageInfo
from console.gateway.sender import STATUS_PATH, Sender
from console.secrets import Credentials
from console.settings import Pacing
from console.simulator import DEMO_ACCOUNT, AccountConfig, Scenario, Simulator, SimulatorServer
from console.simulator.state import MessageRecord
from console.store.queries import Reader
from console.store.writer import Writer
from console.webhooks.app import WebhookServer

FROM = "+14155550100"  # owned by the demo account
VERIFIED = "+14155550150"  # the demo account's verified caller ID


async def until(writer: Writer, predicate: Callable[[], bool], within: float = 15.0) -> None:
    """Return once ``predicate()`` holds, re-checking after every commit of the writer."""
    changed = asyncio.Event()
    writer.subscribe(lambda _change: changed.set())

    async def watch() -> None:
        while not predicate():
            await changed.wait()
            changed.clear()

    await asyncio.wait_for(watch(), within)


def status_of(reader: Reader, delivery_id: int) -> str:
    """The delivery's current status ("" when it does not exist)."""
    d = reader.delivery(delivery_id)
    return d.status if d is not None else ""


class TimedGateway(TwilioGateway):
    """The real gateway, noting when each create call started (for the pacing checks)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.create_times: list[float] = []

    async def create_message(self, **kwargs: Any) -> MessageInfo:
        self.create_times.append(time.monotonic())
        return await super().create_message(**kwargs)


@dataclass
class Rig:
    """Simulator + webhook server + gateway + store, wired like the app wires them."""

    sim: Simulator
    gateway: TimedGateway
    webhooks: WebhookServer
    writer: Writer
    reader: Reader

    def sender(self, **kw: Any) -> Sender:
        options: dict[str, Any] = {
            "pacing": Pacing(long_code=50.0),
            "status_callback": lambda: self.webhooks.local_url + STATUS_PATH,
            "settle_seconds": 0.5,
            "backoff": Backoff(base=0.02, cap=0.2, attempts=12),
        }
        options.update(kw)
        return Sender(self.writer, self.reader, self.gateway, **options)

    def outbound(self) -> list[MessageRecord]:
        return [m for m in self.sim.messages() if m.direction == "outbound-api"]


@asynccontextmanager
async def rig_for(
    writer: Writer,
    reader: Reader,
    account: AccountConfig = DEMO_ACCOUNT,
    scenario: Scenario | None = None,
    request_timeout: float = 5.0,
) -> AsyncIterator[Rig]:
    sim = Simulator(account, scenario)
    async with SimulatorServer(sim) as server:
        assert server.base_url is not None
        creds = Credentials(account_sid=account.sid, auth_token=account.auth_token)
        gateway = TimedGateway(creds, api_base_url=server.base_url, timeout=request_timeout)
        webhooks = WebhookServer(
            writer, auth_token=lambda: account.auth_token, public_url=lambda: None, port=0
        )
        await webhooks.start()
        try:
            yield Rig(sim, gateway, webhooks, writer, reader)
        finally:
            await webhooks.stop()


@pytest.fixture
async def rig(writer: Writer, reader: Reader) -> AsyncIterator[Rig]:
    async with rig_for(writer, reader) as r:
        yield r


async def test_a_send_is_accepted_and_its_callbacks_are_applied(rig: Rig) -> None:
    rec = await rig.sender().send("(415) 555-0121", "Hello from the console", from_=FROM)
    assert rec.send_state is SendState.ACCEPTED
    [message] = rig.outbound()
    assert rec.sid == message.sid and message.to == "+14155550121"
    assert message.status_callback == rig.webhooks.local_url + STATUS_PATH
    await until(rig.writer, lambda: status_of(rig.reader, rec.id) == "delivered")
    events = rig.reader.events(rec.id)  # a callback may even beat the API answer
    assert [(e.source, e.status) for e in events if e.source is EventSource.API] == [
        (EventSource.API, "queued")
    ]
    callbacks = [e for e in events if e.source is EventSource.CALLBACK]
    assert sorted(e.status for e in callbacks) == ["delivered", "sending", "sent"]
    assert all(e.signature is not None and e.signature.value == "valid" for e in callbacks)
    assert rig.reader.count_deliveries() == 1


async def test_a_bulk_send_is_paced_and_every_message_is_delivered_once(rig: Rig) -> None:
    rate = 50.0
    bodies = ["x" * 200 if i % 5 == 0 else f"message {i}" for i in range(20)]  # some 2-segment
    items = [Outgoing(f"+1415555{1300 + i}", body, FROM) for i, body in enumerate(bodies)]
    job = await rig.sender(pacing=Pacing(long_code=rate)).send_bulk(items)
    final = await asyncio.wait_for(job.wait(), 30)
    assert (final.done, final.failed, final.state) == (20, 0, JobState.FINISHED)
    ids = [d.id for d in rig.reader.deliveries(limit=50)]
    await until(rig.writer, lambda: all(status_of(rig.reader, i) == "delivered" for i in ids))
    sent = Counter((m.to, m.body) for m in rig.outbound())
    assert len(sent) == 20 and set(sent.values()) == {1}
    # Never faster than the rate: the first 19 messages' segments need (segments / rate) s.
    times = rig.gateway.create_times
    segments_before_last = sum(2 if len(b) > 160 else 1 for b in bodies[:-1])
    # (50 ms of slack: the first create call may start late after its commit on a busy machine)
    assert times[-1] - times[0] >= segments_before_last / rate - 0.05


async def test_a_429_storm_is_retried_without_duplicates(rig: Rig) -> None:
    rig.sim.throttle_next_creates(15)
    items = [Outgoing(f"+1415555{1400 + i}", f"storm {i}", FROM) for i in range(6)]
    job = await rig.sender(pacing=Pacing(long_code=200.0)).send_bulk(items)
    final = await asyncio.wait_for(job.wait(), 30)
    assert final.done == 6 and final.deferred == 0
    assert len(rig.gateway.create_times) == 6 + 15  # every 429 was retried
    sent = Counter((m.to, m.body) for m in rig.outbound())
    assert len(sent) == 6 and set(sent.values()) == {1}
    sids = {d.sid for d in rig.reader.deliveries(limit=50)}
    assert sids == {m.sid for m in rig.outbound()}


async def test_a_bulk_job_says_which_input_row_each_delivery_belongs_to(rig: Rig) -> None:
    items = [
        Outgoing("+14155551501", "same text", FROM),
        Outgoing("not a number", "refused", FROM),
        Outgoing("+14155551501", "same text", FROM),  # a duplicate row is a row of its own
        Outgoing("+14155551502", "other", FROM),
    ]
    job = await rig.sender(pacing=Pacing(long_code=200.0)).send_bulk(items)
    await asyncio.wait_for(job.wait(), 30)
    assert sorted(job.index_of.values()) == [0, 2, 3]
    assert [r.index for r in job.refusals] == [1]
    for delivery_id, index in job.index_of.items():
        rec = rig.reader.delivery(delivery_id)
        assert rec is not None and (rec.to, rec.body) == (items[index].to, items[index].body)


async def test_a_create_that_times_out_after_twilio_accepted_it_is_adopted_not_resent(
    writer: Writer, reader: Reader
) -> None:
    async with rig_for(writer, reader, request_timeout=0.5) as rig:
        rig.sim.slow_next_creates(1, delay=3.0)  # stored at once, answered after 3 s
        rec = await rig.sender().send("+14155550131", "slow answer", from_=FROM)
        assert rec.send_state is SendState.ACCEPTED
        [message] = rig.outbound()
        assert rec.sid == message.sid and len(rig.gateway.create_times) == 1
        # callbacks may beat the reconciliation; they are adopted with the SID
        assert EventSource.POLL in {e.source for e in reader.events(rec.id)}
        assert reader.count_deliveries() == 1
        await until(writer, lambda: status_of(reader, rec.id) == "delivered")


async def test_a_5xx_before_twilio_stored_it_is_sent_exactly_once(rig: Rig) -> None:
    rig.sim.fail_next_creates(1)
    rec = await rig.sender().send("+14155550132", "try again", from_=FROM)
    assert rec.send_state is SendState.ACCEPTED
    assert len(rig.gateway.create_times) == 2 and len(rig.outbound()) == 1
    assert rec.sid == rig.outbound()[0].sid


async def test_a_recipient_who_replied_stop_is_refused_with_21610(rig: Rig) -> None:
    sender = rig.sender()
    await sender.send("+14155550133", "first", from_=FROM)
    number = rig.sim.state.number(FROM)
    assert number is not None
    number.sms_url = rig.webhooks.local_url + "/webhooks/twilio/inbound"  # replies come to us
    await rig.sim.inject_inbound("+14155550133", FROM, "STOP")
    await until(rig.writer, lambda: rig.reader.is_opted_out("+14155550133"))
    with pytest.raises(SendRefused) as caught:
        await sender.send("+14155550133", "second", from_=FROM)
    assert caught.value.code == 21610 and "replied STOP" in str(caught.value)
    assert caught.value.info.action.startswith("Do not send")
    assert len(rig.outbound()) == 1 and rig.reader.count_deliveries() == 1


async def test_a_trial_account_refuses_unverified_numbers_and_sends_to_verified_ones(
    writer: Writer, reader: Reader
) -> None:
    trial = replace(DEMO_ACCOUNT, type="Trial")
    async with rig_for(writer, reader, account=trial) as rig:
        account = AccountService(rig.gateway)
        summary = await account.summary()
        sender = rig.sender(account_type=lambda: summary.type, is_verified=account.is_verified)
        body = get_template("sms_2fa").body
        with pytest.raises(SendRefused) as caught:
            await sender.send("+14155550134", body, from_=FROM)
        assert caught.value.code == 21608 and "verify this number" in str(caught.value)
        assert rig.outbound() == [] and reader.count_deliveries() == 0
        rec = await sender.send(VERIFIED, body, from_=FROM)
        assert rec.send_state is SendState.ACCEPTED and len(rig.outbound()) == 1


async def test_twilio_refusals_are_stored_with_the_catalog_meaning_and_fix(rig: Rig) -> None:
    rec = await rig.sender().send("+14155550135", "from a stranger", from_="+14155550199")
    assert rec.send_state is SendState.REJECTED and rec.error_code == 21606
    assert rec.error_message is not None and "What to do:" in rec.error_message
    assert rig.outbound() == []
    [event] = rig.reader.events(rec.id)
    assert event.source is EventSource.API and event.status == "rejected"
    assert isinstance(event.received_at, datetime)
