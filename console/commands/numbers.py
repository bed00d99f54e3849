"""``sms-console numbers`` and ``sms-console verify NUMBER``: verified caller IDs and senders.

Credentials come from the keyring profile, overridden by the ``TWILIO_*`` variables. With
``--demo`` the demo account is used: against ``--api-base-url`` when given (a running
``sms-console simulator``), else against a simulator started for the command.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import TypeVar

from console.cli import CommandError, emit
from console.domain.phone import PhoneNumberError
from console.domain.trial import MAX_VERIFIED_CALLER_IDS
from console.gateway.account import AccountService
from console.gateway.client import (
    CallerId,
    OwnedNumber,
    ServiceInfo,
    TwilioGateway,
    Verification,
)
from console.gateway.errors import GatewayError
from console.secrets import Credentials, SecretStore, resolve
from console.settings import Settings

T = TypeVar("T")


@asynccontextmanager
async def _account(settings: Settings) -> AsyncIterator[AccountService]:
    """The account service for this run (see module docstring), torn down afterwards."""
    if settings.demo:
        from console.simulator.config import DEMO_ACCOUNT
        from console.simulator.server import SimulatorServer

        creds = Credentials(account_sid=DEMO_ACCOUNT.sid, auth_token=DEMO_ACCOUNT.auth_token)
        if settings.api_base_url:
            yield _service(creds, settings.api_base_url, settings)
            return
        async with SimulatorServer() as server:
            yield _service(creds, server.base_url or "", settings)
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
    yield _service(creds, settings.api_base_url, settings)


def _service(creds: Credentials, api_base_url: str, settings: Settings) -> AccountService:
    gateway = TwilioGateway(creds, api_base_url=api_base_url, timeout=settings.request_timeout)
    return AccountService(gateway)


def _run(settings: Settings, work: Callable[[AccountService], Awaitable[T]]) -> T:
    async def main() -> T:
        async with _account(settings) as account:
            try:
                return await work(account)
            finally:
                account.gateway.close()

    try:
        return asyncio.run(main())
    except GatewayError as exc:
        raise CommandError(str(exc)) from exc


def run_numbers(args: argparse.Namespace, settings: Settings) -> int:
    """List verified caller IDs, owned numbers and Messaging Services."""

    async def gather(
        account: AccountService,
    ) -> tuple[list[CallerId], list[OwnedNumber], list[ServiceInfo]]:
        return await asyncio.gather(
            account.verified_numbers(),
            account.gateway.incoming_numbers(),
            account.gateway.messaging_services(),
        )

    verified, numbers, services = _run(settings, gather)
    lines = [
        f"Verified caller IDs ({len(verified)}; a trial account may have "
        f"{MAX_VERIFIED_CALLER_IDS}):"
    ]
    lines += [f"  {c.phone_number:<16} {c.friendly_name:<30} {c.sid}" for c in verified]
    lines += ["  (none)"] if not verified else []
    lines.append(f"Owned numbers ({len(numbers)}):")
    lines += [
        f"  {n.phone_number:<16} {'SMS' if n.sms else 'no SMS':<6} {n.friendly_name:<30} "
        f"{n.sid}  inbound: {n.sms_url or '(not set)'}"
        for n in numbers
    ]
    lines += ["  (none)"] if not numbers else []
    lines.append(f"Messaging Services ({len(services)}):")
    lines += [
        f"  {s.sid}  {s.friendly_name}  status callback: {s.status_callback or '(not set)'}"
        for s in services
    ]
    lines += ["  (none)"] if not services else []
    emit(
        args,
        {
            "verified": [asdict(c) for c in verified],
            "numbers": [asdict(n) for n in numbers],
            "services": [asdict(s) for s in services],
        },
        "\n".join(lines),
    )
    return 0


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Start verifying a caller ID and print the code the person must type."""

    async def verify(account: AccountService) -> Verification:
        return await account.verify(args.number, args.name, region=settings.default_region)

    try:
        verification = _run(settings, verify)
    except PhoneNumberError as exc:
        raise CommandError(exc.reason) from exc
    v = asdict(verification)
    emit(
        args,
        v,
        f"Twilio is calling {v['phone_number']} now: when asked, type {v['validation_code']} "
        "on the phone's keypad. The number is verified once the call succeeds "
        "(see `sms-console numbers`).",
    )
    return 0
