"""The simulator's REST API, driven by the real twilio library and checked against the spec."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException

from console.simulator import DEMO_ACCOUNT
from console.simulator.config import DEMO_NUMBER_1, DEMO_NUMBER_2
from tests.helpers_openapi import validate_component
from tests.integration.simulator_harness import RewritingHttpClient, rig

SERVICE_SID = DEMO_ACCOUNT.services[0].sid


async def test_create_fetch_and_list_a_message() -> None:
    async with rig() as r:
        sent = await r.call(
            r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body="Hello there"
        )
        assert sent.sid.startswith("SM") and len(sent.sid) == 34
        assert sent.status == "queued"
        assert sent.num_segments == "1"
        assert sent.price is None and sent.price_unit is None
        assert sent.direction == "outbound-api"

        await r.sim.wait_idle()
        fetched = await r.call(r.client.messages(sent.sid).fetch)
        assert fetched.status == "delivered"
        assert fetched.price == "-0.00790" and fetched.price_unit == "USD"
        assert fetched.body == "Hello there"

        listed = await r.call(r.client.messages.list, to="+14155550123")
        assert [m.sid for m in listed] == [sent.sid]
        assert listed[0].status == "delivered"


async def test_formatted_numbers_are_stored_as_e164() -> None:
    async with rig() as r:
        m = await r.call(
            r.client.messages.create, to="+1 (415) 555-0123", from_=DEMO_NUMBER_1, body="x"
        )
        assert m.to == "+14155550123"
        assert [x.sid for x in await r.call(r.client.messages.list, to="+14155550123")] == [m.sid]


async def test_num_segments_follows_the_body_encoding() -> None:
    async with rig() as r:
        long_gsm = await r.call(
            r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body="a" * 161
        )
        emoji = await r.call(
            r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body="👍" * 36
        )
        assert long_gsm.num_segments == "2"
        assert emoji.num_segments == "2"  # 72 UTF-16 units > 70


async def test_list_filters_by_to_from_and_date_sent() -> None:
    async with rig() as r:
        a = await r.call(r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body="a")
        b = await r.call(r.client.messages.create, to="+14155550124", from_=DEMO_NUMBER_1, body="b")
        c = await r.call(r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_2, body="c")
        to_123 = await r.call(r.client.messages.list, to="+14155550123")
        assert [m.sid for m in to_123] == [c.sid, a.sid]  # newest first
        from_2 = await r.call(r.client.messages.list, from_=DEMO_NUMBER_2)
        assert [m.sid for m in from_2] == [c.sid]
        both = await r.call(r.client.messages.list, to="+14155550123", from_=DEMO_NUMBER_1)
        assert [m.sid for m in both] == [a.sid]

        today = datetime.now(UTC).date()
        tomorrow = today + timedelta(days=1)
        on_day = await r.call(r.client.messages.list, date_sent=today.isoformat())
        assert {m.sid for m in on_day} == {a.sid, b.sid, c.sid}
        after = await r.call(r.client.messages.list, date_sent_after=tomorrow.isoformat())
        assert after == []
        before = await r.call(r.client.messages.list, date_sent_before=today.isoformat())
        assert len(before) == 3
        long_ago = datetime.combine(date(2020, 1, 1), datetime.min.time(), UTC)
        by_instant = await r.call(r.client.messages.list, date_sent_before=long_ago)
        assert by_instant == []


async def test_paging_walks_every_page_with_tokens() -> None:
    async with rig() as r:
        sids = []
        for i in range(7):
            m = await r.call(
                r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body=f"n{i}"
            )
            sids.append(m.sid)
        first = await r.call(r.client.messages.page, to="+14155550123", page_size=3)
        first_sids = [m.sid for m in first]  # a Page is an iterator: read it once
        assert first_sids == list(reversed(sids))[:3]
        payload = first._payload
        assert payload["page"] == 0 and payload["page_size"] == 3 and payload["start"] == 0
        assert payload["end"] == 2 and payload["previous_page_uri"] is None
        assert "PageToken=PA" in payload["next_page_uri"]
        assert payload["first_page_uri"].endswith("To=%2B14155550123&PageSize=3&Page=0")

        second = await r.call(first.next_page)
        assert [m.sid for m in second] == list(reversed(sids))[3:6]
        assert second._payload["page"] == 1 and second._payload["start"] == 3
        back = await r.call(second.previous_page)
        assert [m.sid for m in back] == first_sids

        everything = await r.call(r.client.messages.list, page_size=2)
        assert [m.sid for m in everything] == list(reversed(sids))
        walked = [e for e in r.exchanges() if "PageSize=2" in e.url]
        assert len(walked) == 3  # twilio followed next_page_uri twice (2 + 2 + 2 + 1 items)


async def test_account_balance_and_numbers() -> None:
    async with rig() as r:
        account = await r.call(r.client.api.v2010.account.fetch)
        assert account.sid == DEMO_ACCOUNT.sid
        assert account.type == "Full" and account.status == "active"
        balance = await r.call(r.client.api.v2010.account.balance.fetch)
        assert balance.currency == "USD" and balance.balance == DEMO_ACCOUNT.balance

        numbers = await r.call(r.client.incoming_phone_numbers.list)
        assert [n.phone_number for n in numbers] == [DEMO_NUMBER_1, DEMO_NUMBER_2]
        assert numbers[0].capabilities == {"voice": True, "sms": True, "mms": True, "fax": False}
        assert numbers[1].capabilities["sms"] is True and numbers[1].capabilities["mms"] is False
        only = await r.call(r.client.incoming_phone_numbers.list, phone_number=DEMO_NUMBER_2)
        assert [n.sid for n in only] == [numbers[1].sid]

        updated = await r.call(
            r.client.incoming_phone_numbers(numbers[0].sid).update,
            sms_url="https://console.example.com/webhooks/twilio/inbound",
            status_callback="https://console.example.com/webhooks/twilio/status",
        )
        assert updated.sms_url == "https://console.example.com/webhooks/twilio/inbound"
        again = await r.call(r.client.incoming_phone_numbers(numbers[0].sid).fetch)
        assert again.status_callback == "https://console.example.com/webhooks/twilio/status"


async def test_messaging_services_list_fetch_update() -> None:
    async with rig() as r:
        services = await r.call(r.client.messaging.v1.services.list)
        assert [s.sid for s in services] == [SERVICE_SID]
        service = await r.call(
            r.client.messaging.v1.services(SERVICE_SID).update,
            status_callback="https://console.example.com/webhooks/twilio/status",
            inbound_request_url="https://console.example.com/webhooks/twilio/inbound",
        )
        assert service.status_callback == "https://console.example.com/webhooks/twilio/status"
        fetched = await r.call(r.client.messaging.v1.services(SERVICE_SID).fetch)
        assert fetched.inbound_request_url == "https://console.example.com/webhooks/twilio/inbound"
        assert fetched.url == f"https://messaging.twilio.com/v1/Services/{SERVICE_SID}"
        page = await r.call(r.client.messaging.v1.services.page, page_size=1)
        assert page._payload["meta"]["key"] == "services"
        assert page._payload["meta"]["next_page_url"] is None


async def test_caller_ids_and_validation_requests() -> None:
    async with rig() as r:
        ids = await r.call(r.client.outgoing_caller_ids.list)
        assert [c.phone_number for c in ids] == list(DEMO_ACCOUNT.verified_numbers)
        request = await r.call(
            r.client.validation_requests.create,
            phone_number="+14155550177",
            friendly_name="Tester phone",
        )
        assert request.phone_number == "+14155550177"
        assert len(request.validation_code) == 6 and request.validation_code.isdigit()
        assert request.call_sid.startswith("CA")
        still = await r.call(r.client.outgoing_caller_ids.list, phone_number="+14155550177")
        assert still == []  # not verified until the person types the code

        caller_sid = await r.sim.complete_verification("+14155550177")
        verified = await r.call(r.client.outgoing_caller_ids(caller_sid).fetch)
        assert verified.phone_number == "+14155550177" and verified.friendly_name == "Tester phone"

        with pytest.raises(TwilioRestException) as again:
            await r.call(r.client.validation_requests.create, phone_number="+14155550177")
        assert again.value.code == 21450

        assert await r.call(r.client.outgoing_caller_ids(caller_sid).delete) is True
        with pytest.raises(TwilioRestException) as gone:
            await r.call(r.client.outgoing_caller_ids(caller_sid).fetch)
        assert (gone.value.status, gone.value.code) == (404, 20404)


async def test_wrong_credentials_are_refused_with_20003() -> None:
    async with rig() as r:
        wrong = r.new_client(username=DEMO_ACCOUNT.sid, password="0" * 32)
        with pytest.raises(TwilioRestException) as refused:
            await r.call(wrong.api.v2010.account.fetch)
        assert (refused.value.status, refused.value.code) == (401, 20003)

        key_sid, key_secret = DEMO_ACCOUNT.api_keys[0]
        with_key = r.new_client(username=key_sid, password=key_secret, account_sid=DEMO_ACCOUNT.sid)
        account = await r.call(with_key.api.v2010.account.fetch)
        assert account.sid == DEMO_ACCOUNT.sid
        assert account.auth_token is None  # only shown to the Auth Token itself

        other = r.new_client(username=key_sid, password=key_secret, account_sid="AC" + "1" * 32)
        with pytest.raises(TwilioRestException) as foreign:
            await r.call(other.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body="x")
        assert foreign.value.code == 20003
        assert r.sim.messages() == []


async def test_unknown_message_is_a_twilio_404() -> None:
    async with rig() as r:
        with pytest.raises(TwilioRestException) as missing:
            await r.call(r.client.messages("SM" + "0" * 32).fetch)
        assert (missing.value.status, missing.value.code) == (404, 20404)


async def test_every_response_kind_matches_the_openapi_schemas() -> None:
    """Beyond the automatic check in ``rig``: the harness really rejects a wrong document."""
    async with rig() as r:
        await r.call(r.client.messages.create, to="+14155550123", from_=DEMO_NUMBER_1, body="x")
        http = r.client.http_client
        assert isinstance(http, RewritingHttpClient)
        assert http.exchanges[-1].status == 201
    good = {
        "account_sid": DEMO_ACCOUNT.sid,
        "balance": "1.00",
        "currency": "USD",
    }
    validate_component(good, "api_v2010", "api.v2010.account.balance")
    with pytest.raises(AssertionError):
        validate_component({**good, "extra": 1}, "api_v2010", "api.v2010.account.balance")
    with pytest.raises(AssertionError):
        validate_component(
            {"account_sid": "AC1", "balance": None, "currency": "USD"},
            "api_v2010",
            "api.v2010.account.balance",
        )
