"""Real parts for the doctor tests (no tests here): simulator, webhook server, public URL, prober.

``doctor_rig`` starts, on the test's loop, a simulated Twilio account, the ledger (writer and
reader), a real :class:`WebhookServer` on a free port, a public URL provider and a
:class:`SelfProber` attached to it, and fills a :class:`DoctorContext` the way ``Core.doctor``
does. Misconfigurations are staged by what is passed in: credentials, account, public URL.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Literal

import pytest

from console.doctor.checks import CHECKS, Check, run_checks
from console.doctor.context import DoctorContext, Lookups
from console.doctor.probe import ProbeResult, SelfProber
from console.doctor.result import CheckResult
from console.domain.model import EventSource, StoreChange
from console.gateway.client import TwilioGateway
from console.secrets import Credentials, SecretStore
from console.simulator import AccountConfig, NumberConfig, ServiceConfig, Simulator
from console.simulator.server import SimulatorServer
from console.store.queries import Reader
from console.store.writer import Writer
from console.tunnel.public_url import FixedPublicUrl, LocalOnly, PublicUrlProvider
from console.webhooks.app import STATUS_PATH, WebhookServer

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "0123456789abcdef0123456789abcdef"
WRONG_TOKEN = "fedcba9876543210fedcba9876543210"
KEY_SID = "SK0123456789abcdef0123456789abcdef"
KEY_SECRET = "key-secret-0123456789abcdef01234"
FROM = "+14155550100"
VOICE_ONLY = "+14155550102"
SERVICE_SID = "MG0123456789abcdef0123456789abcdef"
VERIFIED = "+14155550150"
STRANGER = "+14155550199"


def account(
    kind: Literal["Trial", "Full"] = "Full",
    *,
    service_callback: str | None = None,
    verified: tuple[str, ...] = (VERIFIED,),
) -> AccountConfig:
    """A simulated account owning FROM (SMS), VOICE_ONLY (no SMS) and one Messaging Service."""
    return AccountConfig(
        sid=SID,
        auth_token=TOKEN,
        friendly_name="Doctor test account",
        type=kind,
        numbers=(
            NumberConfig(FROM, friendly_name="Main line"),
            NumberConfig(VOICE_ONLY, friendly_name="Voice line", sms=False, mms=False),
        ),
        services=(
            ServiceConfig(
                "Alerts", senders=(FROM,), sid=SERVICE_SID, status_callback=service_callback
            ),
        ),
        verified_numbers=verified,
        api_keys=((KEY_SID, KEY_SECRET),),
    )


GOOD = Credentials(account_sid=SID, auth_token=TOKEN, from_number=FROM)


@pytest.fixture
def no_twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TWILIO_* variable leaks in from the developer's shell."""
    for name in (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
        "TWILIO_FROM_NUMBER",
        "TWILIO_MESSAGING_SERVICE_SID",
    ):
        monkeypatch.delenv(name, raising=False)


def closed_port() -> int:
    """A port of 127.0.0.1 on which nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Rig:
    """The running parts, and the context the doctor reads."""

    sim: SimulatorServer
    writer: Writer
    reader: Reader
    server: WebhookServer
    provider: PublicUrlProvider
    prober: SelfProber
    gateway: TwilioGateway | None
    ctx: DoctorContext
    probes: list[ProbeResult] = field(default_factory=list)
    changes: list[StoreChange] = field(default_factory=list)
    probed: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, checks: tuple[Check, ...] = CHECKS) -> dict[str, CheckResult]:
        """Run the doctor; results by check id."""
        self.ctx.lookups = Lookups(self.gateway)  # fresh Twilio reads per run
        return {r.id: r for r in await run_checks(self.ctx, checks)}

    async def first_probe(self, within: float = 10.0) -> ProbeResult:
        """The first probe the prober published (started by the public URL coming online)."""
        async with asyncio.timeout(within):
            await self.probed.wait()
        return self.probes[0]


@asynccontextmanager
async def doctor_rig(
    db_url: str,
    *,
    config: AccountConfig | None = None,
    creds: Credentials = GOOD,
    public: str | None = "local",
    validate: bool = True,
    mode: Literal["live", "demo"] = "live",
    check_timeout: float = 10.0,
    api_base_url: str | None = None,
    request_timeout: float = 5.0,
) -> AsyncIterator[Rig]:
    """Start everything on this loop.

    ``public``: "local" (the server's own URL), a URL (``{port}`` is the server's port) or None.
    """
    sim = SimulatorServer(Simulator(config or account()))
    base = await sim.start()
    writer = Writer(db_url)
    await writer.start()
    reader = Reader(db_url)
    provider_box: list[PublicUrlProvider] = []
    server = WebhookServer(
        writer,
        auth_token=lambda: creds.auth_token or None,
        public_url=lambda: provider_box[0].public_url if provider_box else None,
        port=0,
        validate=validate,
        callback_source=EventSource.CALLBACK,
        api_key_only=lambda: not creds.has_webhook_auth,
    )
    local = await server.start()
    if public is None:
        provider: PublicUrlProvider = LocalOnly(local)
    else:
        provider = FixedPublicUrl(local if public == "local" else public.format(port=server.port))
    provider_box.append(provider)
    gateway = (
        TwilioGateway(creds, api_base_url=api_base_url or base, timeout=request_timeout)
        if creds.has_rest_auth
        else None
    )
    rig_box: list[Rig] = []

    def published(result: ProbeResult) -> None:
        rig_box[0].probes.append(result)
        rig_box[0].probed.set()

    prober = SelfProber(
        reader,
        auth_token=lambda: creds.auth_token or None,
        account_sid=lambda: creds.account_sid,
        publish=published,
        timeout=3.0,
    )
    ctx = DoctorContext(
        mode=mode,
        credentials=creds,
        gateway=gateway,
        reader=reader,
        secret_store=SecretStore(timeout=2.0),
        public_url=None,
        probe=prober.current,
        server_health=server.health_report,
        database_url=db_url,
        api_base_url=api_base_url or base,
        request_timeout=request_timeout,
        validate_signatures=validate,
        check_timeout=check_timeout,
    )
    rig = Rig(sim, writer, reader, server, provider, prober, gateway, ctx)
    rig_box.append(rig)
    writer.subscribe(rig.changes.append)
    prober.attach(provider)
    state = await provider.start()
    ctx.public_url = provider.public_url
    ctx.tunnel = state
    ctx.status_callback = provider.public_url + STATUS_PATH if provider.public_url else None
    try:
        yield rig
    finally:
        await prober.close()
        await provider.stop()
        await server.stop()
        await sim.stop()
        await writer.close()
        reader.close()
        if gateway is not None:
            gateway.http_client.session.close()  # twilio's pooled requests session
