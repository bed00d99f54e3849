"""The services facade: builds and runs everything below the window, on the runtime loop.

``Core`` is what the window (through the Bridge) and the headless commands talk to. It owns the
lifecycle — database upgrade, writer, credentials, the demo simulator, the webhook server, the
public URL (fixed, ngrok or local-only), the Twilio gateway, the sender and the reconciler — and
exposes the operator's actions as coroutines. It never imports Qt: state goes out through the
``publish``/``publish_state`` callables it was given (the Bridge's, in the GUI).

Modes: *live* (credentials configured), *demo* (``--demo``, or no credentials at all: the
built-in simulator runs in process and plays Twilio, clearly labelled).

At start the sender resumes what a crash left pending and the reconciler polls open deliveries
(``resume=False`` skips both, for a short look such as the doctor: nothing is sent or polled,
the ledger is not written). Both ask only about deliveries this Twilio can know: those of the
current account and, in demo mode, those recorded since the simulator started. The simulator
keeps its messages in memory, so it is kept over a settings restart (``stop(final=False)``)
that stays in demo mode; a new one (next launch) knows none of the earlier messages.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from console import __version__
from console.core_actions import CoreActions, CoreState
from console.doctor.probe import SelfProber
from console.domain.model import EventSource, StoreChange, utcnow
from console.gateway.account import STATUS_PATH, AccountService
from console.gateway.client import TwilioGateway
from console.gateway.reconcile import Reach, Reconciler
from console.gateway.sender import Sender
from console.secrets import Credentials, SecretStore, resolve
from console.settings import Settings
from console.simulator.config import DEMO_ACCOUNT, DEMO_NUMBER_1
from console.simulator.core import Simulator
from console.simulator.scenario import demo_scenario
from console.simulator.server import SimulatorServer
from console.store.db import upgrade
from console.store.queries import Reader
from console.store.writer import Writer
from console.tunnel.ngrok import NgrokTunnel
from console.tunnel.public_url import FixedPublicUrl, LocalOnly, PublicUrlProvider
from console.tunnel.state import TunnelState
from console.webhooks.app import WebhookServer

log = logging.getLogger(__name__)


class Core(CoreActions):
    """Everything below the window. Create anywhere; start, use and stop on the runtime loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        publish: Callable[[StoreChange], None] | None = None,
        publish_state: Callable[[str, object], None] | None = None,
        secret_store: SecretStore | None = None,
        resume: bool = True,
    ) -> None:
        """``resume``: resume pending sends and reconcile at start (see the module doc)."""
        self.settings = settings
        self.resume = resume
        self._publish = publish
        self._publish_state = publish_state
        self.secret_store = secret_store or SecretStore()
        self.reader = Reader(settings.db_url)  # no I/O until the first query
        self.writer: Writer | None = None
        self.credentials = Credentials()
        self.simulator: SimulatorServer | None = None
        self._simulator_since = utcnow()  # when the running simulator started
        self.server: WebhookServer | None = None
        self.provider: PublicUrlProvider | None = None
        self.gateway: TwilioGateway | None = None
        self.account: AccountService | None = None
        self.sender: Sender | None = None
        self.reconciler: Reconciler | None = None
        self.prober: SelfProber | None = None  # self-probe on every public URL change
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self.state = CoreState(
            mode="stopped",
            profile=settings.active_profile,
            account=None,
            server_url=None,
            public_url=None,
            tunnel=None,
            database=settings.db_url,
            warnings=(),
        )

    # -- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Start every service; raises with a clear reason if the console cannot run."""
        s = self.settings
        await asyncio.to_thread(upgrade, s.db_url)
        if self.reader.engine.url.render_as_string(hide_password=False) != s.db_url:
            self.reader.close()
            self.reader = Reader(s.db_url)
        self.writer = Writer(s.db_url)
        await self.writer.start()
        if self._publish is not None:
            self.writer.subscribe(self._publish)
        warnings: list[str] = []
        creds, found = await resolve(self.secret_store, s.active_profile)
        demo = s.demo or not creds.has_rest_auth
        if demo:
            if not s.demo:
                warnings.append(
                    "No Twilio credentials are configured, so the console runs in demo mode "
                    "against its built-in simulator. Add credentials in Settings to go live."
                )
            creds = await self._start_simulator()
        else:
            warnings.extend(found)
            await self._stop_simulator()  # one kept over a restart that leaves demo mode
        self.credentials = creds
        api_base = self.simulator.base_url if self.simulator else s.api_base_url
        self.gateway = TwilioGateway(creds, api_base_url=api_base or "", timeout=s.request_timeout)
        self.account = AccountService(self.gateway)
        self.server = self._make_server(s.port, demo=demo)
        server_url = await self._start_server(warnings)
        self.provider = self._make_provider(server_url, demo=demo)
        self._unsubscribe = self.provider.subscribe(self._on_tunnel)
        self.prober = SelfProber(
            self.reader,
            auth_token=lambda: self.credentials.auth_token or None,
            account_sid=lambda: self.credentials.account_sid,
            publish=partial(self._publish_state, "probe") if self._publish_state else None,
        )
        self.prober.attach(self.provider)
        tunnel = await self.provider.start()
        reach = Reach(creds.account_sid, self._simulator_since if demo else None)
        self.sender = Sender(
            self.writer,
            self.reader,
            self.gateway,
            pacing=s.pacing,
            status_callback=self.status_callback_url,
            account_type=lambda: self.state.account.type if self.state.account else None,
            is_verified=self.account.is_verified,
            default_region=s.default_region,
            profile=s.active_profile,
            account_sid=creds.account_sid,
            reach=reach,
        )
        self.reconciler = Reconciler(
            self.writer, self.reader, self.gateway, after_seconds=s.reconcile_after, reach=reach
        )
        self.state = replace(
            self.state,
            mode="demo" if demo else "live",
            server_url=server_url,
            public_url=self.public_url,
            tunnel=tunnel,
            warnings=tuple(warnings),
        )
        self._emit_state()
        if demo:
            await self.account.configure_webhooks(
                self.public_url or server_url, data_dir=s.data_dir
            )
        self._spawn(self._refresh_account(), "account")
        if self.resume:
            self._spawn(self.sender.resume_pending(), "resume-pending")
            self._spawn(self.reconciler.run(), "reconciler")

    async def stop(self, *, final: bool = True) -> None:
        """Stop everything in reverse order; safe to call twice.

        ``final``: release reads and stop the demo simulator too; otherwise (a settings restart)
        the simulator keeps running, so that a restart in demo mode still knows its messages.
        """
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.sender is not None:
            await self.sender.close()
        if self.prober is not None:
            await self.prober.close()
            self.prober = None
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.provider is not None:
            await self.provider.stop()
        if self.server is not None:
            await self.server.stop()
        if final:
            await self._stop_simulator()
        if self.writer is not None:
            await self.writer.close()
        self.sender = self.reconciler = self.provider = self.server = None
        self.writer = None
        if final:
            self.reader.close()
        self.state = replace(self.state, mode="stopped", account=None)

    async def _start_simulator(self) -> Credentials:
        """Start the demo simulator (or keep the one a settings restart left running)."""
        if self.simulator is None:
            simulator = SimulatorServer(Simulator(DEMO_ACCOUNT, demo_scenario()))
            self._simulator_since = utcnow()
            await simulator.start("127.0.0.1", 0)
            self.simulator = simulator
        return Credentials(
            account_sid=DEMO_ACCOUNT.sid,
            auth_token=DEMO_ACCOUNT.auth_token,
            from_number=DEMO_NUMBER_1,
        )

    async def _stop_simulator(self) -> None:
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            await simulator.stop()

    def _make_server(self, port: int, *, demo: bool) -> WebhookServer:
        assert self.writer is not None
        return WebhookServer(
            self.writer,
            auth_token=lambda: self.credentials.auth_token or None,
            public_url=lambda: self.public_url,
            host=self.settings.host,
            port=port,
            validate=self.settings.validate_signatures,
            callback_source=EventSource.SIMULATOR if demo else EventSource.CALLBACK,
            health=self._health,
            api_key_only=lambda: not self.credentials.has_webhook_auth,
        )

    async def _start_server(self, warnings: list[str]) -> str:
        assert self.server is not None
        try:
            return await self.server.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or self.settings.port == 0:
                raise OSError(
                    exc.errno,
                    f"The webhook server cannot listen on {self.settings.host}:"
                    f"{self.settings.port} ({exc.strerror}). Choose another port in Settings "
                    "or with --port.",
                ) from exc
        self.server = self._make_server(0, demo=self.simulator is not None)
        url = await self.server.start()
        warnings.append(
            f"Port {self.settings.port} is in use, so the webhook server listens on {url} "
            "instead. Set a free port in Settings to keep callback URLs stable."
        )
        return url

    def _make_provider(self, server_url: str, *, demo: bool) -> PublicUrlProvider:
        s = self.settings
        if demo:
            return FixedPublicUrl(server_url)  # the in-process simulator reaches us directly
        if s.public_url:
            return FixedPublicUrl(s.public_url)
        if s.tunnel:
            assert self.server is not None
            return NgrokTunnel(
                self.server.port,
                s.data_dir,
                authtoken=self.credentials.ngrok_authtoken or None,
                ngrok_path=s.ngrok_path or None,
                domain=s.ngrok_domain or None,
                region=s.ngrok_region or None,
            )
        return LocalOnly(server_url)

    # -- state ---------------------------------------------------------------------------------
    @property
    def public_url(self) -> str | None:
        """The current public base URL Twilio can call, if any."""
        return self.provider.public_url if self.provider is not None else None

    def status_callback_url(self) -> str | None:
        """The StatusCallback to give each message (None when Twilio cannot reach us)."""
        base = self.public_url
        return base + STATUS_PATH if base else None

    def _on_tunnel(self, state: TunnelState) -> None:
        self.state = replace(self.state, tunnel=state, public_url=state.public_url)
        if self._publish_state is not None:
            self._publish_state("tunnel", state)
        self._emit_state()

    def _emit_state(self) -> None:
        if self._publish_state is not None:
            self._publish_state("core", self.state)

    def _health(self) -> dict[str, Any]:
        tunnel = self.state.tunnel
        return {
            "version": __version__,
            "mode": self.state.mode,
            "public_url": self.public_url,
            "tunnel": tunnel.phase.value if tunnel is not None else None,
        }

    async def _refresh_account(self) -> None:
        await self.account_summary(refresh=True)

    def _spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=f"core-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())


__all__ = ["Core", "CoreState"]
