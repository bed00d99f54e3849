"""``sms-console serve``: the webhook server without a window, until SIGINT or SIGTERM.

For a machine that only receives callbacks. The public URL comes from a
:class:`~console.tunnel.public_url.PublicUrlProvider` chosen by :func:`make_provider` (the plug
point for the ngrok tunnel): ``--public-url URL`` gives a fixed URL, ``--no-tunnel`` none at all.
The Auth Token (needed to check signatures) comes from the active profile in the OS keyring,
overridden by ``TWILIO_AUTH_TOKEN`` (:func:`console.secrets.resolve`); it is never printed, logged
or written anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from console.cli import CommandError, emit
from console.secrets import ENV_VARS, SecretStore, resolve
from console.settings import Settings, configure_logging
from console.store.db import upgrade
from console.store.queries import Reader
from console.store.writer import Writer
from console.tunnel.ngrok import NgrokTunnel
from console.tunnel.public_url import (
    FixedPublicUrl,
    InvalidPublicUrlError,
    LocalOnly,
    PublicUrlProvider,
    validate_public_url,
)
from console.tunnel.state import TunnelPhase, TunnelState
from console.webhooks.app import INBOUND_PATH, STATUS_PATH, VALIDATION_OFF, WebhookServer

log = logging.getLogger(__name__)

TOKEN_ENV = ENV_VARS["auth_token"]


ProviderFactory = Callable[[int], PublicUrlProvider]  # the bound local port -> provider


def make_provider(settings: Settings, ngrok_authtoken: str | None = None) -> ProviderFactory:
    """The public-URL provider for ``settings``: fixed URL, ngrok tunnel, or local only.

    Returned as a factory of the bound local port (known once the server listens).
    """
    if settings.public_url:
        try:
            fixed = FixedPublicUrl(settings.public_url)
        except InvalidPublicUrlError as exc:
            raise CommandError(f"{exc}; fix --public-url") from None
        return lambda _port: fixed
    if not settings.tunnel:
        return lambda _port: LocalOnly(settings.local_url)
    return lambda port: NgrokTunnel(
        port,
        settings.data_dir,
        authtoken=ngrok_authtoken,
        ngrok_path=settings.ngrok_path or None,
        domain=settings.ngrok_domain or None,
        region=settings.ngrok_region or None,
    )


def tunnel_dict(state: TunnelState) -> dict[str, Any]:
    """A provider's state as JSON-ready values (for /healthz and --json)."""
    return {
        "kind": state.kind,
        "phase": state.phase.value,
        "public_url": state.public_url,
        "detail": state.detail,
        "error_code": state.error_code,
    }


