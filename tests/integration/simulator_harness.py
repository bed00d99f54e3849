"""Test-side plumbing for the simulator tests (not production code).

- ``RewritingHttpClient``: twilio's own HTTP client, with ``https://api.twilio.com`` and
  ``https://messaging.twilio.com`` rewritten to the simulator, recording every exchange so a
  test can check all of them against Twilio's OpenAPI descriptions.
- ``WebhookReceiver``: a small aiohttp server on 127.0.0.1:0 that records every webhook and
  checks its X-Twilio-Signature with twilio's ``RequestValidator``.
- ``rig``: simulator + receiver + twilio ``Client``; on a clean exit it asserts that every
  response the client received conforms to the spec.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from console.simulator import DEMO_ACCOUNT, AccountConfig, Scenario, Simulator, SimulatorServer
from tests.helpers_openapi import Exchange, assert_all_conform

T = TypeVar("T")
_HOSTS = ("https://api.twilio.com", "https://messaging.twilio.com")


class RewritingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """Sends twilio-python's requests to the simulator and records each exchange."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url
        self.exchanges: list[Exchange] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        for host in _HOSTS:
            if url.startswith(host):
                url = self.base_url + url[len(host) :]
        response = super().request(method, url, *args, **kwargs)
        self.exchanges.append(Exchange(method.upper(), url, response.status_code, response.text))
        return response

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def twilio_client(
    base_url: str,
    username: str = DEMO_ACCOUNT.sid,
    password: str = DEMO_ACCOUNT.auth_token,
    account_sid: str | None = None,
    timeout: float = 10.0,
) -> Client:
    """A real twilio ``Client`` whose requests go to the simulator at ``base_url``."""
    return Client(
        username,
        password,
        account_sid=account_sid,
        http_client=RewritingHttpClient(base_url, timeout),
    )


@dataclass(frozen=True)
class Received:
    """One webhook as the receiver saw it."""

    path: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]
    signature_valid: bool


@dataclass
class _Answer:
    status: int = 200
    body: str = ""
    content_type: str = "text/plain"


class WebhookReceiver:
    """Records signed webhooks on 127.0.0.1; ``collect`` waits for them (no sleeping)."""

    def __init__(self, auth_token: str) -> None:
        self._validator = RequestValidator(auth_token)
        self.received: list[Received] = []
        self._answers: dict[str, list[_Answer]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def answer(self, path: str, *answers: tuple[int, str]) -> None:
        """Answer the next requests to ``path`` with these (status, body) pairs, in order."""
        self._answers[path] = [_Answer(status, body) for status, body in answers]

    async def _handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        params = {key: str(value) for key, value in form.items()}
        url = f"{self.base_url}{request.raw_path}"
        signature = request.headers.get("X-Twilio-Signature", "")
        valid = bool(self._validator.validate(url, params, signature))
        record = Received(request.path, url, dict(request.headers), params, valid)
        async with self._changed:
            self.received.append(record)
            self._changed.notify_all()
        queue = self._answers.get(request.path)
        if queue:
            planned = queue.pop(0)
            return web.Response(status=planned.status, text=planned.body)
        if request.path.startswith("/inbound"):
            return web.Response(text="<Response/>", content_type="text/xml")
        return web.Response(text="")

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def collect(self, path: str, count: int, within: float = 10.0) -> list[Received]:
        """Wait until ``count`` webhooks reached ``path``; return them in arrival order."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.at(path)) >= count)
        return self.at(path)


@dataclass
class Rig:
    """A running simulator, a webhook receiver and a twilio client pointed at the simulator."""

    server: SimulatorServer
    receiver: WebhookReceiver
    client: Client
    extra_clients: list[Client] = field(default_factory=list)

    @property
    def sim(self) -> Simulator:
        return self.server.simulator

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking twilio call in a thread while the simulator serves on this loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    def new_client(self, **kwargs: Any) -> Client:
        assert self.server.base_url is not None
        client = twilio_client(self.server.base_url, **kwargs)
        self.extra_clients.append(client)
        return client

    def exchanges(self) -> list[Exchange]:
        out: list[Exchange] = []
        for client in (self.client, *self.extra_clients):
            http = client.http_client
            assert isinstance(http, RewritingHttpClient)
            out.extend(http.exchanges)
        return out


@asynccontextmanager
async def rig(
    account: AccountConfig = DEMO_ACCOUNT, scenario: Scenario | None = None
) -> AsyncIterator[Rig]:
    """Start everything; on a clean exit check every response against Twilio's OpenAPI."""
    receiver = WebhookReceiver(account.auth_token)
    await receiver.start()
    server = SimulatorServer(Simulator(account, scenario))
    base_url = await server.start()
    client = twilio_client(base_url, account.sid, account.auth_token)
    harness = Rig(server, receiver, client)
    try:
        yield harness
        assert_all_conform(harness.exchanges())
    finally:
        for c in (client, *harness.extra_clients):
            http = c.http_client
            assert isinstance(http, RewritingHttpClient)
            http.close()
        await server.stop()
        await receiver.stop()
