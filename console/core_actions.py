"""The operator's actions on a running :class:`console.core.Core` (a mixin, to keep core small).

Every coroutine here runs on the runtime loop; the window calls them through ``Bridge.call``.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from yarl import URL

from console.doctor.checks import run_checks
from console.doctor.context import DoctorContext
from console.doctor.fixes import FixTargets, apply_fix
from console.doctor.result import CheckResult
from console.domain import trial
from console.domain.model import DeliveryRecord
from console.gateway.account import AccountSummary, SenderOption
from console.gateway.bulk import BulkJob, BulkProgress
from console.gateway.checks import Outgoing
from console.gateway.client import TwilioGateway
from console.gateway.pacing import rate_for
from console.gateway.resources import CallerId, Verification
from console.secrets import BackendStatus, Credentials
from console.tunnel.state import TunnelState
from console.webhooks.replay import NO_TOKEN, ReplayRefused, build_replay, refusal

if TYPE_CHECKING:
    from console.doctor.probe import SelfProber
    from console.gateway.account import AccountService
    from console.gateway.sender import Sender
    from console.secrets import SecretStore
    from console.settings import Settings
    from console.store.queries import Reader
    from console.store.writer import Writer
    from console.tunnel.public_url import PublicUrlProvider
    from console.webhooks.app import WebhookServer


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RowCheck:
    """The verdict on one bulk row before sending: ok, or the reason it would be refused."""

    index: int
    ok: bool
    reason: str = ""
    code: int | None = None


@dataclass(frozen=True, slots=True)
class CoreState:
    """What the status bar and the doctor show about the running console."""

    mode: str  # 'demo' | 'live' | 'stopped'
    profile: str
    account: AccountSummary | None
    server_url: str | None
    public_url: str | None
    tunnel: TunnelState | None
    database: str
    warnings: tuple[str, ...]


class CoreActions(ABC):
    """Actions of the running console; the base of :class:`console.core.Core`.

    The attributes below are set up and managed by ``Core``.
    """

    settings: Settings
    reader: Reader
    state: CoreState
    credentials: Credentials
    secret_store: SecretStore
    writer: Writer | None
    gateway: TwilioGateway | None
    account: AccountService | None
    sender: Sender | None
    server: WebhookServer | None
    provider: PublicUrlProvider | None
    prober: SelfProber | None
    _publish_state: Callable[[str, object], None] | None

    @property
    @abstractmethod
    def public_url(self) -> str | None:
        """The current public base URL (see ``Core``)."""

    @abstractmethod
    async def start(self) -> None:
        """Start the services (see ``Core``)."""

    @abstractmethod
    async def stop(self, *, final: bool = True) -> None:
        """Stop the services (see ``Core``)."""

    @abstractmethod
    def status_callback_url(self) -> str | None:
        """The StatusCallback given to each message (see ``Core``)."""

    @abstractmethod
    def _emit_state(self) -> None:
        """Publish the current state (see ``Core``)."""

    def _require(self, service: T | None, what: str) -> T:
        if service is None:
            raise RuntimeError(f"the console is not started: {what} is unavailable")
        return service

    # -- sending -------------------------------------------------------------------------------
    async def send(
        self,
        to: str,
        body: str,
        *,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
    ) -> DeliveryRecord:
        """Send one message (raises SendRefused or a GatewayError with what to do)."""
        sender = self._require(self.sender, "sending")
        if not from_ and not messaging_service_sid:
            from_, messaging_service_sid = self.default_sender()
        record: DeliveryRecord = await sender.send(
            to, body, from_=from_, messaging_service_sid=messaging_service_sid
        )
        return record

    def default_sender(self) -> tuple[str | None, str | None]:
        """The profile's configured sender: (From number, Messaging Service SID)."""
        creds = self.credentials
        if creds.messaging_service_sid:
            return None, creds.messaging_service_sid
        return creds.from_number or None, None

    async def send_bulk(self, rows: Sequence[Outgoing]) -> BulkJob:
        """Validate, record and send many messages, paced; progress published as 'bulk'."""
        sender = self._require(self.sender, "sending")
        items = self._with_default_sender(rows)

        def progress(p: BulkProgress) -> None:
            if self._publish_state is not None:
                self._publish_state("bulk", p)

        job: BulkJob = await sender.send_bulk(items, on_progress=progress)
        return job

    async def preview_bulk(self, rows: Sequence[Outgoing]) -> list[RowCheck]:
        """Check bulk rows as sending would (opt-outs, trial rules, sender), writing nothing."""
        sender = self._require(self.sender, "sending")
        checked, refusals = await sender.check_bulk(self._with_default_sender(rows))
        out = [RowCheck(index, True) for index, _ in checked]
        out += [RowCheck(r.index, False, r.reason, r.code) for r in refusals]
        return sorted(out, key=lambda c: c.index)

    def _with_default_sender(self, rows: Sequence[Outgoing]) -> list[Outgoing]:
        default_from, default_service = self.default_sender()
        return [
            r
            if (r.from_ or r.messaging_service_sid)
            else replace(r, from_=default_from, messaging_service_sid=default_service)
            for r in rows
        ]

    def pacing_rate(self, sender: str | None = None) -> float:
        """Segments per second the console allows for ``sender`` (default: the profile's)."""
        if not sender:
            from_, service = self.default_sender()
            sender = service or from_ or ""
        return rate_for(sender, self.settings.pacing) if sender else self.settings.pacing.long_code

    async def reply(self, to: str, body: str) -> DeliveryRecord:
        """Answer an inbound message from the profile's sender (same rules as send)."""
        return await self.send(to, body)

    async def set_opt_out(self, number: str, opted_out: bool) -> None:
        """The operator marks a number as opted out or back in."""
        writer = self._require(self.writer, "the database")
        await writer.set_opt_out(number, opted_out, "OPERATOR")

    # -- account, senders, trial tools -----------------------------------------------------------
    async def account_summary(self, refresh: bool = False) -> AccountSummary | None:
        """The account's type, status and balance (cached in the state unless refreshed)."""
        if self.state.account is not None and not refresh:
            return self.state.account
        account = self._require(self.account, "the account")
        summary: AccountSummary = await account.summary()
        self.state = replace(self.state, account=summary)
        self._emit_state()
        return summary

    async def senders(self) -> list[SenderOption]:
        """Owned SMS-capable numbers and Messaging Services."""
        result: list[SenderOption] = await self._require(self.account, "the account").senders()
        return result

    async def verified_numbers(self) -> list[CallerId]:
        """Verified caller IDs (the only recipients a trial account may text)."""
        result: list[CallerId] = await self._require(self.account, "the account").verified_numbers()
        return result

    async def verify(self, number: str, name: str = "") -> Verification:
        """Start verifying a number: Twilio calls it and the person types the returned code."""
        result: Verification = await self._require(self.account, "the account").verify(number, name)
        return result

    async def remove_verified(self, sid: str) -> None:
        """Remove a verified caller ID."""
        await self._require(self.account, "the account").remove_verified(sid)

    def trial_templates(self) -> tuple[trial.TrialTemplate, ...]:
        """The template bodies a trial account may send; () on a full account."""
        account = self.state.account
        return trial.templates() if account is not None and account.type == "Trial" else ()

    # -- inspector -------------------------------------------------------------------------------
    async def replay(self, request_id: int) -> int:
        """Re-send a logged webhook request to the local server; returns the HTTP status.

        Only a request that was accepted when it arrived may be replayed: it is re-signed with
        the Auth Token for the current public URL and marked ``X-Console-Replay`` so that its
        effect is recorded as a replay, never as a report signed by Twilio. A refused request
        (bad or missing signature) raises ReplayRefused: the console never signs it.
        """
        server_url = self.state.server_url
        if server_url is None:
            raise RuntimeError("the webhook server is not running")
        record = await asyncio.to_thread(self.reader.request, request_id)
        if record is None:
            raise LookupError(f"request {request_id} is no longer in the log")
        token = self.credentials.auth_token or None
        if token is None and self.settings.validate_signatures and refusal(record) is None:
            raise ReplayRefused(NO_TOKEN)
        request = build_replay(record, token=token, signed_url=self.public_url or server_url)
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                URL(server_url + request.target, encoded=True),  # the path and query as logged
                data=request.body,
                headers=request.headers,
            ) as response,
        ):
            await response.read()
            return response.status

    # -- settings & credentials -----------------------------------------------------------------
    async def load_credentials(self, profile: str) -> Credentials:
        """A profile's stored credentials (raises KeyringUnavailable with what to do)."""
        return await self.secret_store.load(profile)

    async def save_credentials(self, profile: str, creds: Credentials) -> None:
        """Store a profile's credentials in the OS keyring."""
        await self.secret_store.save(profile, creds)

    async def test_credentials(self, creds: Credentials) -> AccountSummary:
        """Check credentials against Twilio (or the configured API base URL)."""
        from console.gateway.account import AccountService

        gateway = TwilioGateway(
            creds, api_base_url=self.settings.api_base_url, timeout=self.settings.request_timeout
        )
        return await AccountService(gateway).summary()

    async def keyring_status(self) -> BackendStatus:
        """Which keyring backend is in use and whether it works."""
        return await self.secret_store.backend_status()

    async def apply_settings(self, settings: Any) -> None:
        """Save new settings and restart the services with them."""
        await asyncio.to_thread(settings.save)
        await self.stop(final=False)
        self.settings = settings
        await self.start()

    # -- doctor ----------------------------------------------------------------------------------
    async def doctor(self) -> list[CheckResult]:
        """Run the setup checklist (console/doctor/checks.py) against the running services."""
        ctx = DoctorContext(
            mode="demo" if self.state.mode == "demo" else "live",
            credentials=self.credentials,
            gateway=self.gateway,
            reader=self.reader,
            secret_store=self.secret_store,
            public_url=self.public_url,
            tunnel=self.provider.state if self.provider is not None else None,
            probe=self.prober.current if self.prober is not None else None,
            server_health=self.server.health_report if self.server is not None else None,
            database_url=self.settings.db_url,
            api_base_url=self.settings.api_base_url,
            request_timeout=self.settings.request_timeout,
            validate_signatures=self.settings.validate_signatures,
            status_callback=self.status_callback_url(),
            demo_requested=self.settings.demo,
        )
        return await run_checks(ctx)

    async def run_fix(self, action: str) -> str:
        """Perform a doctor fix ('configure_webhooks', 'restart_tunnel', 'probe_again')."""
        targets = FixTargets(
            self.account, self.provider, self.prober, self.public_url, self.settings.data_dir
        )
        return await apply_fix(action, targets)

    def describe(self) -> str:
        """One JSON line about the running console (for logs and the self-test)."""
        return json.dumps(
            {
                "mode": self.state.mode,
                "server_url": self.state.server_url,
                "public_url": self.state.public_url,
            }
        )
