"""Checks that ask Twilio (or the simulator): credentials, Auth Token, sender, account, trial rules.

Each function takes the :class:`~console.doctor.context.DoctorContext` and returns an
:class:`~console.doctor.result.Outcome`. A check that needs the account while the credentials
check already failed is *skipped* (pointing there) rather than failing twice.
"""

from __future__ import annotations

import asyncio
import contextlib

from console.doctor.context import DoctorContext
from console.doctor.result import OPEN_SETTINGS, VERIFY_NUMBER, Outcome, fail, ok, skip, warn
from console.domain.model import SendState
from console.domain.phone import PhoneNumberError, format_display, normalize
from console.domain.trial import MAX_VERIFIED_CALLER_IDS, matches_template
from console.gateway.client import TwilioGateway
from console.gateway.errors import AuthenticationFailed, GatewayError, Unreachable
from console.secrets import Credentials, mask_sid
from console.store.queries import DeliveryFilter

TRIAL_RECIPIENT_CODES = frozenset({21608, 14111})
TRIAL_BODY_CODE = 572006
RECENT = 20

_SETTINGS_FIX = (
    "Enter them in Settings (copy them from the Twilio Console: Account > API keys & tokens), "
    "or set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN for a headless run."
)


def _blocked(exc: GatewayError) -> Outcome:
    """The outcome of a check whose Twilio read failed."""
    if isinstance(exc, AuthenticationFailed | Unreachable):
        return skip("Could not be checked: the account could not be read (see Twilio credentials).")
    return fail(str(exc))


async def credentials(ctx: DoctorContext) -> Outcome:
    """Credentials present, and accepted by Twilio (not error 20003)."""
    c = ctx.credentials
    if not c.has_rest_auth:
        missing = [
            name
            for name, value in (("Account SID", c.account_sid), ("Auth Token", c.auth_token))
            if not value
        ]
        return fail(
            f"No usable Twilio credentials: {' and '.join(missing)} not set.",
            _SETTINGS_FIX,
            OPEN_SETTINGS,
        )
    how = f"API key {mask_sid(c.api_key_sid)}" if c.uses_api_key else "the Auth Token"
    try:
        summary = await ctx.lookups.summary()
    except AuthenticationFailed:
        secret = "API key SID and secret" if c.uses_api_key else "Auth Token"
        return fail(
            f"{ctx.twilio} rejected the credentials of account {mask_sid(c.account_sid)} "
            f"(error 20003, authentication failed): the Account SID or the {secret} is wrong.",
            f"Copy the Account SID and the {secret} again from the Twilio Console "
            "(Account > API keys & tokens) into Settings, or fix the TWILIO_* variables.",
            OPEN_SETTINGS,
        )
    except Unreachable as exc:
        where = "the built-in simulator" if ctx.demo else "Twilio"
        return fail(
            f"Could not reach {where} to check the credentials: {exc.message}.",
            "Check the network connection, any proxy or firewall, and the API base URL "
            "setting, then run the doctor again.",
        )
    except GatewayError as exc:
        return fail(str(exc))
    account = f"{summary.friendly_name} ({mask_sid(summary.sid)})"
    if ctx.demo:
        return ok(_demo_finding(ctx, account))
    return ok(f"Twilio accepted the credentials (using {how}) of {account}.")


def _demo_finding(ctx: DoctorContext, account: str) -> str:
    """Demo mode, whether asked for or for want of credentials: the same state, said plainly.

    The window falls back to demo mode when no credentials are configured, ``--demo`` asks for
    it; either way the console talks to its built-in simulator, so this is not a failure.
    """
    why = (
        "demo mode was asked for"
        if ctx.demo_requested
        else "no Twilio credentials are configured (add them in Settings to go live)"
    )
    return (
        f"Demo mode: the built-in simulator is used instead of Twilio, because {why}. It "
        f"accepted the demo credentials of {account}; no Twilio account is checked."
    )


