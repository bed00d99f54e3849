"""The webhook server: routes, health report and lifecycle (aiohttp AppRunner on 127.0.0.1).

Routes (the HTTP contract in DESIGN.md):

* ``POST /webhooks/twilio/status`` — a status callback; 200 once durable.
* ``POST /webhooks/twilio/inbound`` — an inbound SMS; 200 with empty TwiML once durable.
* ``GET /healthz`` — JSON: version, database, public URL, tunnel state, signature validation.

The Auth Token and the public URL are *getters*, read for every request: the public URL changes
when a tunnel restarts and the token when the operator switches profile. The server runs on the
runtime loop; it never touches Qt (the composition root subscribes the bridge to the writer).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from console import __version__
from console.domain.model import EventSource
from console.store.writer import Writer
from console.webhooks.handlers import Endpoints
from console.webhooks.signature import SignatureChecker

log = logging.getLogger(__name__)

STATUS_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/inbound"
HEALTH_PATH = "/healthz"
MAX_BODY = 64 * 1024
DB_CHECK_TIMEOUT = 5.0

ENDPOINTS = web.AppKey("endpoints", Endpoints)
SERVER: web.AppKey[WebhookServer]  # assigned below the class (the key needs the class)

VALIDATION_OFF = (
    "Webhook signature validation is DISABLED (development setting validate_signatures=false): "
    "anyone who can reach this server can forge delivery statuses and inbound messages."
)


class WebhookServer:
    """Twilio's webhook endpoints on a local port; create, ``start`` and ``stop`` on one loop."""

    def __init__(
        self,
        writer: Writer,
        *,
        auth_token: Callable[[], str | None],
        public_url: Callable[[], str | None],
        host: str = "127.0.0.1",
        port: int = 8080,
        validate: bool = True,
        callback_source: EventSource = EventSource.CALLBACK,
        health: Callable[[], dict[str, Any]] | None = None,
        api_key_only: Callable[[], bool] | None = None,
        database_check: Callable[[], None] | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        """Getters must be cheap and must not raise (they run for every request).

        ``health`` adds fields to /healthz (e.g. ``{"tunnel": {...}}``); ``database_check`` is a
        blocking probe that raises when the database is unusable (run in a worker thread).
        """
        self._host = host
        self._port = port
        self._public_url = public_url
        self._health = health
        self._database_check = database_check
        self._validate = validate
        self._runner: web.AppRunner | None = None
        self._write_error: str | None = None
        self.checker = SignatureChecker(
            auth_token, public_url, enabled=validate, api_key_only=api_key_only
        )
        self.endpoints = Endpoints(
            writer,
            self.checker,
            local_base=lambda: self.local_url,
            callback_source=callback_source,
            max_body=max_body,
            on_write=self._note_write,
        )
        self.app = self._build_app(max_body)

    def _build_app(self, max_body: int) -> web.Application:
        # aiohttp enforces the body limit while reading (chunked and compressed bodies too).
        app = web.Application(client_max_size=max_body)
        app[ENDPOINTS] = self.endpoints
        app[SERVER] = self
        app.router.add_route("*", STATUS_PATH, _status)
        app.router.add_route("*", INBOUND_PATH, _inbound)
        app.router.add_get(HEALTH_PATH, _healthz)
        return app

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound port once started (the configured one before)."""
        return self._port

    @property
    def local_url(self) -> str:
        """``http://host:port`` where the server listens."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    async def start(self) -> str:
        """Listen (port 0 picks a free port); returns the local base URL."""
        if self._runner is not None:
            return self.local_url
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self._host, self._port)
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        log.info("webhook server listening on %s", self.local_url)
        if not self._validate:
            log.warning(VALIDATION_OFF)
        return self.local_url

    async def stop(self) -> None:
        """Stop listening; requests in flight finish first (their writes are awaited)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
            log.info("webhook server on %s stopped", self.local_url)

    # -- health ------------------------------------------------------------------------------
    def _note_write(self, exc: BaseException | None) -> None:
        self._write_error = None if exc is None else f"{type(exc).__name__}: {exc}"

    async def _database_state(self) -> dict[str, Any]:
        if self._database_check is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(self._database_check), DB_CHECK_TIMEOUT)
            except TimeoutError:
                return {"ok": False, "detail": f"no answer within {DB_CHECK_TIMEOUT:g} s"}
            except Exception as exc:
                return {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
        if self._write_error is not None:
            return {"ok": False, "detail": f"the last webhook write failed: {self._write_error}"}
        return {"ok": True, "detail": None}

    async def health_report(self) -> dict[str, Any]:
        """What GET /healthz answers."""
        database = await self._database_state()
        warnings = [] if self._validate else [VALIDATION_OFF]
        report: dict[str, Any] = {
            "ok": bool(database["ok"]),
            "version": __version__,
            "database": database,
            "local_url": self.local_url,
            "public_url": self._public_url(),
            "tunnel": None,
            "signature_validation": "on" if self._validate else "DISABLED (development)",
            "warnings": warnings,
        }
        if self._health is not None:
            try:
                report.update(self._health())
            except Exception as exc:
                warnings.append(f"health details unavailable: {type(exc).__name__}: {exc}")
        return report


SERVER = web.AppKey("server", WebhookServer)


async def _status(request: web.Request) -> web.StreamResponse:
    return await request.app[ENDPOINTS].status(request)


async def _inbound(request: web.Request) -> web.StreamResponse:
    return await request.app[ENDPOINTS].inbound(request)


async def _healthz(request: web.Request) -> web.StreamResponse:
    report = await request.app[SERVER].health_report()
    return web.json_response(report, dumps=lambda obj: json.dumps(obj, default=str))
