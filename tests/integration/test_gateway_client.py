"""TwilioGateway against the simulator, through the real twilio library over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from console.gateway.client import (
    AccountInfo,
    Balance,
    OwnedNumber,
    ServiceInfo,
    TwilioGateway,
    rewrite_url,
)
from console.secrets import Credentials
from console.simulator.config import DEMO_ACCOUNT, DEMO_NUMBER_1, DEMO_NUMBER_2
from console.simulator.core import Simulator
from console.simulator.server import SimulatorServer

VERIFIED = "+14155550150"
SERVICE_SID = "MGaa78d2acf8165152f724cb2aebbf093c"
CREDS = Credentials(account_sid=DEMO_ACCOUNT.sid, auth_token=DEMO_ACCOUNT.auth_token)


@pytest.fixture
async def server() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(Simulator(DEMO_ACCOUNT)) as srv:
        yield srv


@pytest.fixture
def gateway(server: SimulatorServer) -> Iterator[TwilioGateway]:
    assert server.base_url
    gw = TwilioGateway(CREDS, api_base_url=server.base_url, timeout=10)
    yield gw
    gw.close()


def test_rewrite_url_moves_every_twilio_host_onto_the_base() -> None:
    base = "http://127.0.0.1:8081/prefix/"
    assert (
        rewrite_url("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?To=%2B1", base)
        == "http://127.0.0.1:8081/prefix/2010-04-01/Accounts/AC1/Messages.json?To=%2B1"
    )
    assert (
        rewrite_url("https://messaging.twilio.com/v1/Services?PageSize=50", base)
        == "http://127.0.0.1:8081/prefix/v1/Services?PageSize=50"
    )
    assert rewrite_url("https://api.dublin.ie1.twilio.com/x", "https://proxy.example/") == (
        "https://proxy.example/x"
    )
    assert rewrite_url("https://example.com/x", base) == "https://example.com/x"
    assert rewrite_url("https://api.twilio.com/x", "") == "https://api.twilio.com/x"
    assert rewrite_url("https://nottwilio.com/x", base) == "https://nottwilio.com/x"


async def test_create_fetch_list(gateway: TwilioGateway, server: SimulatorServer) -> None:
    created = await gateway.create_message(
        to=VERIFIED, body="Hello from the test", from_=DEMO_NUMBER_1
    )
    assert created.sid.startswith("SM")
    assert (created.to, created.from_, created.body) == (
        VERIFIED,
        DEMO_NUMBER_1,
        "Hello from the test",
    )
    assert created.status == "queued"
    assert created.num_segments == 1
    assert created.account_sid == DEMO_ACCOUNT.sid
    assert created.date_created is not None
    assert created.date_created.tzinfo is not None
    await server.simulator.wait_idle()
    fetched = await gateway.fetch_message(created.sid)
    assert fetched.sid == created.sid
    assert fetched.status == "delivered"
    assert fetched.error_code is None
    assert fetched.price is not None
    assert fetched.price_unit == "USD"
    listed = await gateway.list_messages(to=VERIFIED)
    assert [m.sid for m in listed] == [created.sid]
    assert listed[0] == fetched
    assert await gateway.list_messages(to="+14155550199") == []
    assert [m.sid for m in await gateway.list_messages(from_=DEMO_NUMBER_1)] == [created.sid]


async def test_list_messages_sent_after_and_limit(gateway: TwilioGateway) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    sids = [
        (await gateway.create_message(to=VERIFIED, body=f"n{i}", from_=DEMO_NUMBER_1)).sid
        for i in range(3)
    ]
    newest_two = await gateway.list_messages(to=VERIFIED, limit=2)
    assert [m.sid for m in newest_two] == sids[:0:-1]
    assert {m.sid for m in await gateway.list_messages(sent_after=before)} == set(sids)
    future = datetime.now(UTC) + timedelta(hours=1)
    assert await gateway.list_messages(to=VERIFIED, sent_after=future) == []
    naive_past = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    assert len(await gateway.list_messages(sent_after=naive_past)) == 3


async def test_create_with_messaging_service(gateway: TwilioGateway) -> None:
    created = await gateway.create_message(
        to=VERIFIED, body="via service", messaging_service_sid=SERVICE_SID
    )
    assert created.messaging_service_sid == SERVICE_SID
    assert created.status == "accepted"


async def test_create_needs_a_sender(gateway: TwilioGateway) -> None:
    with pytest.raises(ValueError, match="From number or a Messaging Service"):
        await gateway.create_message(to=VERIFIED, body="x")


async def test_account_balance_numbers_services(gateway: TwilioGateway) -> None:
    assert await gateway.account() == AccountInfo(
        DEMO_ACCOUNT.sid, DEMO_ACCOUNT.friendly_name, "Full", "active"
    )
    assert await gateway.balance() == Balance("25.00", "USD")
    numbers = await gateway.incoming_numbers()
    assert numbers == [
        OwnedNumber(n.sid or "", n.phone_number, n.friendly_name or "", n.sms, None, None, "POST")
        for n in DEMO_ACCOUNT.numbers
    ]
    assert await gateway.messaging_services() == [
        ServiceInfo(SERVICE_SID, "Demo Messaging Service (simulated)", None, None, False)
    ]


async def test_update_number_and_service_then_clear(
    gateway: TwilioGateway, server: SimulatorServer
) -> None:
    number_sid = DEMO_ACCOUNT.numbers[1].sid or ""
    updated = await gateway.update_number_webhooks(number_sid, sms_url="https://a.example/in")
    assert updated.sms_url == "https://a.example/in"
    assert server.simulator.state.numbers[number_sid].sms_url == "https://a.example/in"
    service = await gateway.update_service(SERVICE_SID, status_callback="https://a.example/st")
    assert (service.status_callback, service.inbound_request_url) == ("https://a.example/st", None)
    service = await gateway.update_service(SERVICE_SID, inbound_request_url="https://a.example/i")
    assert service.status_callback == "https://a.example/st"  # None left it unchanged
    service = await gateway.update_service(SERVICE_SID, status_callback="", inbound_request_url="")
    assert (service.status_callback, service.inbound_request_url) == (None, None)
    assert (await gateway.update_number_webhooks(number_sid, sms_url="")).sms_url is None


async def test_caller_ids_verify_and_remove(
    gateway: TwilioGateway, server: SimulatorServer
) -> None:
    assert [c.phone_number for c in await gateway.caller_ids()] == [VERIFIED]
    verification = await gateway.start_verification("+14155550177", "Reception")
    assert verification.phone_number == "+14155550177"
    assert verification.friendly_name == "Reception"
    assert len(verification.validation_code) == 6
    assert verification.validation_code.isdigit()
    assert verification.call_sid.startswith("CA")
    sid = await server.complete_verification("+14155550177")
    ids = {c.phone_number: c for c in await gateway.caller_ids()}
    assert set(ids) == {VERIFIED, "+14155550177"}
    assert ids["+14155550177"].sid == sid
    assert ids["+14155550177"].friendly_name == "Reception"
    await gateway.delete_caller_id(sid)
    assert [c.phone_number for c in await gateway.caller_ids()] == [VERIFIED]


async def test_api_key_authentication(server: SimulatorServer) -> None:
    key_sid, key_secret = DEMO_ACCOUNT.api_keys[0]
    creds = Credentials(
        account_sid=DEMO_ACCOUNT.sid, api_key_sid=key_sid, api_key_secret=key_secret
    )
    gateway = TwilioGateway(creds, api_base_url=server.base_url or "", timeout=10)
    assert (await gateway.account()).sid == DEMO_ACCOUNT.sid
    gateway.close()
    assert (await gateway.balance()) is not None  # reconnects after close()
    gateway.close()


async def test_incomplete_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="Auth Token"):
        TwilioGateway(Credentials(account_sid=DEMO_ACCOUNT.sid))


async def test_loop_keeps_running_while_a_call_waits(
    gateway: TwilioGateway, server: SimulatorServer
) -> None:
    server.simulator.slow_next_creates(1, 60.0)
    create = asyncio.create_task(
        gateway.create_message(to=VERIFIED, body="slow", from_=DEMO_NUMBER_2)
    )
    await server.simulator.wait_for(lambda: len(server.simulator.state.messages) == 1)
    # The create is stuck waiting for its answer; other calls on the same loop still complete.
    assert (await gateway.account()).sid == DEMO_ACCOUNT.sid
    assert not create.done()
    server.simulator.begin_shutdown()  # releases the slow answer
    assert (await create).body == "slow"


async def test_nothing_secret_is_logged(
    gateway: TwilioGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await gateway.create_message(to=VERIFIED, body="a private body", from_=DEMO_NUMBER_1)
    await gateway.account()
    assert "Twilio request: POST" in caplog.text
    assert DEMO_ACCOUNT.auth_token not in caplog.text
    assert "a private body" not in caplog.text
    assert DEMO_ACCOUNT.auth_token not in repr(gateway)
