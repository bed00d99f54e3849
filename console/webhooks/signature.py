"""X-Twilio-Signature validation with twilio's RequestValidator, and a diagnosis when it fails.

The URL checked is the configured *public* base URL plus the request's raw path and query (as
received, never re-encoded): Twilio signs the address it called, which behind ngrok or a reverse
proxy is not the address the local server sees. When a signature does not match, the likely
cause is worked out by trying the other addresses the request could have been sent to (the other
scheme, the Host and X-Forwarded-* headers, the local URL): a match names the public URL to set.
No match means another token signed it (or the request was altered); a missing Auth Token or an
API-key-only profile is reported as such. The token and the signature are never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    RequestValidator,
    get_signature_algorithm,
)

from console.domain.model import Verdict

Params = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What validation needs from one HTTP request (header values as received, or None)."""

    raw_path: str  # path and query exactly as received
    params: Params | None  # form parameters (a MultiDict keeps repeated names); None for JSON
    body: bytes
    is_json: bool
    signature: str | None
    local_base: str  # http://127.0.0.1:PORT, where the server listens
    scheme: str = "http"
    host: str | None = None
    forwarded_proto: str | None = None
    forwarded_host: str | None = None
    signature_settings: str | None = None  # X-Twilio-Webhooks-Signature-Settings


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The verdict, the URL it was checked against, and (when refused) why."""

    verdict: Verdict
    checked_url: str | None
    diagnosis: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the request may have effects (valid, or validation explicitly disabled; a
        replay is one of those, marked by :func:`console.webhooks.replay.mark_replay`)."""
        return self.verdict in (Verdict.VALID, Verdict.SKIPPED, Verdict.REPLAYED)


SKIPPED_NOTE = (
    "Signature validation is DISABLED (development setting validate_signatures=false): the "
    "request was accepted without checking X-Twilio-Signature. Never run like this in production."
)


def strip_base(url: str) -> str:
    """A base URL without credentials, query, fragment or trailing slash."""
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def _first(value: str | None) -> str | None:
    """The first entry of a possibly comma-separated proxy header."""
    if not value:
        return None
    head = value.split(",")[0].strip()
    return head or None


def request_base(req: SignedRequest) -> str:
    """The base URL the request itself names (X-Forwarded-*, else scheme and Host header)."""
    proto = (_first(req.forwarded_proto) or req.scheme or "http").lower()
    host = _first(req.forwarded_host) or req.host or urlsplit(req.local_base).netloc
    base = f"{proto}://{host}"
    return base if _parses(base) else strip_base(req.local_base)  # a forged Host is no URL


def _flip(base: str) -> str:
    parts = urlsplit(base)
    other = "http" if parts.scheme == "https" else "https"
    return urlunsplit((other, parts.netloc, parts.path, "", ""))


def _alternatives(req: SignedRequest, expected: str) -> list[str]:
    """Other base URLs the sender may have signed, most likely first, without repeats."""
    local = urlsplit(req.local_base)
    fhost, fproto = _first(req.forwarded_host), _first(req.forwarded_proto)
    bases = [_flip(expected)]
    for host in (fhost, req.host):
        if host:
            bases += [f"https://{host}", f"http://{host}"]
    if fproto and req.host:
        bases.append(f"{fproto.lower()}://{req.host}")
    bases += [strip_base(req.local_base), f"http://localhost:{local.port or 80}"]
    seen = {expected}
    out: list[str] = []
    for base in bases:
        if base not in seen and "://" in base and _parses(base):
            seen.add(base)
            out.append(base)
    return out


def _parses(base: str) -> bool:
    """Whether a base URL built from request headers is a URL at all (a forged Host header
    such as ``[x`` is not, and twilio's validator would raise on it)."""
    try:
        urlsplit(base).port  # noqa: B018  (parsing the host and port is the check)
    except ValueError:
        return False
    return True


def _digest_length(signature: str) -> int | None:
    try:
        return len(base64.b64decode(signature, validate=True))
    except (binascii.Error, ValueError):
        return None


