"""Every failure TwilioGateway can meet, produced for real over HTTP, mapped to what it means."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from console.gateway.client import TwilioGateway
from console.gateway.errors import (
    AuthenticationFailed,
    GatewayError,
    OutcomeUnknown,
    RateLimited,
    Unreachable,
)
from console.secrets import Credentials
from console.simulator.config import DEMO_ACCOUNT, DEMO_NUMBER_1
from console.simulator.core import Simulator
from console.simulator.server import SimulatorServer

VERIFIED = "+14155550150"
CREDS = Credentials(account_sid=DEMO_ACCOUNT.sid, auth_token=DEMO_ACCOUNT.auth_token)


@pytest.fixture
async def server() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(Simulator(DEMO_ACCOUNT)) as srv:
        yield srv


def gateway_for(server: SimulatorServer, *, timeout: float = 10.0) -> TwilioGateway:
    assert server.base_url
    return TwilioGateway(CREDS, api_base_url=server.base_url, timeout=timeout)


async def test_wrong_token_is_authentication_failed(server: SimulatorServer) -> None:
    creds = Credentials(account_sid=DEMO_ACCOUNT.sid, auth_token="0" * 32)
    gateway = TwilioGateway(creds, api_base_url=server.base_url or "", timeout=10)
    with pytest.raises(AuthenticationFailed) as caught:
        await gateway.account()
    error = caught.value
    assert (error.code, error.http_status) == (20003, 401)
    assert error.info is not None
    assert error.info.code == 20003
    assert "Auth Token" in str(error)
    assert "0" * 32 not in str(error)
    with pytest.raises(AuthenticationFailed):
        await gateway.create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
    assert server.messages() == []
    # list calls fail through another path in twilio-python (a raw page response)
    with pytest.raises(AuthenticationFailed) as listed:
        await gateway.caller_ids()
    assert (listed.value.code, listed.value.http_status) == (20003, 401)
    assert listed.value.message == "Authenticate"  # Twilio's own wording for 20003


async def test_unknown_message_is_20404(server: SimulatorServer) -> None:
    with pytest.raises(GatewayError) as caught:
        await gateway_for(server).fetch_message("SM" + "0" * 32)
    assert type(caught.value) is GatewayError
    assert (caught.value.code, caught.value.http_status) == (20404, 404)
    assert "fetch message SM000" in str(caught.value)


async def test_invalid_to_is_21211_with_what_to_do(server: SimulatorServer) -> None:
    with pytest.raises(GatewayError) as caught:
        await gateway_for(server).create_message(to="+1555", body="x", from_=DEMO_NUMBER_1)
    error = caught.value
    assert type(error) is GatewayError
    assert (error.code, error.http_status) == (21211, 400)
    assert error.info is not None
    text = str(error)
    assert error.message == "Invalid 'To' Phone Number: +1555"
    assert "error 21211" in text
    assert "send a message to +1555" in text
    assert error.info.action in text
    assert "https://www.twilio.com/docs/errors/21211" in text


async def test_429_is_rate_limited_and_not_retried(server: SimulatorServer) -> None:
    gateway = gateway_for(server)
    server.simulator.throttle_next_creates(1)
    with pytest.raises(RateLimited) as caught:
        await gateway.create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
    assert (caught.value.code, caught.value.http_status) == (20429, 429)
    assert "safe to retry" in str(caught.value)
    # Not retried by the client: nothing was stored, and the next call goes through.
    assert server.messages() == []
    created = await gateway.create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
    assert [m.sid for m in server.messages()] == [created.sid]


async def test_500_on_create_is_outcome_unknown(server: SimulatorServer) -> None:
    server.simulator.fail_next_creates(1)
    with pytest.raises(OutcomeUnknown) as caught:
        await gateway_for(server).create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
    assert caught.value.http_status == 500
    assert "may or may not" in str(caught.value)


async def test_slow_create_past_the_timeout_is_outcome_unknown(server: SimulatorServer) -> None:
    server.simulator.slow_next_creates(1, 60.0)
    impatient = gateway_for(server, timeout=0.5)
    with pytest.raises(OutcomeUnknown) as caught:
        await impatient.create_message(to=VERIFIED, body="did it go?", from_=DEMO_NUMBER_1)
    error = caught.value
    assert error.code is None
    assert "timeout" in str(error)
    assert "before sending it again" in str(error)
    # It did go: that is exactly why the sender must reconcile before resending.
    found = await gateway_for(server).list_messages(to=VERIFIED)
    assert [m.body for m in found] == ["did it go?"]


async def test_server_down_is_unreachable() -> None:
    server = SimulatorServer(Simulator(DEMO_ACCOUNT))
    base_url = await server.start()
    await server.stop()
    gateway = TwilioGateway(CREDS, api_base_url=base_url, timeout=5)
    with pytest.raises(Unreachable) as caught:
        await gateway.create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
    text = str(caught.value)
    assert "Connection refused" in text
    assert "Nothing was sent" in text
    assert base_url.removeprefix("http://") in text
    with pytest.raises(Unreachable):
        await gateway.messaging_services()


async def test_connection_reset_after_sending_is_outcome_unknown() -> None:
    """A server that reads the whole request and hangs up without answering."""
    received = asyncio.Event()

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        received.set()
        writer.close()
        await writer.wait_closed()

    tcp = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    try:
        gateway = TwilioGateway(CREDS, api_base_url=f"http://127.0.0.1:{port}", timeout=5)
        with pytest.raises(OutcomeUnknown) as caught:
            await gateway.create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
        assert received.is_set()
        assert "connection broke" in str(caught.value)
    finally:
        tcp.close()
        await tcp.wait_closed()


async def test_non_json_answer_is_outcome_unknown() -> None:
    """A proxy answering 200 with an HTML page instead of Twilio's JSON."""

    async def html(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b"<html>captive portal</html>"
        writer.write(
            b"HTTP/1.1 201 Created\r\nContent-Type: text/html\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    tcp = await asyncio.start_server(html, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    try:
        gateway = TwilioGateway(CREDS, api_base_url=f"http://127.0.0.1:{port}", timeout=5)
        with pytest.raises(OutcomeUnknown, match="unreadable answer"):
            await gateway.create_message(to=VERIFIED, body="x", from_=DEMO_NUMBER_1)
    finally:
        tcp.close()
        await tcp.wait_closed()


async def test_balance_not_shown_is_none() -> None:
    """Twilio answers 404 for a balance it does not show (e.g. some subaccounts)."""

    async def not_found(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"code": 20404, "message": "The requested resource was not found", "status": 404}'
        writer.write(
            b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
            + f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    tcp = await asyncio.start_server(not_found, "127.0.0.1", 0)
    port = tcp.sockets[0].getsockname()[1]
    try:
        gateway = TwilioGateway(CREDS, api_base_url=f"http://127.0.0.1:{port}", timeout=5)
        assert await gateway.balance() is None
    finally:
        tcp.close()
        await tcp.wait_closed()
