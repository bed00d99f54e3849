"""``sms-console send``: one message through the send pipeline, recorded in the data dir's ledger.

Credentials come from the keyring profile, overridden by the ``TWILIO_*`` variables (with
``--demo``: the demo account, against ``--api-base-url`` or a simulator started for the run).
The sender is ``--from`` / ``--messaging-service``, else the profile's Messaging Service, else
its From number. The status callback is ``--public-url`` + ``/webhooks/twilio/status`` when a
public URL is set; otherwise Twilio sends no callbacks and ``--wait`` polls the message.

With ``--wait`` the report says how long the message took to reach its final status.

Exit status: 0 accepted (with ``--wait``: delivered); 1 refused by the console or by Twilio,
failed or undelivered, or not sent; 3 ``--wait`` ran out before a final status.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from console.cli import CommandError, emit
from console.domain import status as st
from console.domain.errors import explain
from console.domain.model import DeliveryRecord, EventSource, SendState
from console.gateway.account import AccountService
from console.gateway.client import TwilioGateway
from console.gateway.errors import GatewayError
from console.gateway.reconcile import message_event
from console.gateway.sender import STATUS_PATH, MessageGateway, Sender, SendRefused
from console.secrets import Credentials, SecretStore, resolve
from console.settings import Settings
from console.store.db import upgrade
from console.store.queries import Reader
from console.store.writer import Writer

EXIT_FAILED = 1
EXIT_WAIT_EXPIRED = 3
_POLL_FIRST, _POLL_MAX = 0.5, 3.0


class SendFailed(Exception):
    """The message was not sent or did not arrive: ``str()`` is the one-line reason."""

    def __init__(self, reason: str, record: DeliveryRecord | None = None, code: int = 1) -> None:
        super().__init__(reason)
        self.record = record
        self.code = code


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of the subcommand (see module docstring)."""

    async def main() -> int:
        async with _gateway(settings) as (gateway, creds):
            try:
                return await send_command(args, settings, gateway, creds)
            finally:
                gateway.close()

    try:
        return asyncio.run(main())
    except GatewayError as exc:
        raise CommandError(str(exc)) from exc


@asynccontextmanager
async def _gateway(settings: Settings) -> AsyncIterator[tuple[TwilioGateway, Credentials]]:
    if settings.demo:
        from console.simulator.config import DEMO_ACCOUNT, DEMO_NUMBER_1
        from console.simulator.server import SimulatorServer

        creds = Credentials(
            account_sid=DEMO_ACCOUNT.sid,
            auth_token=DEMO_ACCOUNT.auth_token,
            from_number=DEMO_NUMBER_1,
        )
        if settings.api_base_url:
            yield _make(creds, settings.api_base_url, settings), creds
            return
        async with SimulatorServer() as server:
            yield _make(creds, server.base_url or "", settings), creds
        return
    creds, warnings = await resolve(SecretStore(), settings.active_profile)
    if not creds.has_rest_auth:
        raise CommandError(
            f"No Twilio credentials are configured for profile {settings.active_profile!r}: "
            "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and "
            "TWILIO_API_SECRET), add them in the window's Settings, or use --demo."
        )
    for warning in warnings:
        print(f"sms-console: warning: {warning}", file=sys.stderr)
    yield _make(creds, settings.api_base_url, settings), creds


def _make(creds: Credentials, api_base_url: str, settings: Settings) -> TwilioGateway:
    return TwilioGateway(creds, api_base_url=api_base_url, timeout=settings.request_timeout)


