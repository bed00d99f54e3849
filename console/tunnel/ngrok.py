"""An ngrok tunnel to the local webhook server, driven by pyngrok and kept alive by a watchdog.

All pyngrok calls block, so they run in worker threads; the tunnel itself belongs to one asyncio
loop (the runtime thread) and tells subscribers about every state change on that loop.

* Guarded start: pyngrok can wait forever for a silent binary; the start is bounded by
  ``start_timeout``, after which the process is killed and the state is FAILED with a reason.
* Secrets: the auth token is written into a private config file (0600) passed as pyngrok's
  ``config_path``; it is never on ngrok's command line (pyngrok would put it there otherwise).
  ngrok's environment is an allowlist without the console's secrets (``ngrok_env``): pyngrok
  would otherwise let it inherit ``TWILIO_AUTH_TOKEN`` and the rest.
* Watchdog: about once a second it checks that the process is alive and the tunnel listed;
  otherwise RECONNECTING, restarts with exponential backoff (0.5 s doubling, at most 30 s) and
  goes ONLINE with the (possibly new) public URL. pyngrok itself never restarts a dead ngrok.

pyngrok keeps one ngrok process per binary path in the whole Python process, so use one
``NgrokTunnel`` per ngrok binary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pyngrok import ngrok, process
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import PyngrokError
from pyngrok.process import NgrokProcess

from console.tunnel import ngrok_env
from console.tunnel.ngrok_errors import TunnelStartError, explain
from console.tunnel.ngrok_setup import (
    TokenRedactor,
    check_binary,
    kill_registered_process,
    make_pyngrok_config,
    normalise_domain,
    registered_process,
    release_failed_start,
    release_output,
    run_in_daemon_thread,
    write_private_config,
)
from console.tunnel.public_url import PublicUrlProvider
from console.tunnel.state import StateCallback, StateFeed, TunnelPhase, TunnelState

logger = logging.getLogger(__name__)

_MAX_BACKOFF = 30.0
_PYNGROK_LOGGERS = ("pyngrok.process", "pyngrok.process.ngrok", "pyngrok.ngrok")


class NgrokTunnel(PublicUrlProvider):
    """A public https URL for ``http://<local_host>:<local_port>`` through the ngrok agent."""

    def __init__(
        self,
        local_port: int,
        data_dir: Path | str,
        *,
        authtoken: str | None = None,
        ngrok_path: str | None = None,
        domain: str | None = None,
        region: str | None = None,
        start_timeout: float = 15.0,
        install_timeout: float = 120.0,
        check_interval: float = 1.0,
        local_host: str = "127.0.0.1",
    ) -> None:
        self._local_url = f"http://{local_host}:{local_port}"
        self._name = f"sms-console-{local_port}"
        self._data_dir = Path(data_dir)
        self._authtoken = authtoken or None
        self._ngrok_path = ngrok_path
        self._domain: str | None = None
        self._setting_error: str | None = None  # reported by start(), never raised here
        try:
            self._domain = normalise_domain(domain) if domain else None
        except ValueError as exc:
            self._setting_error = f"{exc}. Fix the ngrok domain in Settings → Tunnel."
        self._region = region or None
        self._start_timeout = start_timeout
        self._install_timeout = install_timeout
        self._check_interval = check_interval
        self._feed = StateFeed(
            TunnelState(kind="ngrok", phase=TunnelPhase.STOPPED, detail="Not started yet.")
        )
        self._lifecycle = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._watchdog: asyncio.Task[None] | None = None
        self._config: PyngrokConfig | None = None
        self._process: NgrokProcess | None = None
        self._api_url: str | None = None
        self._api_failures = 0
        self._redactor = TokenRedactor(self._authtoken) if self._authtoken else None

    # --- the PublicUrlProvider surface ---

    @property
    def state(self) -> TunnelState:
        """The newest state."""
        return self._feed.state

    @property
    def public_url(self) -> str | None:
        """The tunnel's public base URL while ONLINE, else None."""
        return self._feed.state.public_url

    @property
    def api_url(self) -> str | None:
        """The ngrok agent's local API (``http://127.0.0.1:4040``) while running."""
        return self._api_url

    @property
    def pid(self) -> int | None:
        """The ngrok process id while running."""
        proc = self._process.proc if self._process is not None else None
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def config_path(self) -> Path:
        """The private ngrok config file (holds the auth token, mode 0600)."""
        return self._data_dir / "ngrok" / "ngrok.yml"

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback`` on every state change (on the owning loop); returns unsubscribe."""
        return self._feed.subscribe(callback)

    async def start(self) -> TunnelState:
        """Start ngrok and open the tunnel; ONLINE or FAILED (with what to do), never raises."""
        async with self._lifecycle:
            if self._watchdog is not None and not self._watchdog.done():
                return self.state
            self._stopping.clear()
            self._install_redactor()
            self._publish(TunnelPhase.STARTING, detail=f"Starting ngrok for {self._local_url}.")
            try:
                url = await self._launch()
            except TunnelStartError as exc:
                if not self._stopping.is_set():
                    await self._kill()
                    self._publish(TunnelPhase.FAILED, detail=exc.detail, error_code=exc.code)
                return self.state
            if self._stopping.is_set():
                return self.state
            self._publish_online(url)
            self._watchdog = asyncio.create_task(self._watch(), name=f"ngrok-watchdog-{self._name}")
            return self.state

    async def stop(self) -> None:
        """Kill ngrok, end the watchdog and report STOPPED."""
        self._stopping.set()
        if self._config is not None:
            kill_registered_process(self._config.ngrok_path)  # unblocks a hanging start
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        async with self._lifecycle:
            await self._kill()
            self._publish(TunnelPhase.STOPPED, detail="Stopped; ngrok is not running.")
            if self._redactor is not None:
                for name in _PYNGROK_LOGGERS:
                    logging.getLogger(name).removeFilter(self._redactor)

    # --- launching ---

    async def _launch(self) -> str:
        """One guarded start of ngrok plus the tunnel; returns the public URL."""
        if self._setting_error is not None:
            raise TunnelStartError(self._setting_error, retryable=False)
        ngrok_env.install()  # before pyngrok starts any ngrok process
        check_binary(self._ngrok_path)
        config_path = await asyncio.to_thread(write_private_config, self._data_dir, self._authtoken)
        config = make_pyngrok_config(
            self._ngrok_path, config_path, self._region, self._start_timeout
        )
        self._config = config
        if process.is_process_running(config.ngrok_path):
            # A leftover agent for this binary would be reused with its old configuration.
            await asyncio.to_thread(ngrok.kill, config)
        if self._ngrok_path is None and not await asyncio.to_thread(
            os.path.exists, config.ngrok_path
        ):
            await self._install(config)
        future = run_in_daemon_thread(partial(self._connect_blocking, config), "ngrok-start")
        try:
            public_url, ngrok_process = await asyncio.wait_for(
                asyncio.shield(future), self._start_timeout
            )
        except TimeoutError:
            await self._abandon(config, future)
            raise TunnelStartError(
                f"ngrok did not become ready within {self._start_timeout:g} s and was stopped. "
                f"Check that {config.ngrok_path} is the ngrok agent: run it as "
                f"'{config.ngrok_path} start --none --log stdout' in a terminal to see what it "
                "does (a proxy or firewall can also hold it up).",
                retryable=True,
            ) from None
        except asyncio.CancelledError:
            await self._abandon(config, future)
            raise
        except Exception as exc:
            raise explain(exc, ngrok_path=config.ngrok_path) from exc
        self._process, self._api_url = ngrok_process, ngrok_process.api_url
        self._api_failures = 0
        return public_url

    def _connect_blocking(self, config: PyngrokConfig) -> tuple[str, NgrokProcess]:
        """Start the ngrok process (if needed) and open the tunnel; runs in a worker thread."""
        options: dict[str, Any] = {}
        if self._domain:
            options["url"] = f"https://{self._domain}"
        try:
            tunnel = ngrok.connect(
                self._local_url, "http", name=self._name, pyngrok_config=config, **options
            )
        except BaseException as exc:
            release_failed_start(exc)
            raise
        ngrok_process = registered_process(config.ngrok_path)
        if ngrok_process is None or ngrok_process.api_url is None or tunnel.public_url is None:
            raise PyngrokError("ngrok started but reported no API address or public URL")
        return tunnel.public_url.rstrip("/"), ngrok_process

    async def _install(self, config: PyngrokConfig) -> None:
        """Let pyngrok download ngrok to its default path, bounded by ``install_timeout``."""
        logger.info("ngrok not found at %s; asking pyngrok to download it", config.ngrok_path)
        future = run_in_daemon_thread(partial(ngrok.install_ngrok, config), "ngrok-install")
        try:
            await asyncio.wait_for(asyncio.shield(future), self._install_timeout)
        except TimeoutError:
            raise TunnelStartError(
                f"Downloading ngrok took longer than {self._install_timeout:g} s. Install ngrok "
                "from https://ngrok.com/download and give its path in Settings → Tunnel or with "
                "--ngrok-path.",
                retryable=False,
            ) from None
        except Exception as exc:
            raise explain(exc, ngrok_path=config.ngrok_path) from exc

    async def _abandon(self, config: PyngrokConfig, future: asyncio.Future[Any]) -> None:
        """Kill a start that is taking too long and give its thread a moment to finish."""
        kill_registered_process(config.ngrok_path)
        await asyncio.wait({future}, timeout=5.0)

    async def _kill(self) -> None:
        """Kill our ngrok process (if any) and forget it."""
        config, ngrok_process = self._config, self._process
        self._process, self._api_url = None, None
        if config is None:
            return
        kill_registered_process(config.ngrok_path)
        try:
            await asyncio.wait_for(asyncio.to_thread(ngrok.kill, config), 10.0)
        except TimeoutError:
            logger.warning("pyngrok did not release the ngrok process within 10 s")
        if ngrok_process is not None:
            # pyngrok's log reader thread (private attribute) is joined before the close.
            monitor = ngrok_process._monitor_thread
            await asyncio.to_thread(release_output, ngrok_process.proc, monitor)

    # --- watching ---

    async def _watch(self) -> None:
        """Run the watchdog; an unexpected error ends in FAILED instead of a silent stop."""
        try:
            await self._watch_loop()
        except Exception as exc:
            logger.exception("The ngrok watchdog failed")
            await self._kill()
            self._publish(
                TunnelPhase.FAILED,
                detail=f"The tunnel watchdog failed ({exc!r}); restart the tunnel.",
            )

    async def _watch_loop(self) -> None:
        """Check the process and tunnel about once a second; restart them when they are gone."""
        while not await self._wait_stopping(self._check_interval):
            problem = await self._health_problem()
            if problem is None:
                continue
            logger.warning("ngrok tunnel lost: %s", problem)
            self._publish(TunnelPhase.RECONNECTING, detail=f"{problem} Restarting ngrok.")
            if not await self._reconnect():
                return

    async def _health_problem(self) -> str | None:
        proc = self._process.proc if self._process is not None else None
        api_url = self._api_url
        if proc is None or api_url is None or proc.poll() is not None:
            code = proc.returncode if proc is not None else None
            return f"ngrok stopped unexpectedly (exit status {code})."
        try:
            listing = await asyncio.to_thread(
                ngrok.api_request, f"{api_url}/api/endpoints", "GET", None, None, 2.0
            )
        except (PyngrokError, OSError, ValueError) as exc:
            self._api_failures += 1
            if self._api_failures < 2:
                return None  # one missed answer is tolerated
            return f"ngrok's local API stopped answering ({exc})."
        self._api_failures = 0
        items = listing.get("endpoints") or listing.get("tunnels") or []
        if not any(isinstance(item, dict) and item.get("name") == self._name for item in items):
            return "The tunnel vanished from the ngrok agent."
        return None

    async def _reconnect(self) -> bool:
        """Restart with backoff until ONLINE (True), a permanent failure or stop (False)."""
        delay = 0.5
        while not await self._wait_stopping(delay):
            await self._kill()
            try:
                url = await self._launch()
            except TunnelStartError as exc:
                if not exc.retryable:
                    await self._kill()
                    self._publish(TunnelPhase.FAILED, detail=exc.detail, error_code=exc.code)
                    return False
                delay = min(delay * 2, _MAX_BACKOFF)
                self._publish(
                    TunnelPhase.RECONNECTING,
                    detail=f"{exc.detail} Retrying in {delay:g} s.",
                    error_code=exc.code,
                )
                continue
            self._publish_online(url)
            return True
        return False

    async def _wait_stopping(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True as soon as stop() was called."""
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True

    # --- helpers ---

    def _install_redactor(self) -> None:
        if self._redactor is not None:
            for name in _PYNGROK_LOGGERS:
                logging.getLogger(name).addFilter(self._redactor)

    def _publish_online(self, url: str) -> None:
        self._publish(
            TunnelPhase.ONLINE,
            public_url=url,
            detail=f"ngrok tunnel online: {url} → {self._local_url}.",
        )

    def _publish(
        self,
        phase: TunnelPhase,
        *,
        detail: str,
        public_url: str | None = None,
        error_code: str | None = None,
    ) -> None:
        if self._authtoken:
            detail = detail.replace(self._authtoken, "<ngrok-authtoken>")
        self._feed.publish(
            TunnelState(
                kind="ngrok",
                phase=phase,
                public_url=public_url,
                detail=detail,
                error_code=error_code,
            )
        )
