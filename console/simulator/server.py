"""``SimulatorServer``: a ``Simulator`` served over HTTP on 127.0.0.1 (or any host)."""

from __future__ import annotations

import logging
from types import TracebackType

from aiohttp import web

from console.simulator.core import Simulator
from console.simulator.state import MessageRecord

log = logging.getLogger(__name__)


class SimulatorServer:
    """Runs a simulator's REST app on a TCP port; ``start`` returns the base URL."""

    def __init__(self, simulator: Simulator | None = None) -> None:
        """Serve ``simulator`` (a demo-account simulator by default)."""
        self.simulator = simulator or Simulator()
        self._runner: web.AppRunner | None = None
        self.base_url: str | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Bind and serve; return the base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._runner is not None:
            raise RuntimeError("this simulator server is already running")
        runner = web.AppRunner(self.simulator.app(), shutdown_timeout=2.0, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = int(runner.addresses[0][1])
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{bound_port}"
        log.info(
            "Twilio simulator serving account %s at %s",
            self.simulator.state.account_sid,
            self.base_url,
        )
        return self.base_url

    async def stop(self) -> None:
        """Stop serving, cancel every background task and close the webhook session."""
        runner, self._runner = self._runner, None
        self.simulator.begin_shutdown()
        if runner is not None:
            await runner.cleanup()
        await self.simulator.aclose()
        self.base_url = None

    async def __aenter__(self) -> SimulatorServer:
        """Start on 127.0.0.1 with a free port."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        await self.stop()

    # Conveniences for tests and the demo mode.
    async def inject_inbound(self, from_: str, to: str, body: str) -> str:
        """See ``Simulator.inject_inbound``."""
        return await self.simulator.inject_inbound(from_, to, body)

    async def complete_verification(self, phone: str) -> str:
        """See ``Simulator.complete_verification``."""
        return await self.simulator.complete_verification(phone)

    def messages(self) -> list[MessageRecord]:
        """See ``Simulator.messages``."""
        return self.simulator.messages()
