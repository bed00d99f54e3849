"""Missed callbacks are recovered by polling the simulator through the real twilio library."""

from __future__ import annotations

import asyncio

from console.domain.model import EventSource, SendState
from console.gateway.reconcile import Reconciler
from console.gateway.sender import STATUS_PATH
from console.settings import Pacing
from console.simulator import Outcome, RecipientRule, Scenario
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.test_sender import FROM, rig_for, until
from tests.unit.test_sender import stored

SCENARIO = Scenario(
    seed=7,
    rules=(RecipientRule(Outcome("undelivered", 30003), to_suffix="9"),),
)


async def test_callbacks_missed_while_the_tunnel_was_down_are_recovered_at_start(
    writer: Writer, reader: Reader
) -> None:
    async with rig_for(writer, reader, scenario=SCENARIO) as rig:
        down = rig.webhooks.local_url + STATUS_PATH
        await rig.webhooks.stop()  # the tunnel is down: every callback fails
        sender = rig.sender(pacing=Pacing(long_code=100.0), status_callback=lambda: down)
        recs = [await sender.send(f"+1415555016{i}", f"m{i}", from_=FROM) for i in range(5, 10)]
        assert all(r.send_state is SendState.ACCEPTED for r in recs)
        await rig.sim.wait_idle()
        assert all(stored(reader, r.id).final_at is None for r in recs)

        reconciler = Reconciler(writer, reader, rig.gateway, after_seconds=600)
        assert await reconciler.reconcile_open(all_open=True) == 5
        by_to = {d.to: d for d in (reader.delivery(r.id) for r in recs) if d is not None}
        failed = by_to["+14155550169"]
        assert (failed.status, failed.error_code) == ("undelivered", 30003)
        for to, d in by_to.items():
            if to != "+14155550169":
                assert d.status == "delivered" and d.price and d.price_unit == "USD"
            assert [e.source for e in reader.events(d.id)] == [EventSource.API, EventSource.POLL]


async def test_the_running_reconciler_finishes_what_no_callback_reported(
    writer: Writer, reader: Reader
) -> None:
    async with rig_for(writer, reader) as rig:
        sender = rig.sender(status_callback=lambda: None)  # no public URL: no callbacks at all
        rec = await sender.send("+14155550170", "poll me", from_=FROM)
        reconciler = Reconciler(
            writer, reader, rig.gateway, after_seconds=0.0, interval=0.05, repoll_seconds=0.0
        )
        task = asyncio.create_task(reconciler.run())
        try:
            await until(writer, lambda: bool(getattr(reader.delivery(rec.id), "price", None)))
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        d = reader.delivery(rec.id)
        assert d is not None and d.status == "delivered" and d.final_at is not None
        assert {e.source for e in reader.events(rec.id)} == {EventSource.API, EventSource.POLL}