async def auth_token(ctx: DoctorContext) -> Outcome:
    """The Auth Token is there (webhook signatures need it, an API key cannot replace it)."""
    c = ctx.credentials
    if not c.auth_token:
        if c.uses_api_key:
            finding = (
                "Only an API key is configured: REST calls work, but Twilio signs webhooks with "
                "the account's primary Auth Token, which an API key secret cannot check — every "
                "status callback would be refused (403)."
            )
        else:
            finding = "No Auth Token is configured, so webhook signatures cannot be checked."
        return fail(
            finding,
            "Add the account's primary Auth Token in Settings (or set TWILIO_AUTH_TOKEN).",
            OPEN_SETTINGS,
        )
    if not c.uses_api_key:
        try:
            await ctx.lookups.summary()
        except GatewayError as exc:
            return (
                _blocked(exc)
                if not isinstance(exc, AuthenticationFailed)
                else skip("The Auth Token was rejected (see Twilio credentials).")
            )
        return ok("The Auth Token that checks webhook signatures is the one Twilio accepts.")
    return await _token_beside_key(ctx, c)


async def _token_beside_key(ctx: DoctorContext, c: Credentials) -> Outcome:
    """REST uses the API key: check the Auth Token on its own (signatures depend on it)."""
    base = ctx.gateway.api_base_url if ctx.gateway is not None else ctx.api_base_url
    gateway = TwilioGateway(
        Credentials(account_sid=c.account_sid, auth_token=c.auth_token),
        api_base_url=base,
        timeout=ctx.request_timeout,
    )
    try:
        await gateway.account()
    except AuthenticationFailed:
        return fail(
            f"{ctx.twilio} rejected the Auth Token (error 20003). REST calls use the API key and "
            "work, but webhook signatures are made with the real Auth Token, so every callback "
            "would be refused (403).",
            "Copy the account's primary Auth Token from the Twilio Console into Settings.",
            OPEN_SETTINGS,
        )
    except GatewayError as exc:
        return _blocked(exc)
    finally:
        session = getattr(gateway.http_client, "session", None)
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()
    return ok("The Auth Token is accepted too (REST calls use the API key; signatures the token).")


async def sender(ctx: DoctorContext) -> Outcome:
    """A sender is configured, owned by the account and SMS-capable."""
    c = ctx.credentials
    if not (c.from_number or c.messaging_service_sid):
        return fail(
            "No sender is configured: messages need a From number (TWILIO_FROM_NUMBER) or a "
            "Messaging Service (TWILIO_MESSAGING_SERVICE_SID).",
            "Pick one of the account's SMS-capable numbers or a Messaging Service in Settings.",
            OPEN_SETTINGS,
        )
    try:
        if c.messaging_service_sid:
            services = await ctx.lookups.services()
            found = next((s for s in services if s.sid == c.messaging_service_sid), None)
            if found is None:
                return fail(
                    f"Messaging Service {c.messaging_service_sid} does not belong to this "
                    "account, so Twilio refuses to send with it.",
                    "Choose one of the account's Messaging Services in Settings.",
                    OPEN_SETTINGS,
                )
            return ok(f"Messages go out through Messaging Service {found.friendly_name!r}.")
        numbers = await ctx.lookups.numbers()
    except GatewayError as exc:
        return _blocked(exc)
    try:
        wanted = normalize(c.from_number)
    except PhoneNumberError as exc:
        return fail(
            f"The From number is not valid: {exc}", "Correct it in Settings.", OPEN_SETTINGS
        )
    owned = ", ".join(format_display(n.phone_number) for n in numbers if n.sms) or "none"
    number = next((n for n in numbers if n.phone_number == wanted), None)
    if number is None:
        return fail(
            f"The From number {format_display(wanted)} is not a number this account owns, so "
            "Twilio refuses it (error 21606; 21607 on a trial).",
            f"Choose an owned SMS-capable number in Settings (owned: {owned}).",
            OPEN_SETTINGS,
        )
    if not number.sms:
        return fail(
            f"{format_display(wanted)} is owned but cannot send SMS (error 21606).",
            f"Choose an SMS-capable number in Settings (SMS-capable: {owned}).",
            OPEN_SETTINGS,
        )
    return ok(f"From {format_display(wanted)} — {number.friendly_name}: owned and SMS-capable.")


