"""Signed webhooks, as Twilio sends them: status callbacks, inbound messages, verifications.

Each POST is form-encoded and signed with the account's Auth Token by twilio's own
``RequestValidator.compute_signature`` over the exact URL (query included, fragment removed)
and the parameters. Headers: ``X-Twilio-Signature``, ``User-Agent: TwilioProxy/1.1`` and
``I-Twilio-Idempotency-Token``. Twilio's connection overrides in the URL fragment are honoured
(``#ct=…&rt=…&tt=…&rc=…&rp=…``); by default a failed connection is retried once (``rc=1``,
``rp=ct``) within 15 s in total, and a failure is then only logged. Credentials in the URL
(``https://user:pass@host/…``) are sent as HTTP Basic auth and left out of the signed URL.
Whether Twilio signs the URL with or without the fragment is unconfirmed; the fragment never
reaches the server, so the simulator signs without it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urldefrag

import aiohttp
from twilio.request_validator import RequestValidator
from yarl import URL

from console.simulator.ids import API_VERSION, new_token, raw_dlr_done_date
from console.simulator.state import MessageRecord

log = logging.getLogger(__name__)

USER_AGENT = "TwilioProxy/1.1"
MAX_ATTEMPTS_KEPT = 5000


@dataclass(frozen=True, slots=True)
class Overrides:
    """Twilio's webhook connection overrides (seconds; ``policy`` ⊆ {ct, rt, 4xx, 5xx, all})."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 15.0
    retries: int = 1
    policy: frozenset[str] = frozenset({"ct"})


def _millis(value: str, low: int, high: int, default: float) -> float:
    try:
        return min(max(int(value), low), high) / 1000.0
    except ValueError:
        return default


