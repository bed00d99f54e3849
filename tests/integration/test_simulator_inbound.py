"""Inbound messages, STOP/START, TwiML replies, scripted replies and caller-ID verification."""

from __future__ import annotations

import pytest

from console.simulator import DEMO_ACCOUNT, Scenario, ScheduledInbound
from console.simulator.config import DEMO_NUMBER_1, DEMO_NUMBER_2
from tests.integration.simulator_harness import Rig, rig

PHONE = "+14155550123"
NUMBER_1_SID = DEMO_ACCOUNT.numbers[0].sid
SERVICE_SID = DEMO_ACCOUNT.services[0].sid
INBOUND_FIELDS = {
    "MessageSid",
    "SmsSid",
    "SmsMessageSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "NumSegments",
    "SmsStatus",
    "ApiVersion",
}


async def _point_number_at_receiver(r: Rig) -> None:
    await r.call(
        r.client.incoming_phone_numbers(NUMBER_1_SID).update, sms_url=r.receiver.url("/inbound")
    )


async def test_inbound_message_is_posted_signed_and_listed() -> None:
    async with rig() as r:
        await _point_number_at_receiver(r)
        sid = await r.sim.inject_inbound(PHONE, DEMO_NUMBER_1, "Hello from a customer")
        (got,) = await r.receiver.collect("/inbound", 1)
        assert got.signature_valid and got.headers["User-Agent"] == "TwilioProxy/1.1"
        assert set(got.params) == INBOUND_FIELDS
        assert got.params["MessageSid"] == sid and sid.startswith("SM")
        assert got.params["From"] == PHONE and got.params["To"] == DEMO_NUMBER_1
        assert got.params["Body"] == "Hello from a customer"
        assert (got.params["NumMedia"], got.params["NumSegments"]) == ("0", "1")
        listed = await r.call(r.client.messages.list, from_=PHONE)
        assert [(m.sid, m.direction, m.status) for m in listed] == [(sid, "inbound", "received")]


@pytest.mark.parametrize(
    ("body", "kind"), [("STOP", "STOP"), ("start", "START"), (" Help ", "HELP"), ("END", "STOP")]
)
async def test_opt_out_keywords_carry_opt_out_type(body: str, kind: str) -> None:
    async with rig() as r:
        await _point_number_at_receiver(r)
        await r.sim.inject_inbound(PHONE, DEMO_NUMBER_1, body)
        (got,) = await r.receiver.collect("/inbound", 1)
        assert got.params["OptOutType"] == kind and got.signature_valid


async def test_service_number_inbound_goes_to_the_service_url() -> None:
    async with rig() as r:
        await r.call(
            r.client.messaging.v1.services(SERVICE_SID).update,
            inbound_request_url=r.receiver.url("/inbound-service"),
        )
        await r.sim.inject_inbound(PHONE, DEMO_NUMBER_2, "via the service")
        (got,) = await r.receiver.collect("/inbound-service", 1)
        assert got.params["MessagingServiceSid"] == SERVICE_SID and got.signature_valid


async def test_inbound_without_a_url_is_stored_only() -> None:
    async with rig() as r:
        sid = await r.sim.inject_inbound(PHONE, DEMO_NUMBER_1, "nobody listens")
        assert r.sim.message(sid).status == "received"
        assert r.receiver.received == []
        with pytest.raises(ValueError, match="not a number this simulated account owns"):
            await r.sim.inject_inbound(PHONE, "+14155550177", "wrong number")


async def test_twiml_message_reply_is_sent_back() -> None:
    async with rig() as r:
        await _point_number_at_receiver(r)
        r.receiver.answer("/inbound", (200, "<Response><Message>We got it</Message></Response>"))
        await r.sim.inject_inbound(PHONE, DEMO_NUMBER_1, "anyone?")
        await r.sim.wait_idle()
        replies = [m for m in r.sim.messages() if m.direction == "outbound-reply"]
        assert [(m.from_, m.to, m.body, m.status) for m in replies] == [
            (DEMO_NUMBER_1, PHONE, "We got it", "delivered")
        ]


async def test_scenario_replies_and_stops_after_delivery() -> None:
    scenario = Scenario(seed=5, stop_probability=1.0)
    async with rig(scenario=scenario) as r:
        await _point_number_at_receiver(r)
        await r.call(r.client.messages.create, to=PHONE, from_=DEMO_NUMBER_1, body="offer!")
        (got,) = await r.receiver.collect("/inbound", 1)
        assert (got.params["Body"], got.params["OptOutType"], got.params["From"]) == (
            "STOP",
            "STOP",
            PHONE,
        )
    scenario = Scenario(seed=5, reply_probability=1.0, reply_bodies=("Sounds good",))
    async with rig(scenario=scenario) as r:
        await _point_number_at_receiver(r)
        await r.call(r.client.messages.create, to=PHONE, from_=DEMO_NUMBER_1, body="meet at 5?")
        (got,) = await r.receiver.collect("/inbound", 1)
        assert got.params["Body"] == "Sounds good" and "OptOutType" not in got.params


async def test_scheduled_inbound_arrives_at_start() -> None:
    hook = DEMO_ACCOUNT.numbers[0]
    scenario = Scenario(inbound=(ScheduledInbound(0.0, PHONE, hook.phone_number, "early bird"),))
    async with rig(scenario=scenario) as r:
        await r.sim.wait_idle()
        inbound = [m for m in r.sim.messages() if m.direction == "inbound"]
        assert [m.body for m in inbound] == ["early bird"]


async def test_verification_completes_after_the_scenario_delay_and_calls_back() -> None:
    async with rig(scenario=Scenario(verification_delay=0.0)) as r:
        request = await r.call(
            r.client.validation_requests.create,
            phone_number="+14155550177",
            status_callback=r.receiver.url("/verified"),
        )
        (got,) = await r.receiver.collect("/verified", 1)
        assert got.signature_valid
        assert got.params["VerificationStatus"] == "success"
        assert got.params["CallSid"] == request.call_sid
        assert got.params["To"] == "+14155550177"
        caller_ids = await r.call(r.client.outgoing_caller_ids.list, phone_number="+14155550177")
        assert [c.sid for c in caller_ids] == [got.params["OutgoingCallerIdSid"]]


async def test_complete_verification_without_a_pending_request_is_an_error() -> None:
    async with rig() as r:
        with pytest.raises(KeyError, match="no verification"):
            await r.sim.complete_verification("+14155550177")


async def test_pending_activity_is_cancelled_cleanly_on_stop() -> None:
    """An hour-away inbound message and verification are cancelled, never left dangling."""
    later = Scenario(
        inbound=(ScheduledInbound(3600.0, PHONE, DEMO_NUMBER_1, "much later"),),
        verification_delay=3600.0,
    )
    async with rig(scenario=later) as r:
        await r.call(r.client.validation_requests.create, phone_number="+14155550177")
        busy_while_running = r.sim.busy
        assert "+14155550177" in r.sim.state.pending
    assert busy_while_running
    assert r.sim.busy is False  # stopping cancelled and awaited every background task
    assert r.sim.messages() == []