async def account(ctx: DoctorContext) -> Outcome:
    """The account type (trial limits) and status."""
    try:
        summary = await ctx.lookups.summary()
    except GatewayError as exc:
        return _blocked(exc)
    balance = f", balance {summary.balance} {summary.currency}" if summary.balance else ""
    if summary.status.lower() != "active":
        return fail(
            f"The account is {summary.status}: Twilio sends nothing from it.",
            "Reactivate the account in the Twilio Console (Billing), or use another account.",
        )
    if summary.is_trial:
        return ok(
            f"Trial account{balance}: it sends only to verified numbers (at most "
            f"{MAX_VERIFIED_CALLER_IDS}) and only Twilio's template bodies; upgrading lifts both."
        )
    kind = "Demo (simulated) account" if ctx.demo else "Full account"
    return ok(f"{kind}{balance}: any recipient, any body.")


def _recipient_facts(ctx: DoctorContext) -> tuple[list[str], list[str]]:
    """(recent recipients, recipients Twilio refused as unverified) from the ledger."""
    recent = ctx.reader.recent_recipients(limit=RECENT)
    refused = [
        d.to
        for d in ctx.reader.deliveries(DeliveryFilter(statuses=frozenset({"failed"})), limit=200)
        if d.error_code in TRIAL_RECIPIENT_CODES
    ]
    return recent, refused


async def trial_recipients(ctx: DoctorContext) -> Outcome:
    """On a trial: every recent recipient is a verified caller ID."""
    try:
        summary = await ctx.lookups.summary()
        if not summary.is_trial:
            return skip("Not a trial account: any recipient is allowed.")
        verified = {c.phone_number for c in await ctx.lookups.caller_ids()}
    except GatewayError as exc:
        return _blocked(exc)
    recent, refused = await asyncio.to_thread(_recipient_facts, ctx)
    unverified = list(dict.fromkeys(n for n in [*refused, *recent] if n not in verified))
    if unverified:
        shown = ", ".join(format_display(n) for n in unverified[:3])
        more = f" and {len(unverified) - 3} more" if len(unverified) > 3 else ""
        return fail(
            f"Not verified: {shown}{more}. A trial account can text only verified numbers, "
            "so Twilio refuses these (error 21608).",
            f"Verify {format_display(unverified[0])}: Twilio calls it and the person types the "
            "6-digit code shown in the console. Or upgrade the account.",
            VERIFY_NUMBER,
        )
    if not verified:
        return warn(
            "No number is verified yet: a trial account can text only verified numbers.",
            "Verify the number you want to text (Twilio calls it with a 6-digit code).",
            VERIFY_NUMBER,
        )
    listed = ", ".join(format_display(n) for n in sorted(verified))
    return ok(f"{len(verified)} verified ({listed}); every recent recipient is among them.")


def _body_facts(ctx: DoctorContext) -> tuple[int, int]:
    """(messages refused as non-template, recent messages whose body is not a template)."""
    rows = ctx.reader.deliveries(limit=RECENT)
    refused = sum(1 for d in rows if d.error_code == TRIAL_BODY_CODE)
    own = [d for d in rows if d.send_state is not SendState.EXTERNAL and d.body is not None]
    free = sum(1 for d in own if matches_template(d.body or "") is None)
    return refused, free


async def trial_bodies(ctx: DoctorContext) -> Outcome:
    """On a trial: recent messages used Twilio's template bodies."""
    try:
        if not (await ctx.lookups.summary()).is_trial:
            return skip("Not a trial account: any body is allowed.")
    except GatewayError as exc:
        return _blocked(exc)
    refused, free = await asyncio.to_thread(_body_facts, ctx)
    fix = "Send one of the trial templates (Compose offers them on a trial), or upgrade."
    if refused:
        return fail(
            f"Twilio refused {refused} recent message(s) because the body was not a trial "
            "template (error 572006).",
            fix,
        )
    if free:
        return warn(
            f"{free} of the recent messages were free text: current trial accounts may send "
            "only template bodies (error 572006); older trials allow free text.",
            fix,
        )
    return ok("Recent messages use trial template bodies.")
