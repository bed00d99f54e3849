"""Status callbacks: fields, signatures, headers, order/disorder, duplicates, retries, prices."""

from __future__ import annotations

import socket

from console.simulator import DEMO_ACCOUNT, Latency, Outcome, RecipientRule, Scenario
from console.simulator.config import DEMO_NUMBER_1, DEMO_NUMBER_2
from tests.integration.simulator_harness import Received, rig

TO = "+14155550123"
SERVICE_SID = DEMO_ACCOUNT.services[0].sid
STATUS_FIELDS = {
    "MessageSid",
    "SmsSid",
    "SmsStatus",
    "MessageStatus",
    "AccountSid",
    "From",
    "To",
    "ApiVersion",
}


def _statuses(received: list[Received]) -> list[str]:
    return [r.params["MessageStatus"] for r in received]


async def test_delivered_message_posts_signed_callbacks_in_order() -> None:
    async with rig() as r:
        url = r.receiver.url("/status?tenant=a%20b")
        m = await r.call(
            r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="hi", status_callback=url
        )
        got = await r.receiver.collect("/status", 3)
        assert _statuses(got) == ["sending", "sent", "delivered"]  # no callback for queued
        for cb in got:
            assert cb.signature_valid, "RequestValidator must accept the signature"
            assert cb.headers["User-Agent"] == "TwilioProxy/1.1"
            assert cb.headers["I-Twilio-Idempotency-Token"]
            assert cb.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
            assert cb.params["MessageSid"] == cb.params["SmsSid"] == m.sid
            assert cb.params["SmsStatus"] == cb.params["MessageStatus"]
            assert cb.params["AccountSid"] == DEMO_ACCOUNT.sid
            assert cb.params["From"] == DEMO_NUMBER_1 and cb.params["To"] == TO
            assert cb.params["ApiVersion"] == "2010-04-01"
            assert "ErrorCode" not in cb.params and "MessagingServiceSid" not in cb.params
        assert set(got[0].params) == STATUS_FIELDS
        assert set(got[2].params) == STATUS_FIELDS | {"RawDlrDoneDate"}
        assert len(got[2].params["RawDlrDoneDate"]) == 10
        assert len({cb.headers["I-Twilio-Idempotency-Token"] for cb in got}) == 3


async def test_a_tampered_signature_would_be_caught() -> None:
    """The receiver's check is real: another token does not validate the same request."""
    from twilio.request_validator import RequestValidator

    async with rig() as r:
        url = r.receiver.url("/status")
        await r.call(
            r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="hi", status_callback=url
        )
        first = (await r.receiver.collect("/status", 1))[0]
        signature = first.headers["X-Twilio-Signature"]
        assert not RequestValidator("f" * 32).validate(first.url, first.params, signature)
        assert RequestValidator(DEMO_ACCOUNT.auth_token).validate(
            first.url, first.params, signature
        )


async def test_failure_outcomes_carry_error_code_and_price_arrives_when_final() -> None:
    rules = (
        RecipientRule(Outcome("undelivered", 30006), to_suffix="0006"),
        RecipientRule(Outcome("failed", 30008), to="+14155550108"),
    )
    async with rig(scenario=Scenario(rules=rules)) as r:
        url = r.receiver.url("/status")
        und = await r.call(
            r.client.messages.create,
            to="+14155550006",
            from_=DEMO_NUMBER_1,
            body="x",
            status_callback=url,
        )
        failed = await r.call(
            r.client.messages.create,
            to="+14155550108",
            from_=DEMO_NUMBER_1,
            body="y",
            status_callback=url,
        )
        got = await r.receiver.collect("/status", 5)
        by_sid = {sid: [g for g in got if g.params["MessageSid"] == sid] for sid in (und.sid,)}
        assert _statuses(by_sid[und.sid]) == ["sending", "sent", "undelivered"]
        final = by_sid[und.sid][-1].params
        assert final["ErrorCode"] == "30006" and "RawDlrDoneDate" in final
        failed_cbs = [g for g in got if g.params["MessageSid"] == failed.sid]
        assert _statuses(failed_cbs) == ["sending", "failed"]
        assert failed_cbs[-1].params["ErrorCode"] == "30008"
        assert "RawDlrDoneDate" not in failed_cbs[-1].params

        await r.sim.wait_idle()
        und_now = await r.call(r.client.messages(und.sid).fetch)
        assert (und_now.status, und_now.error_code) == ("undelivered", 30006)
        assert und_now.error_message and und_now.price == "-0.00790"
        failed_now = await r.call(r.client.messages(failed.sid).fetch)
        assert (failed_now.status, failed_now.error_code) == ("failed", 30008)
        assert failed_now.price == "0.00000" and failed_now.price_unit == "USD"


