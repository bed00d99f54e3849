"""Turn pyngrok/ngrok failures into what happened and what the operator should do.

ngrok reports problems with globally unique codes (``ERR_NGROK_4018``); pyngrok exposes them in
``PyngrokNgrokError.ngrok_error`` (startup log ``err=``) or in an API error body. The texts here
are shown in the GUI and by ``doctor``; they never contain the auth token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyngrok.exception import (
    PyngrokError,
    PyngrokNgrokError,
    PyngrokNgrokHTTPError,
    PyngrokNgrokInstallError,
    PyngrokNgrokURLError,
)

_CODE = re.compile(r"ERR_NGROK_\d+")
_TOKEN_PAGE = "https://dashboard.ngrok.com/get-started/your-authtoken"
_SETTINGS_HINT = "save it in Settings → Tunnel (or set NGROK_AUTHTOKEN for one run)"


@dataclass(frozen=True)
class _Known:
    text: str
    retryable: bool


_KNOWN: dict[str, _Known] = {
    "ERR_NGROK_4018": _Known(
        "ngrok needs an auth token (ERR_NGROK_4018). Sign up at https://dashboard.ngrok.com/"
        f"signup, copy your token from {_TOKEN_PAGE} and {_SETTINGS_HINT}. A token saved with "
        "'ngrok config add-authtoken' is not used: the console keeps its own ngrok config.",
        retryable=False,
    ),
    "ERR_NGROK_105": _Known(
        "ngrok rejected the auth token as malformed (ERR_NGROK_105). Copy it again, in full, "
        f"from {_TOKEN_PAGE} and {_SETTINGS_HINT}.",
        retryable=False,
    ),
    "ERR_NGROK_107": _Known(
        "ngrok rejected the auth token: it was reset or revoked (ERR_NGROK_107). Copy the "
        f"current token from {_TOKEN_PAGE} and {_SETTINGS_HINT}.",
        retryable=False,
    ),
    "ERR_NGROK_108": _Known(
        "Your ngrok account already has its maximum of simultaneous agent sessions online "
        "(ERR_NGROK_108; the free plan allows one). Stop the other ngrok (another terminal or "
        "computer, see https://dashboard.ngrok.com/agents) or upgrade the plan.",
        retryable=True,
    ),
    "ERR_NGROK_120": _Known(
        "This ngrok agent is too old for ngrok's service (ERR_NGROK_120). Update it with "
        "'ngrok update' or from https://ngrok.com/download.",
        retryable=False,
    ),
    "ERR_NGROK_334": _Known(
        "The requested domain is already online in another ngrok agent (ERR_NGROK_334). Stop "
        "that agent (https://dashboard.ngrok.com/agents) or choose another domain.",
        retryable=True,
    ),
}


class TunnelStartError(Exception):
    """Why a tunnel could not be (re)started: the operator text, ngrok's code, retry or not."""

    def __init__(self, detail: str, *, code: str | None = None, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.retryable = retryable


def find_error_code(exc: BaseException) -> str | None:
    """The first ``ERR_NGROK_nnn`` found in a pyngrok error, its ngrok logs or API body."""
    texts = [
        str(getattr(exc, "ngrok_error_code", None) or ""),
        str(getattr(exc, "ngrok_error", None) or ""),
        str(getattr(exc, "body", "") or ""),
        str(exc),
    ]
    texts.extend(str(getattr(log, "err", "") or "") for log in getattr(exc, "ngrok_logs", []))
    for text in texts:
        match = _CODE.search(text)
        if match:
            return match.group(0)
    return None


def _last_log_line(exc: PyngrokNgrokError) -> str:
    lines = [log.line for log in exc.ngrok_logs if log.line]
    return lines[-1] if lines else "none"


def explain(exc: BaseException, *, ngrok_path: str) -> TunnelStartError:
    """Map an exception raised while starting ngrok to a :class:`TunnelStartError`."""
    if isinstance(exc, TunnelStartError):
        return exc
    code = find_error_code(exc)
    if code is not None:
        known = _KNOWN.get(code)
        if known is not None:
            return TunnelStartError(known.text, code=code, retryable=known.retryable)
        number = code.removeprefix("ERR_NGROK_")
        reason = getattr(exc, "ngrok_error", None) or str(exc)
        # ngrok's err= text carries escaped line breaks ("\\r\\n"); keep its first line.
        lines = [part.strip() for part in re.split(r"\\[rn]|[\r\n]", str(reason))]
        first_line = next((line for line in lines if line), code)
        return TunnelStartError(
            f"ngrok failed with {code}: {first_line}. See "
            f"https://ngrok.com/docs/errors/err_ngrok_{number}/ for what to do.",
            code=code,
            retryable=True,
        )
    if isinstance(exc, PyngrokNgrokInstallError):
        return TunnelStartError(
            f"ngrok is not installed at {ngrok_path} and could not be downloaded ({exc}). "
            "Install ngrok from https://ngrok.com/download and give its path in Settings → "
            "Tunnel or with --ngrok-path; or use --public-url / --no-tunnel.",
            retryable=False,
        )
    if isinstance(exc, PyngrokNgrokHTTPError):
        return TunnelStartError(
            f"ngrok refused to open the tunnel (HTTP {exc.status_code}): "
            f"{exc.body.strip()[:300]}. Check the domain and region settings.",
            retryable=exc.status_code >= 500,
        )
    if isinstance(exc, PyngrokNgrokURLError):
        return TunnelStartError(
            f"ngrok's local API did not answer ({exc.reason}); the console will retry.",
            retryable=True,
        )
    if isinstance(exc, PyngrokNgrokError):
        return TunnelStartError(
            f"ngrok exited or never became ready ({exc}). Last output: {_last_log_line(exc)}. "
            f"Run '{ngrok_path} start --none --log stdout' in a terminal to see why.",
            retryable=True,
        )
    if isinstance(exc, PermissionError | FileNotFoundError):
        return TunnelStartError(
            f"Cannot run {ngrok_path} ({exc.strerror}). Point Settings → Tunnel / --ngrok-path "
            "at the ngrok executable (and make it executable).",
            retryable=False,
        )
    if isinstance(exc, OSError):
        return TunnelStartError(
            f"Cannot run {ngrok_path} ({exc}). Is it the ngrok executable for this system? "
            "Download it from https://ngrok.com/download and set --ngrok-path.",
            retryable=False,
        )
    if isinstance(exc, PyngrokError):
        return TunnelStartError(f"pyngrok failed: {exc}.", retryable=True)
    return TunnelStartError(f"Unexpected error while starting ngrok: {exc!r}.", retryable=True)