class SignatureChecker:
    """Validates requests against the current token and public URL (both read per request)."""

    def __init__(
        self,
        auth_token: Callable[[], str | None],
        public_url: Callable[[], str | None],
        *,
        enabled: bool = True,
        api_key_only: Callable[[], bool] | None = None,
    ) -> None:
        self._auth_token = auth_token
        self._public_url = public_url
        self.enabled = enabled
        self._api_key_only = api_key_only
        self._validator: tuple[str, RequestValidator] | None = None
        self._base: tuple[str, str] | None = None  # (public URL, its stripped base)

    def _validator_for(self, token: str) -> RequestValidator:
        if self._validator is None or self._validator[0] != token:
            self._validator = (token, RequestValidator(token))
        return self._validator[1]

    def expected_url(self, req: SignedRequest) -> tuple[str, bool]:
        """The URL Twilio must have signed, and whether it comes from a configured public URL."""
        public = self._public_url()
        if public:
            if self._base is None or self._base[0] != public:
                self._base = (public, strip_base(public))
            return self._base[1] + req.raw_path, True
        return request_base(req) + req.raw_path, False

    def check(self, req: SignedRequest) -> SignatureCheck:
        """Validate ``req``; never raises for bad input."""
        if not self.enabled:
            return SignatureCheck(Verdict.SKIPPED, None, SKIPPED_NOTE)
        url, configured = self.expected_url(req)
        preface = ""
        if not configured:
            preface = (
                "No public URL is configured, so the console checked the address the request "
                f"itself names ({url}); set the public URL Twilio calls (--public-url or a "
                "tunnel). "
            )
        if not req.signature:
            return SignatureCheck(
                Verdict.MISSING,
                url,
                preface + "The request has no X-Twilio-Signature header: it "
                "was not sent by Twilio (Twilio signs every webhook), or a proxy in front of the "
                "console removed the header. It was refused and nothing was applied.",
            )
        token, problem = self._token()
        if token is None:
            return SignatureCheck(Verdict.INVALID, url, preface + problem)
        params: Params = {}
        if req.is_json:
            body_problem = self._json_body_problem(req)
            if body_problem:
                return SignatureCheck(Verdict.INVALID, url, preface + body_problem)
        elif req.params is not None:
            params = req.params
        validator = self._validator_for(token)
        algorithm = get_signature_algorithm(req.signature_settings)
        if algorithm.upper() not in (HMAC_SHA1, HMAC_SHA256):
            return SignatureCheck(
                Verdict.INVALID,
                url,
                preface + "X-Twilio-Webhooks-Signature-Settings names the "
                f"signing algorithm {algorithm[:40]!r}, which the console cannot check (it knows "
                "HMAC_SHA1 and HMAC_SHA256): update the console, or sign with the Auth Token.",
            )
        if self._matches(validator, url, params, req.signature, algorithm):
            return SignatureCheck(Verdict.VALID, url)
        return SignatureCheck(
            Verdict.INVALID, url, preface + self._diagnose(req, url, params, validator, algorithm)
        )

    @staticmethod
    def _matches(
        validator: RequestValidator, url: str, params: Params, signature: str, algorithm: str
    ) -> bool:
        """twilio's validation; the exact URL is tried first (the common case, one HMAC)."""
        exact = validator.compute_signature(url, params, algorithm)
        if hmac.compare_digest(exact.encode(), signature.encode("utf-8", "surrogateescape")):
            return True
        return bool(validator.validate(url, params, signature, algorithm))

    def _token(self) -> tuple[str | None, str]:
        try:
            token = self._auth_token()
        except Exception as exc:  # a credential store failure must not become a 5xx
            return None, (
                f"The Auth Token could not be read ({type(exc).__name__}: {exc}), so the "
                "signature could not be checked; check the credential store or set "
                "TWILIO_AUTH_TOKEN."
            )
        if token:
            return token, ""
        if self._api_key_only is not None and self._api_key_only():
            return None, (
                "This profile has an API key but no Auth Token. Twilio signs webhooks with the "
                "account's primary Auth Token, which an API key secret cannot check: add the "
                "Auth Token to the profile (or set TWILIO_AUTH_TOKEN)."
            )
        return None, (
            "No Auth Token is configured, so no webhook signature can be checked: add the "
            "account's primary Auth Token (or set TWILIO_AUTH_TOKEN)."
        )

    @staticmethod
    def _json_body_problem(req: SignedRequest) -> str | None:
        query = parse_qs(urlsplit(req.raw_path).query)
        expected = query.get("bodySHA256", [""])[0].strip().lower()
        if not expected:
            return (
                "The request has a JSON body but no bodySHA256 query parameter, so the body is "
                "not covered by the signature (Twilio adds ?bodySHA256=… to JSON webhooks)."
            )
        if not hmac.compare_digest(hashlib.sha256(req.body).hexdigest(), expected):
            return (
                "The JSON body does not match the bodySHA256 in the URL: the body was changed "
                "after it was signed."
            )
        return None

    def _diagnose(
        self,
        req: SignedRequest,
        url: str,
        params: Params,
        validator: RequestValidator,
        algorithm: str,
    ) -> str:
        signature = req.signature or ""
        expected_base = url[: len(url) - len(req.raw_path)]
        tried = _alternatives(req, expected_base)
        for base in tried:
            candidate = base + req.raw_path
            if validator.validate(candidate, params, signature, algorithm):
                return self._mismatch(candidate, url, base, expected_base)
        if req.signature_settings:
            return (
                "The signature matches no address this request could have been sent to, and it "
                "carries X-Twilio-Webhooks-Signature-Settings: it was signed with a webhook "
                "SharedKey, not the Auth Token the console checks with. Use Auth Token signing "
                "for this webhook, or check the console's Auth Token."
            )
        if _digest_length(signature) not in (20, 32):
            return (
                "The X-Twilio-Signature header is not a base64 HMAC digest: the request was not "
                f"signed by Twilio. The console checked {url}."
            )
        return (
            f"The signature does not match {url} (nor {len(tried)} other addresses this "
            "request could have been sent to: the other scheme, the Host and X-Forwarded "
            "headers, the local URL). It was most likely made with another Auth Token — "
            "another account or subaccount, a secondary token not yet promoted, or an API key "
            "secret — or the request was changed after signing. Use the primary Auth Token of "
            "the account that owns the number."
        )

    @staticmethod
    def _mismatch(candidate: str, url: str, base: str, expected_base: str) -> str:
        text = (
            f"The signature matches {candidate} but the console expected {url}: set the public "
            f"URL to {base} (or point Twilio's webhook at {url})."
        )
        got, want = urlsplit(base), urlsplit(expected_base)
        if got.netloc == want.netloc and got.scheme != want.scheme:
            text += (
                f" Twilio called the {got.scheme} address while the console expects "
                f"{want.scheme}: the ngrok http-vs-https trap — use the same scheme in the "
                "Twilio configuration and the console's public URL (https is the safe choice)."
            )
        elif candidate.startswith(("http://127.0.0.1", "http://localhost")):
            text += (
                " The sender signed the local address, not the public one: a local tool or "
                "test sender posted directly to the console."
            )
        return text