def parse_overrides(url: str) -> tuple[str, Overrides]:
    """Split ``url`` into the URL Twilio requests (no fragment) and its connection overrides."""
    bare, fragment = urldefrag(url)
    if not fragment:
        return bare, Overrides()
    values = dict(parse_qsl(fragment, keep_blank_values=True))
    base = Overrides()
    retries = base.retries
    if "rc" in values and values["rc"].isdigit():
        retries = min(int(values["rc"]), 5)
    policy = base.policy
    if "rp" in values:
        policy = frozenset(p.strip() for p in values["rp"].split(",") if p.strip())
    return bare, Overrides(
        connect_timeout=_millis(values.get("ct", ""), 100, 10000, base.connect_timeout),
        read_timeout=_millis(values.get("rt", ""), 100, 15000, base.read_timeout),
        total_timeout=_millis(values.get("tt", ""), 100, 15000, base.total_timeout),
        retries=retries,
        policy=policy,
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP attempt at delivering a webhook (kept for tests and diagnostics)."""

    kind: str
    url: str
    params: dict[str, str] = field(repr=False)
    attempt: int
    status: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of a webhook: the last HTTP status and body, or None if never answered."""

    status: int | None
    text: str


class CallbackSender:
    """Posts signed webhooks from one shared aiohttp session."""

    def __init__(self, auth_token: str) -> None:
        """Sign with ``auth_token`` (never logged)."""
        self._validator = RequestValidator(auth_token)
        self._session: aiohttp.ClientSession | None = None
        self.attempts: deque[Attempt] = deque(maxlen=MAX_ATTEMPTS_KEPT)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send for ``params`` posted to ``url``."""
        return str(self._validator.compute_signature(url, params))

    async def post(
        self, kind: str, url: str, params: dict[str, str], token: str | None = None
    ) -> Delivery:
        """POST ``params`` to ``url`` with Twilio's headers and retry rules; never raises."""
        bare, rules = parse_overrides(url)
        target = URL(bare, encoded=True)
        headers: dict[str, str] = {}
        if target.user is not None:  # credentials in the URL: sent as Basic auth, never signed
            headers["Authorization"] = aiohttp.encode_basic_auth(target.user, target.password or "")
            target = target.with_user(None)
            bare = str(target)
        headers |= {
            "X-Twilio-Signature": self.sign(bare, params),
            "User-Agent": USER_AGENT,
            "I-Twilio-Idempotency-Token": token or new_token(),
            "Accept": "*/*",
        }
        loop = asyncio.get_running_loop()
        deadline = loop.time() + rules.total_timeout
        outcome = Delivery(None, "")
        for attempt in range(1, rules.retries + 2):
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            timeout = aiohttp.ClientTimeout(
                total=remaining, connect=rules.connect_timeout, sock_read=rules.read_timeout
            )
            failure: str
            try:
                async with self._client().post(
                    target, data=params, headers=headers, timeout=timeout
                ) as resp:
                    text = await resp.text(errors="replace")
                    outcome = Delivery(resp.status, text)
                self._record(kind, bare, params, attempt, resp.status, None)
                if resp.status < 400:
                    return outcome
                failure = "4xx" if resp.status < 500 else "5xx"
            except aiohttp.SocketTimeoutError as exc:
                failure = self._fail(kind, bare, params, attempt, "rt", exc)
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                failure = self._fail(kind, bare, params, attempt, "ct", exc)
            if failure not in rules.policy and "all" not in rules.policy:
                break
        log.warning("%s webhook to %s gave up (last HTTP status %s)", kind, bare, outcome.status)
        return outcome

    def _fail(
        self, kind: str, url: str, params: dict[str, str], attempt: int, cls: str, exc: Exception
    ) -> str:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        self._record(kind, url, params, attempt, None, error)
        log.info("%s webhook attempt %d to %s failed: %s", kind, attempt, url, error)
        return cls

    def _record(
        self,
        kind: str,
        url: str,
        params: dict[str, str],
        attempt: int,
        status: int | None,
        error: str | None,
    ) -> None:
        self.attempts.append(Attempt(kind, url, dict(params), attempt, status, error))


def status_params(m: MessageRecord) -> dict[str, str]:
    """Twilio's status-callback parameters for message ``m`` in its current status."""
    params = {
        "MessageSid": m.sid,
        "SmsSid": m.sid,
        "SmsStatus": m.status,
        "MessageStatus": m.status,
        "AccountSid": m.account_sid,
        "From": m.from_ or "",
        "To": m.to,
        "ApiVersion": API_VERSION,
    }
    if m.messaging_service_sid:
        params["MessagingServiceSid"] = m.messaging_service_sid
    if m.status in ("failed", "undelivered") and m.error_code is not None:
        params["ErrorCode"] = str(m.error_code)
    if m.status in ("delivered", "undelivered"):
        params["RawDlrDoneDate"] = raw_dlr_done_date(m.date_updated)
    return params


def inbound_params(m: MessageRecord, opt_out_type: str | None) -> dict[str, str]:
    """Twilio's incoming-message webhook parameters for inbound message ``m``."""
    params = {
        "MessageSid": m.sid,
        "SmsSid": m.sid,
        "SmsMessageSid": m.sid,
        "AccountSid": m.account_sid,
        "From": m.from_ or "",
        "To": m.to,
        "Body": m.body,
        "NumMedia": "0",
        "NumSegments": str(m.num_segments),
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }
    if m.messaging_service_sid:
        params["MessagingServiceSid"] = m.messaging_service_sid
    if opt_out_type is not None:
        params["OptOutType"] = opt_out_type
    return params


def verification_params(
    account_sid: str, call_sid: str, phone: str, caller_id_sid: str
) -> dict[str, str]:
    """Parameters of the verification-call status callback (a successful verification)."""
    return {
        "AccountSid": account_sid,
        "CallSid": call_sid,
        "To": phone,
        "Called": phone,
        "Direction": "outbound-api",
        "CallStatus": "completed",
        "ApiVersion": API_VERSION,
        "VerificationStatus": "success",
        "OutgoingCallerIdSid": caller_id_sid,
    }
