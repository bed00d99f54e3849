"""Checks of the way back: the public URL, the self-probe through it, the callback Twilio uses.

The seed's checklist: "App base URL is public HTTPS", "/webhooks/twilio/status returns 200 and
does not require auth", and "If both are set, Twilio will use the per-message URL".
"""

from __future__ import annotations

from console.doctor.context import DoctorContext
from console.doctor.result import (
    CONFIGURE_WEBHOOKS,
    OPEN_INSPECTOR,
    OPEN_SETTINGS,
    PROBE_AGAIN,
    RESTART_TUNNEL,
    Outcome,
    fail,
    ok,
    skip,
    warn,
)
from console.doctor.urlcheck import host_of, hostname_problem, local_problem, scheme_of
from console.gateway.errors import GatewayError

_DEMO = (
    "Demo mode: the built-in simulator calls the console directly at {url}. A live setup "
    "needs a public https URL (ngrok or a reverse proxy)."
)


def _route_action(ctx: DoctorContext) -> str:
    """Restarting helps when an ngrok tunnel provides the URL; otherwise it is a setting."""
    return (
        RESTART_TUNNEL if ctx.tunnel is not None and ctx.tunnel.kind == "ngrok" else OPEN_SETTINGS
    )


def _no_url(ctx: DoctorContext) -> Outcome:
    detail = ctx.tunnel.detail if ctx.tunnel is not None and ctx.tunnel.detail else ""
    return fail(
        "There is no public URL, so Twilio cannot deliver status callbacks or inbound messages "
        f"to this console (statuses arrive only by polling). {detail}".strip(),
        "Start the ngrok tunnel (an ngrok auth token in Settings) or set a fixed public https "
        "URL (--public-url, the seed's BASE_HOST_URL).",
        _route_action(ctx),
    )


async def public_url_https(ctx: DoctorContext) -> Outcome:
    """The public base URL exists and is https."""
    url = ctx.public_url
    if ctx.demo:
        return skip(_DEMO.format(url=url or "its local address"))
    if not url:
        return _no_url(ctx)
    if scheme_of(url) != "https":
        return fail(
            f"The public URL {url} is not https: Twilio needs a public HTTPS webhook URL, and "
            "callbacks with their signatures would otherwise travel unencrypted.",
            "Use the https address (ngrok provides one; a proxy needs a certificate) as the "
            "public URL in Settings.",
            OPEN_SETTINGS,
        )
    return ok(f"{url} uses https.")


async def public_url_hostname(ctx: DoctorContext) -> Outcome:
    """The public URL's host name is one Twilio accepts (no underscores, valid labels)."""
    url = ctx.public_url
    if ctx.demo or not url:
        return skip("No public URL to check (see Public URL uses HTTPS).")
    problem = hostname_problem(host_of(url))
    if problem:
        return fail(
            f"The public URL {url} is unusable as a callback address: {problem}.",
            "Use a host name of letters, digits, '-' and '.' only (e.g. an ngrok domain) in "
            "Settings.",
            OPEN_SETTINGS,
        )
    return ok(f"{host_of(url)} is a valid callback host name.")


async def public_url_public(ctx: DoctorContext) -> Outcome:
    """The public URL is not localhost, a loopback or private address."""
    url = ctx.public_url
    if ctx.demo or not url:
        return skip("No public URL to check (see Public URL uses HTTPS).")
    problem = local_problem(host_of(url))
    if problem:
        return fail(
            f"The public URL {url} is not public: {problem}. Twilio, on the internet, cannot "
            'call it ("Twilio will not call http://localhost:3000").',
            "Use a tunnel (ngrok) or a public reverse proxy and set its https URL as the public "
            "URL.",
            _route_action(ctx),
        )
    return ok(f"{host_of(url)} is a public host.")


async def self_probe(ctx: DoctorContext) -> Outcome:
    """A signed request through the public URL reached this console."""
    url = ctx.public_url
    if not url:
        return skip("No public URL to probe (see Public URL uses HTTPS).")
    if ctx.probe is None:
        return skip("The webhook server is not running, so there is nothing to probe.")
    result = await ctx.probe(url)
    latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
    if result.ok:
        unchecked = " (signature validation is off)" if result.verdict == "skipped" else ""
        where = " (locally, demo mode)" if ctx.demo else ""
        return ok(
            f"A signed test request through {url} reached this console{latency}{where} and "
            f"its signature checked out{unchecked}."
        )
    if not result.reachable:
        action = RESTART_TUNNEL if _route_action(ctx) == RESTART_TUNNEL else PROBE_AGAIN
        return fail(f"Webhook not reachable: {result.error}", result.advice, action)
    action = OPEN_SETTINGS if result.verdict == "missing" else OPEN_INSPECTOR
    return fail(f"Reachable{latency}, but: {result.error}", result.advice, action)


async def callback_routing(ctx: DoctorContext) -> Outcome:
    """Which status callback Twilio will use: the per-message one or the Messaging Service's."""
    c = ctx.credentials
    ours = ctx.status_callback
    if not (c.messaging_service_sid or c.from_number):
        return skip("No sender configured (see Sender).")
    if not c.messaging_service_sid:
        if ours:
            return ok(
                f"Twilio will use the per-message StatusCallback {ours} that the console sends "
                "with every message (a phone number has no SMS status callback of its own)."
            )
        return warn(
            "Without a public URL the console sends no per-message StatusCallback, so Twilio "
            "reports no statuses for messages from the number; the console falls back to polling.",
            "Get a public URL (ngrok or --public-url), then run the doctor again.",
            _route_action(ctx),
        )
    try:
        services = await ctx.lookups.services()
    except GatewayError:
        return skip("Could not read the Messaging Service (see Twilio credentials).")
    service = next((s for s in services if s.sid == c.messaging_service_sid), None)
    if service is None:
        return skip("The Messaging Service is not in this account (see Sender).")
    theirs = service.status_callback or ""
    name = repr(service.friendly_name)
    if ours and theirs == ours:
        return ok(
            f"Twilio will use the per-message StatusCallback {ours}; Messaging Service {name} "
            "points at the console too, so messages other tools send report here as well."
        )
    if ours:
        elsewhere = f"to {theirs}" if theirs else "nowhere (it has no status callback)"
        return warn(
            f"Twilio will use the per-message StatusCallback {ours} for messages the console "
            f"sends (it overrides the service's). Messages other tools send through {name} "
            f"report {elsewhere}.",
            "Point the Messaging Service's status callback at the console (the previous URLs "
            "are backed up and can be restored).",
            CONFIGURE_WEBHOOKS,
        )
    if theirs:
        return warn(
            f"Without a public URL the console sends no per-message callback, so Twilio will "
            f"use Messaging Service {name}'s status callback {theirs} — not this console.",
            "Get a public URL (ngrok or --public-url) so the per-message callback reaches the "
            "console.",
            _route_action(ctx),
        )
    return warn(
        f"No callback at all: no public URL and Messaging Service {name} has none, so Twilio "
        "reports statuses nowhere; the console falls back to polling.",
        "Get a public URL (ngrok or --public-url), then run the doctor again.",
        _route_action(ctx),
    )