async def test_rest_view_shows_the_current_status_and_no_price_before_final() -> None:
    # The final transition is an hour away, so the message rests in "sent" for the test.
    scenario = Scenario(latency=Latency(final=(3600.0, 3600.0)))
    async with rig(scenario=scenario) as r:
        url = r.receiver.url("/status")
        m = await r.call(
            r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="x", status_callback=url
        )
        assert _statuses(await r.receiver.collect("/status", 2)) == ["sending", "sent"]
        now = await r.call(r.client.messages(m.sid).fetch)
        assert now.status == "sent"
        assert now.price is None and now.price_unit is None and now.error_code is None
        listed = await r.call(r.client.messages.list, to=TO)
        assert [x.status for x in listed] == ["sent"]


async def test_messaging_service_message_uses_the_service_callback() -> None:
    async with rig() as r:
        status_url = r.receiver.url("/service-status")
        await r.call(r.client.messaging.v1.services(SERVICE_SID).update, status_callback=status_url)
        m = await r.call(
            r.client.messages.create, to=TO, messaging_service_sid=SERVICE_SID, body="hello"
        )
        assert m.status == "accepted" and m.from_ is None and m.num_segments == "0"
        got = await r.receiver.collect("/service-status", 4)
        assert _statuses(got) == ["queued", "sending", "sent", "delivered"]
        assert all(g.params["MessagingServiceSid"] == SERVICE_SID for g in got)
        assert all(g.params["From"] == DEMO_NUMBER_2 for g in got)
        assert all(g.signature_valid for g in got)
        fetched = await r.call(r.client.messages(m.sid).fetch)
        assert fetched.from_ == DEMO_NUMBER_2 and fetched.num_segments == "1"


async def test_per_message_callback_overrides_the_service_callback() -> None:
    async with rig() as r:
        await r.call(
            r.client.messaging.v1.services(SERVICE_SID).update,
            status_callback=r.receiver.url("/service-status"),
        )
        await r.call(
            r.client.messages.create,
            to=TO,
            messaging_service_sid=SERVICE_SID,
            body="hello",
            status_callback=r.receiver.url("/mine"),
        )
        assert len(await r.receiver.collect("/mine", 4)) == 4
        await r.sim.wait_idle()
        assert r.receiver.at("/service-status") == []


async def test_out_of_order_and_duplicated_callbacks() -> None:
    async with rig(scenario=Scenario(seed=3, out_of_order=1.0, duplicates=1.0)) as r:
        url = r.receiver.url("/status")
        m = await r.call(
            r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="x", status_callback=url
        )
        got = await r.receiver.collect("/status", 6)
        statuses = _statuses(got)
        assert statuses[0] == "delivered"  # the final status arrived before sent/sending
        assert statuses != sorted(statuses, key=["sending", "sent", "delivered"].index)
        assert sorted(statuses) == sorted(["sending", "sent", "delivered"] * 2)
        tokens = [g.headers["I-Twilio-Idempotency-Token"] for g in got]
        assert len(set(tokens)) == 3  # a duplicate is a redelivery of the same request
        assert all(g.signature_valid and g.params["MessageSid"] == m.sid for g in got)


