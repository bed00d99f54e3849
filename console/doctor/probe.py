"""The self-probe: the console calls itself through its public URL, as Twilio would.

A probe makes "the webhook is reachable" a fact, not a hope:

1. ``GET <public>/healthz`` — can anything be reached at all, and how fast (the latency)?
2. ``POST <public>/webhooks/twilio/status`` — a form body signed with the Auth Token exactly as
   Twilio signs (``X-Twilio-Signature`` over the public URL and the parameters) carrying a
   random marker ``ConsoleProbe=probe-…`` (and ``AccountSid``), nothing else.
3. The request log (:meth:`console.store.queries.Reader.requests`) must then hold that marker
   with the verdict ``valid``: the request went through the public URL to *this* console and its
   signature checked out against the public URL the console expects.

The webhook server checks the probe like any callback (method, type, size, signature: a probe
signed with the wrong token is refused 403 and shown as the failure it is). Once accepted, it
recognises the probe's exact shape (:func:`console.webhooks.handlers.is_probe_body`), answers
200 and logs it with the verdict and the diagnosis "Self-test probe from the console…"; nothing
is recorded in the ledger. The inspector so shows one passed probe, not a failed callback.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from twilio.request_validator import RequestValidator

from console import __version__
from console.domain.model import Verdict, WebhookRequestRecord, utcnow
from console.store.queries import Reader
from console.tunnel.public_url import PublicUrlProvider
from console.tunnel.state import TunnelState
from console.webhooks.handlers import PROBE_FIELD as PROBE_FIELD

log = logging.getLogger(__name__)

STATUS_PATH: Final = "/webhooks/twilio/status"
HEALTH_PATH: Final = "/healthz"
LOG_SCAN: Final = 1000  # newest request-log entries searched for the probe's marker
DEFAULT_TIMEOUT: Final = 10.0
REUSE_SECONDS: Final = 300.0  # a successful probe younger than this answers the doctor


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """One self-probe: did a signed request reach this console through ``public_url``?"""

    public_url: str
    reachable: bool  # the signed POST arrived at this console (it is in the request log)
    verdict: str | None  # the server's signature verdict for it ('valid', 'invalid', ...)
    latency_ms: float | None  # round trip of GET /healthz through the public URL
    error: str | None  # what went wrong (None when all is well)
    advice: str = ""  # what to do about it
    status_code: int | None = None  # the answer to the signed POST
    checked_at: datetime = field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        """Reachable, and the signature was accepted (or validation is switched off)."""
        return self.reachable and self.error is None


def is_probe(record: WebhookRequestRecord) -> bool:
    """Whether a logged webhook request is one of the console's own probes."""
    return f"{PROBE_FIELD}=probe-" in record.body


def _find(reader: Reader, nonce: str) -> WebhookRequestRecord | None:
    marker = f"{PROBE_FIELD}={nonce}"
    return next((r for r in reader.requests(limit=LOG_SCAN) if marker in r.body), None)


_FIX_ROUTE = (
    "Restart the tunnel, or correct the public URL in Settings so that it forwards "
    "/webhooks/twilio/… to this console's webhook server."
)


def _connect_error(exc: BaseException, url: str, timeout: float) -> tuple[str, str]:
    """(what happened, what to do) for a request that got no HTTP answer."""
    where = urlsplit(url).netloc or url
    if isinstance(exc, TimeoutError):
        return (
            f"No answer from {where} within {timeout:g} s: the public URL leads nowhere that "
            "answers (a stopped tunnel, a firewall, a proxy without its upstream).",
            _FIX_ROUTE,
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return (
            f"The TLS handshake with {where} failed ({exc}): nothing there speaks https with a "
            "valid certificate, and Twilio calls only valid https addresses.",
            "Use the ngrok https URL, or a reverse proxy with a real certificate.",
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or str(exc.os_error)
        return f"Could not connect to {where} ({reason}): nothing listens there.", _FIX_ROUTE
    return f"The request to {where} failed ({type(exc).__name__}: {exc}).", _FIX_ROUTE


async def run_probe(
    public_url: str,
    *,
    reader: Reader,
    auth_token: str | None,
    account_sid: str = "",
    within: float = DEFAULT_TIMEOUT,
) -> ProbeResult:
    """Probe ``public_url`` once (never raises for network trouble; see the module doc)."""
    base = public_url.rstrip("/")
    nonce = f"probe-{secrets.token_hex(8)}"
    params = {PROBE_FIELD: nonce}
    if account_sid:
        params["AccountSid"] = account_sid
    target = base + STATUS_PATH
    headers = {"User-Agent": f"sms-console-probe/{__version__}"}
    if auth_token:
        headers["X-Twilio-Signature"] = RequestValidator(auth_token).compute_signature(
            target, params
        )
    latency: float | None = None
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=within)) as session:
            started = time.perf_counter()
            async with session.get(base + HEALTH_PATH, allow_redirects=False) as health:
                await health.read()
            latency = (time.perf_counter() - started) * 1000.0
            async with session.post(
                target, data=params, headers=headers, allow_redirects=False
            ) as answer:
                await answer.read()
                status = answer.status
                location = answer.headers.get("Location", "")
    except (TimeoutError, aiohttp.ClientError) as exc:
        error, advice = _connect_error(exc, base, within)
        log.info("self-probe of %s failed: %s", base, error)
        return ProbeResult(base, False, None, latency, error, advice)
    entry = await asyncio.to_thread(_find, reader, nonce)
    result = _judge(base, entry, status, location, latency, signed=bool(auth_token))
    log.info("self-probe of %s: %s", base, result.error or f"ok ({result.verdict})")
    return result