async def send_command(
    args: argparse.Namespace,
    settings: Settings,
    gateway: MessageGateway,
    creds: Credentials,
    *,
    account: AccountService | None = None,
) -> int:
    """Send ``args.to``/``args.body`` through ``gateway``, record it, report it; exit status.

    ``account`` (default: one built on ``gateway`` when it is a :class:`TwilioGateway`) tells
    the account type and verified caller IDs for the trial check.
    """
    if account is None and isinstance(gateway, TwilioGateway):
        account = AccountService(gateway)
    account_type = (await account.gateway.account()).type if account is not None else None
    upgrade(settings.db_url)
    writer = Writer(settings.db_url)
    await writer.start()
    reader = Reader(settings.db_url)
    try:
        from_, service = _sender(args, creds)
        callback = settings.public_url.rstrip("/") + STATUS_PATH if settings.public_url else None
        sender = Sender(
            writer,
            reader,
            gateway,
            pacing=settings.pacing,
            status_callback=lambda: callback,
            account_type=lambda: account_type,
            is_verified=account.is_verified if account is not None else None,
            default_region=settings.default_region,
            profile=settings.active_profile,
            account_sid=creds.account_sid or None,
            settle_seconds=settings.request_timeout,
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        took: float | None = None  # seconds from sending to the final status (with --wait)
        try:
            rec = _accepted(
                await sender.send(args.to, args.body, from_=from_, messaging_service_sid=service)
            )
            if args.wait > 0:
                rec = await _wait_final(gateway, writer, reader, rec, args.wait)
                took = loop.time() - started
        except SendRefused as exc:
            return _failed(args, SendFailed(str(exc)))
        except SendFailed as exc:
            return _failed(args, exc)
        waited = f" in {took:.1f} s" if took is not None else ""
        shown = rec.messaging_service_sid or rec.from_
        timing = {"elapsed_seconds": round(took, 2)} if took is not None else {}
        emit(
            args,
            {**_record_json(rec), **timing},
            f"{rec.sid} to {rec.to} from {shown}: {rec.status}{waited} "
            f"({rec.segments} segment(s), {rec.encoding})",
        )
        return 0
    finally:
        await writer.close()
        reader.close()


def _sender(args: argparse.Namespace, creds: Credentials) -> tuple[str | None, str | None]:
    if args.from_:
        return args.from_, None
    if args.messaging_service:
        return None, args.messaging_service
    if creds.messaging_service_sid:
        return None, creds.messaging_service_sid
    return creds.from_number or None, None


def _accepted(rec: DeliveryRecord) -> DeliveryRecord:
    """``rec`` when Twilio accepted it; ``SendFailed`` saying what happened otherwise."""
    if rec.send_state is SendState.ACCEPTED:
        return rec
    if rec.send_state is SendState.REJECTED:
        raise SendFailed(
            f"Twilio refused the message (error {rec.error_code}): {rec.error_message}", rec
        )
    if rec.send_state is SendState.QUEUED:
        raise SendFailed(
            "Twilio kept answering 'too many requests' or could not be reached, so nothing was "
            f"sent; the message stays queued in the ledger (delivery {rec.id}) and is sent when "
            "the console next starts.",
            rec,
        )
    raise SendFailed(
        "Twilio gave no reliable answer and the message could not be found in its recent "
        f"messages yet; it stays in the ledger as 'unknown' (delivery {rec.id}) and is "
        "reconciled, never sent twice, when the console next starts.",
        rec,
    )


async def _wait_final(
    gateway: MessageGateway, writer: Writer, reader: Reader, rec: DeliveryRecord, seconds: float
) -> DeliveryRecord:
    """Poll the message until it has a final status or ``seconds`` pass; record each answer."""
    assert rec.sid is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    pause = _POLL_FIRST
    current = rec
    while not current.final_at:
        left = deadline - loop.time()
        if left <= 0:
            raise SendFailed(
                f"{rec.sid} is still '{current.status}' after {seconds:g} s; the ledger keeps "
                "it and the console's reconciler will fetch its final status.",
                current,
                EXIT_WAIT_EXPIRED,
            )
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 1.5, _POLL_MAX)
        try:
            info = await gateway.fetch_message(rec.sid)
        except GatewayError:
            continue  # a failed poll is retried until the deadline
        outcome = await writer.record_event(message_event(info, EventSource.POLL))
        current = outcome.delivery or reader.delivery(rec.id) or current
    parsed = st.parse(current.status)
    if parsed is not None and st.is_failure(parsed):
        meaning = explain(current.error_code)
        why = (
            f"{meaning.title}: {meaning.cause} What to do: {meaning.action}"
            if meaning
            else "Twilio gave no error code"
        )
        raise SendFailed(f"{rec.sid} {current.status} (error {current.error_code}): {why}", current)
    return current


def _record_json(rec: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": rec.id,
        "sid": rec.sid,
        "to": rec.to,
        "from": rec.from_,
        "messaging_service_sid": rec.messaging_service_sid,
        "status": rec.status,
        "send_state": rec.send_state.value,
        "final": rec.final_at is not None,
        "segments": rec.segments,
        "encoding": rec.encoding,
        "error_code": rec.error_code,
        "error_message": rec.error_message,
        "price": rec.price,
        "price_unit": rec.price_unit,
    }


def _failed(args: argparse.Namespace, exc: SendFailed) -> int:
    """Report a failure as one line (and as JSON with ``--json``); return the exit status."""
    line = " ".join(str(exc).split())
    if getattr(args, "json", False):
        extra = _record_json(exc.record) if exc.record is not None else {}
        print(json.dumps({"ok": False, "error": line, **extra}, default=str))
    print(f"sms-console: {line}", file=sys.stderr)
    return exc.code
