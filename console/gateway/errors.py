"""Gateway failures: what went wrong talking to Twilio, whether anything happened, what to do.

``translate`` turns what twilio-python and requests raise into one of these:

- ``GatewayError``: Twilio answered with an error (``code`` is Twilio's, ``info`` its
  explanation from :mod:`console.domain.errors`).
- ``RateLimited`` (429 / 20429): not processed; safe to retry after backing off.
- ``AuthenticationFailed`` (401 / 20003): wrong Account SID, Auth Token or API key.
- ``OutcomeUnknown``: a read timeout, a reset connection or a 5xx. For a create, Twilio may or
  may not have accepted the message: reconcile before sending it again.
- ``Unreachable``: no connection could be made (refused, DNS, connect timeout, TLS): nothing
  was sent.

The client never retries; the sender decides.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import (
    TwilioException,
    TwilioRestException,
    TwilioServiceException,
)
from urllib3.exceptions import MaxRetryError, NewConnectionError

from console.domain.errors import ErrorInfo, explain

__all__ = [
    "AuthenticationFailed",
    "GatewayError",
    "OutcomeUnknown",
    "RateLimited",
    "Unreachable",
    "translate",
]

_RATE_LIMIT_CODE: Final = 20429
_AUTH_CODE: Final = 20003
_RECORD_PREFIX: Final = re.compile(r"^Unable to (?:create|fetch|update|delete) record:\s*")
_OBJECT_REPR: Final = re.compile(
    r"<[\w.]+ object at 0x[0-9a-f]+>:?\s*|\w+\(host='[^']*', port=\d+\):\s*"
)


class GatewayError(Exception):
    """Twilio refused a request, or the request could not complete; ``str()`` says what to do."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        operation: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.operation = operation
        self.info: ErrorInfo | None = explain(code) if code else None

    def _what(self) -> str:
        doing = f" to {self.operation}" if self.operation else ""
        if self.code is not None:
            title = f": {self.info.title}" if self.info else ""
            return f"Twilio refused the request{doing} (error {self.code}{title}): {self.message}"
        status = f" with HTTP {self.http_status}" if self.http_status else ""
        return f"Twilio answered the request{doing}{status}: {self.message}"

    def _todo(self) -> str:
        if self.info is not None:
            return f"{self.info.action} ({self.info.url})"
        return "Check the request and the account settings, then try again."

    def __str__(self) -> str:
        what = self._what().rstrip(". ")
        return f"{what}. {self._todo()}"


class RateLimited(GatewayError):
    """Too many concurrent requests (429 / 20429): nothing was processed; retry after a pause."""

    def _todo(self) -> str:
        return "Nothing was processed; it is safe to retry after backing off."


class AuthenticationFailed(GatewayError):
    """Twilio did not accept the credentials (401 / 20003)."""

    def _todo(self) -> str:
        return (
            "Check the Account SID and Auth Token (or the API key SID and secret) in Settings "
            "or the TWILIO_* environment variables."
        )


class OutcomeUnknown(GatewayError):
    """No reliable answer (timeout, reset, 5xx): Twilio may or may not have done it."""

    def _what(self) -> str:
        doing = f" to {self.operation}" if self.operation else ""
        return f"No reliable answer from Twilio{doing}: {self.message}"

    def _todo(self) -> str:
        return (
            "Twilio may or may not have acted on it; for a message, look for it in the recent "
            "messages to that recipient before sending it again."
        )


class Unreachable(GatewayError):
    """No connection to Twilio could be made: nothing was sent."""

    def _what(self) -> str:
        doing = f" to {self.operation}" if self.operation else ""
        return f"Could not connect to Twilio{doing}: {self.message}"

    def _todo(self) -> str:
        return (
            "Nothing was sent. Check the network connection, any proxy or firewall, and the "
            "API base URL setting, then try again."
        )


def _host(url: str | None) -> str:
    if not url:
        return "Twilio"
    parts = urlsplit(url)
    return parts.netloc or url


def _classify(status: int, code: int | None, message: str, operation: str) -> GatewayError:
    if code == status:
        code = None  # twilio-python fills in the HTTP status when Twilio sent no code
    cls: type[GatewayError] = GatewayError
    if status == 429 or code == _RATE_LIMIT_CODE:
        cls = RateLimited
    elif status == 401 or code == _AUTH_CODE:
        cls = AuthenticationFailed
    elif status >= 500:
        cls = OutcomeUnknown
    message = _RECORD_PREFIX.sub("", message.strip()) or f"HTTP {status}"
    return cls(message, code=code, http_status=status, operation=operation)


def _from_page_response(response: Any, operation: str) -> GatewayError:
    """A list call's failure: twilio-python hands over the raw response."""
    status = int(getattr(response, "status_code", 0) or 0)
    code: int | None = None
    message = ""
    try:
        payload = json.loads(str(getattr(response, "text", "")))
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        raw_code = payload.get("code")
        code = (
            int(raw_code) if isinstance(raw_code, int | str) and str(raw_code).isdigit() else None
        )
        message = str(payload.get("message") or payload.get("detail") or "")
    return _classify(status, code, message, operation)


def _is_connect_failure(exc: requests.ConnectionError) -> bool:
    """True when the connection was never established (so the request was never sent)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.SSLError):
        return True
    if isinstance(exc, requests.exceptions.ProxyError):
        return True
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        return isinstance(reason.reason, NewConnectionError)
    return isinstance(reason, NewConnectionError)


def translate(exc: BaseException, operation: str) -> GatewayError:
    """The gateway error for what twilio-python/requests raised while doing ``operation``."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, TwilioRestException):
        code = int(exc.code) if exc.code else None
        return _classify(int(exc.status), code, str(exc.msg or ""), operation)
    if isinstance(exc, TwilioServiceException):
        message = str(exc.detail or exc.title or "")
        return _classify(int(exc.status), int(exc.code) if exc.code else None, message, operation)
    if (
        isinstance(exc, TwilioException)
        and len(exc.args) > 1
        and hasattr(exc.args[1], "status_code")
    ):
        return _from_page_response(exc.args[1], operation)
    if isinstance(exc, requests.ConnectionError) and _is_connect_failure(exc):
        url = exc.request.url if exc.request is not None else None
        host = _host(url if isinstance(url, str) else None)
        return Unreachable(f"{host}: {_reason(exc)}", operation=operation)
    if isinstance(exc, requests.Timeout):
        return OutcomeUnknown(
            f"no answer within the request timeout ({_reason(exc)})", operation=operation
        )
    if isinstance(exc, requests.RequestException):
        return OutcomeUnknown(
            f"the connection broke before the answer arrived ({_reason(exc)})",
            operation=operation,
        )
    if isinstance(exc, TwilioException):
        return GatewayError(str(exc), operation=operation)
    if isinstance(exc, ValueError):
        # twilio-python and json raise ValueError for an answer that is not Twilio's JSON.
        return OutcomeUnknown(f"an unreadable answer ({exc})", operation=operation)
    raise TypeError(f"not a gateway failure: {exc!r}") from exc


def _reason(exc: BaseException) -> str:
    """The innermost useful description of a requests/urllib3 failure, on one line."""
    inner: BaseException | None = exc
    text = str(exc)
    while inner is not None:
        reason = getattr(inner, "reason", None)
        if isinstance(reason, BaseException):
            inner = reason
            text = str(inner)
            continue
        args = getattr(inner, "args", ())
        if args and isinstance(args[0], BaseException):
            inner = args[0]
            text = str(inner)
            continue
        break
    text = " ".join(_OBJECT_REPR.sub("", text).split())
    return text[:200] or type(exc).__name__