def _judge(
    base: str,
    entry: WebhookRequestRecord | None,
    status: int,
    location: str,
    latency: float | None,
    *,
    signed: bool,
) -> ProbeResult:
    if entry is None:
        if 300 <= status < 400:
            return ProbeResult(
                base, False, None, latency,
                f"{base} answers with a redirect (HTTP {status} to {location or '?'}), and "
                "Twilio does not follow redirects for webhooks.",
                "Use the address it redirects to as the public URL.",
                status,
            )  # fmt: skip
        return ProbeResult(
            base, False, None, latency,
            f"A server answered HTTP {status} at {base}{STATUS_PATH}, but this console never "
            "received the request: the public URL leads somewhere else (a tunnel to another "
            "port, a proxy that does not forward /webhooks/twilio/…, a stale URL).",
            _FIX_ROUTE,
            status,
        )  # fmt: skip
    verdict = entry.verdict.value if entry.verdict is not None else None
    if entry.verdict is Verdict.INVALID:
        return ProbeResult(
            base, True, verdict, latency,
            "The console refused its own signed probe: " + (entry.diagnosis or "no diagnosis."),
            "Open the inspector to see the refused probe; set the public URL the diagnosis "
            "names, or correct the Auth Token.",
            status,
        )  # fmt: skip
    if entry.verdict is Verdict.MISSING or not signed:
        return ProbeResult(
            base, True, verdict, latency,
            "The probe arrived but could not be signed: there is no Auth Token, so Twilio's "
            "webhook signatures cannot be checked either.",
            "Add the account's primary Auth Token in Settings (or TWILIO_AUTH_TOKEN).",
            status,
        )  # fmt: skip
    return ProbeResult(base, True, verdict, latency, None, "", status)


class SelfProber:
    """Probes the public URL whenever it changes; keeps and publishes the newest result."""

    def __init__(
        self,
        reader: Reader,
        *,
        auth_token: Callable[[], str | None],
        account_sid: Callable[[], str] = lambda: "",
        publish: Callable[[ProbeResult], None] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._reader = reader
        self._auth_token = auth_token
        self._account_sid = account_sid
        self._publish = publish
        self.timeout = timeout
        self.latest: ProbeResult | None = None
        self._url: str | None = None
        self._current: asyncio.Task[ProbeResult] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def url(self) -> str | None:
        """The public URL being watched (None when there is none)."""
        return self._url

    def attach(self, provider: PublicUrlProvider) -> None:
        """Probe on every public URL change of ``provider`` (call on the provider's loop)."""
        self._unsubscribe = provider.subscribe(self._on_state)
        self.url_changed(provider.public_url)

    def _on_state(self, state: TunnelState) -> None:
        self.url_changed(state.public_url)

    def url_changed(self, public_url: str | None) -> None:
        """Note the public URL; a new one starts a probe in the background (on this loop)."""
        url = public_url.rstrip("/") if public_url else None
        if url == self._url:
            return
        self._url = url
        self.latest = None
        if url is None:
            self._current = None
            return
        task = asyncio.get_running_loop().create_task(self.probe(url), name="self-probe")
        self._current = task
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("self-probe failed unexpectedly", exc_info=task.exception())

    async def probe(self, public_url: str | None = None) -> ProbeResult:
        """Probe now (the watched URL by default), remember and publish the result."""
        url = (public_url or self._url or "").rstrip("/")
        if not url:
            raise LookupError("there is no public URL to probe")
        result = await run_probe(
            url,
            reader=self._reader,
            auth_token=self._auth_token(),
            account_sid=self._account_sid(),
            within=self.timeout,
        )
        if result.public_url == self._url or self._url is None:
            self.latest = result
        if self._publish is not None:
            self._publish(result)
        return result

    async def current(self, public_url: str, *, max_age: float = REUSE_SECONDS) -> ProbeResult:
        """The result for ``public_url``: a probe in flight, a recent success, or a new probe.

        A failed probe is never reused: the operator may just have fixed the cause.
        """
        url = public_url.rstrip("/")
        task = self._current
        if task is not None and not task.done() and self._url == url:
            return await asyncio.shield(task)
        latest = self.latest
        if (
            latest is not None
            and latest.ok
            and latest.public_url == url
            and (utcnow() - latest.checked_at).total_seconds() <= max_age
        ):
            return latest
        return await self.probe(url)

    async def close(self) -> None:
        """Stop watching and cancel probes in flight."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._current = None
