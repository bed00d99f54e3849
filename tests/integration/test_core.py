"""The composition root's services facade in demo mode: everything real, the simulator as Twilio."""

from __future__ import annotations

import pytest

from console.core import Core
from console.gateway.checks import Outgoing, SendRefused
from tests.integration.core_support import Changes


async def test_no_credentials_means_demo_mode(core: Core) -> None:
    assert core.state.mode == "demo"
    assert core.state.server_url is not None
    assert any("demo mode" in w for w in core.state.warnings)
    summary = await core.account_summary(refresh=True)
    assert summary is not None and summary.type == "Full"


async def test_a_sent_message_reaches_a_final_status(core: Core, changes: Changes) -> None:
    rec = await core.send("+14155550123", "Hello from the test")
    assert rec.sid is not None
    await changes.until(lambda: (d := core.reader.delivery(rec.id)) is not None and d.final_at)
    events = core.reader.events(rec.id)
    assert events[0].source.value == "api"
    assert {e.source.value for e in events[1:]} == {"simulator"}
    assert all(e.signature is not None and e.signature.value == "valid" for e in events[1:])


async def test_refusal_explains_itself(core: Core) -> None:
    with pytest.raises(SendRefused) as info:
        await core.send("12", "hi")
    assert info.value.code == 21211


async def test_bulk_preview_and_send(core: Core) -> None:
    rows = [Outgoing("+14155550131", "one"), Outgoing("nope", "two"), Outgoing("+14155550132", "")]
    checks = await core.preview_bulk(rows)
    assert [c.ok for c in checks] == [True, False, False]
    job = await core.send_bulk([rows[0]])
    progress = await job.wait()
    assert progress.done == 1


async def test_inbound_reaches_the_ledger(core: Core, changes: Changes) -> None:
    assert core.simulator is not None
    await core.simulator.inject_inbound("+14155550140", "+14155550100", "STOP")
    await changes.until(lambda: core.reader.is_opted_out("+14155550140"))
    with pytest.raises(SendRefused) as info:
        await core.send("+14155550140", "are you there?")
    assert info.value.code == 21610
