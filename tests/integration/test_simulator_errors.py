"""Refusals as Twilio sends them: validation codes, trial rules, opt-outs, 429/500, slow creates."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from console.domain.trial import TRIAL_PREFIX, templates
from console.simulator import DEMO_ACCOUNT, AccountConfig, NumberConfig, Scenario
from console.simulator.config import DEMO_NUMBER_1, DEMO_NUMBER_2
from tests.integration.simulator_harness import Rig, rig

TO = "+14155550123"
TRIAL = AccountConfig(
    sid="AC" + "7" * 32,
    auth_token="t" * 32,
    friendly_name="Trial tester",
    type="Trial",
    numbers=(NumberConfig("+14155550190"),),
    verified_numbers=("+14155550191",),
)


async def _refused(r: Rig, **kwargs: Any) -> TwilioRestException:
    with pytest.raises(TwilioRestException) as caught:
        await r.call(r.client.messages.create, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"to": "", "from_": DEMO_NUMBER_1, "body": "x"}, 21604),
        ({"to": TO, "body": "x"}, 21603),
        ({"to": "+1555", "from_": DEMO_NUMBER_1, "body": "x"}, 21211),
        ({"to": "+15555550100", "from_": DEMO_NUMBER_1, "body": "x"}, 21211),
        ({"to": DEMO_NUMBER_1, "from_": DEMO_NUMBER_1, "body": "x"}, 21266),
        ({"to": TO, "from_": DEMO_NUMBER_1, "body": ""}, 21602),
        ({"to": TO, "from_": DEMO_NUMBER_1, "body": "x" * 1601}, 21617),
        ({"to": TO, "from_": "+14155550199", "body": "x"}, 21606),
        ({"to": TO, "messaging_service_sid": "MG" + "0" * 32, "body": "x"}, 21701),
        (
            {
                "to": TO,
                "from_": DEMO_NUMBER_1,
                "body": "x",
                "status_callback": "https://my_host.example.com/status",
            },
            21609,
        ),
        ({"to": TO, "from_": DEMO_NUMBER_1, "body": "x", "status_callback": "ftp://h/s"}, 21609),
    ],
)
async def test_validation_errors_carry_twilios_codes(kwargs: dict[str, Any], code: int) -> None:
    async with rig() as r:
        error = await _refused(r, **kwargs)
        assert (error.status, error.code) == (400, code)
        assert r.sim.messages() == []


async def test_body_of_exactly_1600_characters_is_accepted() -> None:
    async with rig() as r:
        m = await r.call(r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="x" * 1600)
        assert m.num_segments == "11"


async def test_trial_account_refuses_unverified_numbers_and_free_text() -> None:
    template = templates()[0].body
    async with rig(TRIAL) as r:
        unverified = await _refused(r, to=TO, from_="+14155550190", body=template)
        assert unverified.code == 21608
        free_text = await _refused(r, to="+14155550191", from_="+14155550190", body="hi!")
        assert free_text.code == 572006
        not_ours = await _refused(r, to="+14155550191", from_=DEMO_NUMBER_1, body=template)
        assert not_ours.code == 21607
        ok = await r.call(
            r.client.messages.create, to="+14155550191", from_="+14155550190", body=template
        )
        assert ok.status == "queued"
        account = await r.call(r.client.api.v2010.account.fetch)
        assert account.type == "Trial"


async def test_legacy_trial_accepts_free_text_with_the_trial_prefix() -> None:
    legacy = replace(TRIAL, legacy_trial=True)
    async with rig(legacy) as r:
        sent = await r.call(
            r.client.messages.create, to="+14155550191", from_="+14155550190", body="hi!"
        )
        assert sent.body == TRIAL_PREFIX + "hi!"
        assert (await _refused(r, to=TO, from_="+14155550190", body="hi!")).code == 21608


async def test_stop_blocks_sending_until_start() -> None:
    async with rig() as r:
        await r.sim.inject_inbound(TO, DEMO_NUMBER_1, "STOP")
        blocked = await _refused(r, to=TO, from_=DEMO_NUMBER_1, body="are you there?")
        assert blocked.code == 21610
        other_sender = await r.call(
            r.client.messages.create, to=TO, from_=DEMO_NUMBER_2, body="from the other line"
        )
        assert other_sender.status == "queued"
        await r.sim.inject_inbound(TO, DEMO_NUMBER_1, "start")
        again = await r.call(r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="hi")
        assert again.status == "queued"


async def test_stop_to_a_service_number_blocks_the_whole_service() -> None:
    service = DEMO_ACCOUNT.services[0].sid
    async with rig() as r:
        await r.sim.inject_inbound(TO, DEMO_NUMBER_2, "UNSUBSCRIBE")
        blocked = await _refused(r, to=TO, messaging_service_sid=service, body="hello")
        assert blocked.code == 21610


async def test_429_burst_then_success() -> None:
    async with rig(scenario=Scenario(throttle_creates=2)) as r:
        for _ in range(2):
            error = await _refused(r, to=TO, from_=DEMO_NUMBER_1, body="x")
            assert (error.status, error.code) == (429, 20429)
        assert r.sim.messages() == []  # nothing was processed: safe to retry
        m = await r.call(r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="x")
        assert [s.sid for s in r.sim.messages()] == [m.sid]
        r.sim.throttle_next_creates(1)
        assert (await _refused(r, to=TO, from_=DEMO_NUMBER_1, body="x")).code == 20429


async def test_failing_create_stores_nothing() -> None:
    async with rig() as r:
        r.sim.fail_next_creates(1)
        error = await _refused(r, to=TO, from_=DEMO_NUMBER_1, body="x")
        assert (error.status, error.code) == (500, 20500)
        assert r.sim.messages() == []
        assert await r.call(r.client.messages.list, to=TO) == []


async def test_slow_create_is_accepted_before_the_answer_arrives() -> None:
    """The 'timed out, but Twilio accepted it' case: reconciliation finds the message."""
    async with rig(scenario=Scenario(slow_creates=1, slow_create_delay=30.0)) as r:
        impatient = r.new_client(timeout=0.5)
        pending = asyncio.ensure_future(
            r.call(impatient.messages.create, to=TO, from_=DEMO_NUMBER_1, body="slow")
        )
        await r.sim.wait_for(lambda: len(r.sim.messages()) == 1)
        assert not pending.done()
        with pytest.raises(requests.exceptions.ReadTimeout):
            await pending
        found = await r.call(r.client.messages.list, to=TO)
        assert [m.body for m in found] == ["slow"]
        await r.sim.wait_for(lambda: r.sim.messages()[0].status == "delivered")


async def test_slow_create_still_answers_with_the_stored_message() -> None:
    async with rig(scenario=Scenario(slow_creates=1, slow_create_delay=0.2)) as r:
        created = await r.call(r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="late")
        assert [m.sid for m in r.sim.messages()] == [created.sid]
        assert created.status == "queued"  # the answer shows the status at acceptance