async def test_in_order_mode_never_reorders_or_duplicates() -> None:
    async with rig(scenario=Scenario(seed=1)) as r:
        url = r.receiver.url("/status")
        for i in range(5):
            await r.call(
                r.client.messages.create,
                to=TO,
                from_=DEMO_NUMBER_1,
                body=str(i),
                status_callback=url,
            )
        got = await r.receiver.collect("/status", 15)
        await r.sim.wait_idle()
        assert len(r.receiver.at("/status")) == 15
        for sid in {g.params["MessageSid"] for g in got}:
            mine = [g for g in got if g.params["MessageSid"] == sid]
            assert _statuses(mine) == ["sending", "sent", "delivered"]


async def test_connection_failure_is_retried_once_then_logged() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    async with rig(scenario=Scenario(rules=(RecipientRule(Outcome("failed", 30001), to=TO),))) as r:
        url = f"http://127.0.0.1:{closed_port}/status"
        m = await r.call(
            r.client.messages.create, to=TO, from_=DEMO_NUMBER_1, body="x", status_callback=url
        )
        await r.sim.wait_idle()
        attempts = [a for a in r.sim.sender.attempts if a.params["MessageSid"] == m.sid]
        # two transitions (sending, failed), each tried twice, each time refused
        assert [(a.params["MessageStatus"], a.attempt) for a in attempts] == [
            ("sending", 1),
            ("sending", 2),
            ("failed", 1),
            ("failed", 2),
        ]
        assert all(a.status is None and a.error for a in attempts)
        assert (
            r.sim.message(m.sid).status == "failed"
        )  # delivery trouble never blocks the lifecycle


async def test_http_errors_are_not_retried_unless_the_url_asks() -> None:
    rule = (RecipientRule(Outcome("failed", 30001), to=TO),)
    async with rig(scenario=Scenario(rules=rule)) as r:
        r.receiver.answer("/plain", (500, "boom"))
        r.receiver.answer("/retry", (503, "busy"))
        await r.call(
            r.client.messages.create,
            to=TO,
            from_=DEMO_NUMBER_1,
            body="x",
            status_callback=r.receiver.url("/plain"),
        )
        await r.call(
            r.client.messages.create,
            to=TO,
            from_=DEMO_NUMBER_1,
            body="y",
            status_callback=r.receiver.url("/retry") + "#rc=1&rp=5xx",
        )
        await r.sim.wait_idle()
        plain = _statuses(r.receiver.at("/plain"))
        retried = r.receiver.at("/retry")
        assert plain == ["sending", "failed"]  # the 500 is only logged
        assert _statuses(retried) == ["sending", "sending", "failed"]
        assert (
            retried[0].headers["I-Twilio-Idempotency-Token"]
            == retried[1].headers["I-Twilio-Idempotency-Token"]
        )
        assert all(g.signature_valid for g in retried)  # signed without the fragment


async def test_seeded_scenarios_are_deterministic() -> None:
    scenario = Scenario(
        seed=42,
        outcomes=(
            Outcome("delivered", None, 1),
            Outcome("undelivered", 30003, 1),
            Outcome("failed", 30007, 1),
        ),
    )
    finals: list[list[tuple[str, int | None]]] = []
    for _ in range(2):
        async with rig(scenario=scenario) as r:
            for i in range(12):
                await r.call(
                    r.client.messages.create,
                    to=f"+141555501{30 + i}",
                    from_=DEMO_NUMBER_1,
                    body="x",
                )
            await r.sim.wait_idle()
            finals.append([(m.status, m.error_code) for m in r.sim.messages()])
    assert finals[0] == finals[1]
    assert len(set(finals[0])) == 3  # the mix really mixes


async def test_credentials_in_the_callback_url_are_sent_as_basic_auth_not_signed() -> None:
    async with rig() as r:
        with_creds = r.receiver.url("/status").replace("http://", "http://ops:s3cret@")
        await r.call(
            r.client.messages.create,
            to=TO,
            from_=DEMO_NUMBER_1,
            body="x",
            status_callback=with_creds,
        )
        got = await r.receiver.collect("/status", 3)
        assert all(g.signature_valid for g in got)  # validated against the URL without creds
        assert got[0].headers["Authorization"] == "Basic b3BzOnMzY3JldA=="
