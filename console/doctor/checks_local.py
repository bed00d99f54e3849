"""Checks of this computer's side: refused webhook signatures, the OS keyring, the database."""

from __future__ import annotations

import asyncio
import os
import shutil
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from console.doctor.context import DoctorContext
from console.doctor.probe import is_probe
from console.doctor.result import OPEN_INSPECTOR, OPEN_SETTINGS, Outcome, fail, ok, warn
from console.domain.model import Verdict, WebhookRequestRecord, utcnow
from console.secrets import from_environment
from console.store.db import is_sqlite

SCAN = 1000  # newest logged webhook requests examined for signature failures
LOW_DISK = 50 * 1024 * 1024
_REFUSED = frozenset({Verdict.INVALID, Verdict.MISSING})


def _refused_since(ctx: DoctorContext, since: datetime) -> tuple[list[WebhookRequestRecord], int]:
    """(refused requests since ``since``, newest first, probes excluded; requests examined)."""
    recent = [r for r in ctx.reader.requests(limit=SCAN) if r.received_at >= since]
    refused = [r for r in recent if r.verdict in _REFUSED and not is_probe(r)]
    return refused, len(recent)


async def signatures(ctx: DoctorContext) -> Outcome:
    """Recent webhook requests refused for their signature, with the server's diagnosis."""
    if not ctx.validate_signatures:
        return warn(
            "Webhook signature validation is DISABLED (development setting): anyone who can "
            "reach the console can forge delivery statuses and inbound messages.",
            "Turn signature validation back on in Settings.",
            OPEN_SETTINGS,
        )
    hours = ctx.signature_window.total_seconds() / 3600
    refused, examined = await asyncio.to_thread(
        _refused_since, ctx, utcnow() - ctx.signature_window
    )
    if not refused:
        return ok(
            f"No webhook request failed signature validation in the last {hours:g} h "
            f"({examined} received)."
        )
    latest = refused[0]
    when = latest.received_at.astimezone().strftime("%H:%M:%S")
    why = latest.diagnosis or f"verdict {latest.verdict}"
    return fail(
        f"{len(refused)} webhook request(s) in the last {hours:g} h were refused for their "
        f"signature (403, nothing applied). Latest, at {when} to {latest.path}: {why}",
        "Follow the diagnosis; the inspector shows every refused request and the URL it was "
        "checked against. Once the cause is fixed, Twilio's next callbacks are accepted (a "
        "refused request is not replayed: the console will not sign it for Twilio).",
        OPEN_INSPECTOR,
    )


_GENERIC_FIX = " install and unlock a Secret Service"


def _what_happened(detail: str) -> str:
    """The keyring's explanation without its generic advice (the check's fix says it)."""
    cut = detail.find(_GENERIC_FIX)
    if cut <= 0:
        return detail
    head = detail[:cut].rstrip(" ,:")
    head = head.removesuffix(" or").rstrip(" ,:")
    return head + "."


async def keyring(ctx: DoctorContext) -> Outcome:
    """The OS keyring works (credentials are kept there, never in files)."""
    status = await ctx.secret_store.backend_status()
    if status.usable:
        return ok(status.detail)
    happened = _what_happened(status.detail)
    fix = (
        "Install and unlock an OS keyring (e.g. gnome-keyring with a Secret Service), or set "
        "the TWILIO_* environment variables for headless runs."
    )
    if ctx.demo or from_environment().has_rest_auth:
        using = "demo mode" if ctx.demo else "the TWILIO_* environment variables"
        return warn(f"{happened} This run uses {using}; the window cannot save credentials.", fix)
    return fail(happened, fix, OPEN_SETTINGS)


def _sqlite_problem(url: str) -> tuple[str | None, str]:
    """(why the SQLite file cannot be written or None, where it is and the free space)."""
    database = make_url(url).database or ""
    if not database or database == ":memory:":
        return None, "an in-memory database"
    path = Path(database)
    folder = path.parent
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"{path} is not writable by this user", str(path)
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable (SQLite needs its journal files there)", str(
            path
        )
    free = shutil.disk_usage(folder).free
    where = f"{path} ({free / 1024 / 1024:,.0f} MB free)"
    if free < LOW_DISK:
        return f"only {free / 1024 / 1024:.0f} MB are free on the disk of {path}", where
    return None, where


def _read_check(ctx: DoctorContext) -> int:
    return ctx.reader.count_requests()


async def database(ctx: DoctorContext) -> Outcome:
    """The ledger can be read and written (and the last webhook write succeeded)."""
    fix = (
        "Free disk space or fix the permissions of the data directory (or choose another "
        "with --data-dir), then restart the console."
    )
    try:
        await asyncio.to_thread(_read_check, ctx)
    except Exception as exc:
        return fail(f"The database cannot be read: {type(exc).__name__}: {exc}", fix)
    where = "the configured database"
    if ctx.database_url and is_sqlite(ctx.database_url):
        problem, where = await asyncio.to_thread(_sqlite_problem, ctx.database_url)
        if problem:
            return fail(f"The database cannot be written: {problem}.", fix)
    if ctx.server_health is not None:
        report = await ctx.server_health()
        state = report.get("database") or {}
        if not state.get("ok", True):
            return fail(f"The webhook server cannot store callbacks: {state.get('detail')}", fix)
    return ok(f"Readable and writable: {where}.")