@dataclass(frozen=True, slots=True)
class ServeInfo:
    """Where the running server can be reached."""

    local_url: str
    public_url: str | None
    tunnel: TunnelState
    validation: bool
    warnings: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        """The --json form."""
        base = self.public_url
        return {
            "local_url": self.local_url,
            "public_url": base,
            "status_callback_url": base + STATUS_PATH if base else None,
            "inbound_url": base + INBOUND_PATH if base else None,
            "tunnel": tunnel_dict(self.tunnel),
            "signature_validation": self.validation,
            "warnings": list(self.warnings),
        }

    def text(self) -> str:
        """The human form."""
        lines = [f"Webhook server listening on {self.local_url}"]
        if self.public_url:
            lines += [
                f"Public URL: {self.public_url}",
                f"  status callbacks: {self.public_url}{STATUS_PATH}",
                f"  inbound messages: {self.public_url}{INBOUND_PATH}",
            ]
        else:
            lines.append(f"No public URL ({self.tunnel.detail})")
        lines += [f"WARNING: {w}" for w in self.warnings]
        lines.append("Press Ctrl+C to stop.")
        return "\n".join(lines)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted; 0 after a clean shutdown."""
    make_provider(settings)  # a bad --public-url fails before anything starts
    return asyncio.run(_main(args, settings))


async def _main(args: argparse.Namespace, settings: Settings) -> int:
    creds, warnings = await resolve(SecretStore(), settings.active_profile)
    provider = make_provider(settings, creds.ngrok_authtoken or None)
    token = creds.auth_token or None
    api_key_only = token is None and creds.uses_api_key
    if settings.validate_signatures and token is None:
        what = "has an API key but no Auth Token" if api_key_only else "has no Auth Token"
        raise CommandError(
            f"profile {settings.active_profile!r} {what}, and webhook signatures can only be "
            f"checked with the account's primary Auth Token: set {TOKEN_ENV} (or save the Auth "
            "Token in the window's Settings)"
        )
    configure_logging(settings, console_level="WARNING")
    for warning in warnings:
        print(f"sms-console: warning: {warning}", file=sys.stderr)
    try:
        await asyncio.to_thread(upgrade, settings.db_url)
    except Exception as exc:
        raise CommandError(f"cannot open the database {settings.db_url}: {exc}") from None
    return await serve(
        settings,
        provider,
        lambda: token,
        ready=_ready_printer(args),
        api_key_only=lambda: api_key_only,
    )


def _ready_printer(args: argparse.Namespace) -> Callable[[ServeInfo], None]:
    def ready(info: ServeInfo) -> None:
        emit(args, info.payload(), info.text())
        sys.stdout.flush()

    return ready


async def serve(
    settings: Settings,
    provider_or_factory: PublicUrlProvider | ProviderFactory,
    auth_token: Callable[[], str | None],
    *,
    ready: Callable[[ServeInfo], None],
    stop: asyncio.Event | None = None,
    api_key_only: Callable[[], bool] | None = None,
) -> int:
    """Run writer, server and provider until ``stop`` is set (or SIGINT/SIGTERM arrives)."""
    stop = stop or asyncio.Event()
    current: list[PublicUrlProvider] = []
    writer = Writer(settings.db_url)
    reader = Reader(settings.db_url)
    await writer.start()
    server = WebhookServer(
        writer,
        auth_token=auth_token,
        public_url=lambda: current[0].public_url if current else None,
        host=settings.host,
        port=settings.port,
        validate=settings.validate_signatures,
        health=lambda: {"tunnel": tunnel_dict(current[0].state)} if current else {},
        database_check=lambda: _probe(reader),
        api_key_only=api_key_only,
    )
    try:
        with _signals(stop):
            try:
                local = await server.start()
            except OSError as exc:
                raise CommandError(
                    f"cannot listen on {settings.host}:{settings.port} ({exc.strerror}); "
                    "choose another --port"
                ) from None
            provider = (
                provider_or_factory(server.port)
                if callable(provider_or_factory)
                else provider_or_factory
            )
            current.append(provider)
            state = await provider.start()
            if state.phase is TunnelPhase.FAILED:
                raise CommandError(f"the tunnel could not start: {state.detail}")
            ready(_info(local, state, settings.validate_signatures))
            await stop.wait()
            log.info("stopping the webhook server")
    finally:
        await server.stop()
        for started in current:
            await started.stop()
        await writer.close()
        reader.close()
    return 0


def _info(local: str, state: TunnelState, validation: bool) -> ServeInfo:
    warnings: list[str] = []
    if not validation:
        warnings.append(VALIDATION_OFF)
    if state.public_url:
        warnings += [f"public URL: {p}" for p in validate_public_url(state.public_url)]
    for warning in warnings:
        log.warning(warning)
    return ServeInfo(local, state.public_url, state, validation, tuple(warnings))


def _probe(reader: Reader) -> None:
    with reader.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


@contextlib.contextmanager
def _signals(stop: asyncio.Event) -> Iterator[None]:
    """Set ``stop`` on SIGINT/SIGTERM while inside (restoring the previous handlers after)."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    previous: dict[signal.Signals, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            with contextlib.suppress(ValueError):
                previous[sig] = signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
