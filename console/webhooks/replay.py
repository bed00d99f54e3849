"""Replaying a logged webhook request: which requests may be replayed, and how a replay is marked.

ngrok's inspector replays the exact original request. The console cannot: its request log keeps
only a truncated signature (see :mod:`console.webhooks.reqlog`). So a replay is re-signed with
the Auth Token — which the console does only for a request that was *accepted* when it arrived
(signature valid, or validation disabled). Re-signing a refused request would turn a forgery
into an applied event that looks as if Twilio had sent it; such a replay is refused
(:class:`ReplayRefused`) with what to do instead.

A replay carries ``X-Console-Replay: <original request id>``. A request that carries it and
passes validation is recorded with the verdict ``replayed`` instead of ``valid``/``skipped``, so
the ledger, the timeline and the export never say Twilio signed it. Anyone can send the header,
so it only ever lowers trust: it never makes a refused request acceptable.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from multidict import CIMultiDict, MultiDict
from twilio.request_validator import RequestValidator, get_signature_algorithm

from console.domain.model import Verdict, WebhookRequestRecord
from console.webhooks.reqlog import clean
from console.webhooks.signature import SignatureCheck

REPLAY_HEADER = "X-Console-Replay"
REPLAYABLE = frozenset({Verdict.VALID, Verdict.SKIPPED, Verdict.REPLAYED})
# hop-by-hop headers, the (truncated) signature and the marker of an earlier replay are not
# copied; neither are proxy headers: the replay goes straight to the local server
_NOT_COPIED = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "x-twilio-signature",
        REPLAY_HEADER.lower(),
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
    }
)
_MAX_SHOWN_ID = 20

NEVER_SIGNED = (
    "The console will not sign it for you — that would make a forged request look genuine. "
    "Fix the cause shown in the diagnosis (the public URL or the Auth Token) and let Twilio "
    "send it again."
)
NO_TOKEN = (
    "The console cannot sign a replay: no Auth Token is configured, and with signature "
    "validation on the server would refuse it. Add the account's primary Auth Token to the "
    "profile (or set TWILIO_AUTH_TOKEN), then replay again."
)


class ReplayRefused(Exception):
    """The console will not replay this request; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    """A replay ready to post to the local server: method, path with query, headers, body."""

    method: str
    target: str
    headers: CIMultiDict[str]
    body: bytes


def refusal(record: WebhookRequestRecord) -> str | None:
    """Why ``record`` must not be replayed (None when it may be): it was not accepted."""
    if record.verdict in REPLAYABLE:
        return None
    if record.verdict is Verdict.INVALID:
        why = "its signature did not check out"
    elif record.verdict is Verdict.MISSING:
        why = "it carried no X-Twilio-Signature"
    else:  # refused (405, 413, 415, 400 …) before its signature was checked
        why = f"it was answered HTTP {record.status_code} before its signature was checked"
    return f"Request #{record.id} cannot be replayed: it was refused because {why}. {NEVER_SIGNED}"


def build_replay(
    record: WebhookRequestRecord, *, token: str | None, signed_url: str
) -> ReplayRequest:
    """The replay of an accepted request, signed for ``signed_url`` + its path (no token: unsigned,
    for a server with validation disabled); raises ReplayRefused for a refused request."""
    reason = refusal(record)
    if reason is not None:
        raise ReplayRefused(reason)
    target = record.path + (f"?{record.query}" if record.query else "")
    headers = CIMultiDict((k, v) for k, v in record.headers if k.lower() not in _NOT_COPIED)
    headers[REPLAY_HEADER] = str(record.id)
    if token:
        algorithm = get_signature_algorithm(headers.get("X-Twilio-Webhooks-Signature-Settings"))
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(
            signed_url.rstrip("/") + target, _signed_params(headers, record.body), algorithm
        )
    return ReplayRequest(record.method, target, headers, record.body.encode("utf-8"))


def _signed_params(headers: CIMultiDict[str], body: str) -> MultiDict[str]:
    """The parameters a signature covers: a form body's fields; none for JSON (bodySHA256)."""
    media_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return MultiDict()
    return MultiDict(parse_qsl(body, keep_blank_values=True))


def mark_replay(check: SignatureCheck, marker: str | None) -> SignatureCheck:
    """``check`` for a request carrying ``X-Console-Replay: marker``: an accepted one becomes a
    replay (never more trusted than before); a refused one stays refused, with a note."""
    if marker is None:
        return check
    value = clean(marker).strip()
    name = f"request #{value}" if value.isdigit() and len(value) <= _MAX_SHOWN_ID else "a request"
    if not check.accepted:
        note = (
            f" It also carried {REPLAY_HEADER} (the console's replay marker), which never makes a "
            "request acceptable."
        )
        return SignatureCheck(check.verdict, check.checked_url, (check.diagnosis or "") + note)
    if check.verdict is Verdict.SKIPPED:
        how = (
            "signature validation is DISABLED, so nothing was checked (development setting "
            "validate_signatures=false)"
        )
    else:
        how = "its signature was made by the console with the Auth Token, not by Twilio"
    return SignatureCheck(
        Verdict.REPLAYED,
        check.checked_url,
        f"Replay of {name} from the webhook inspector ({REPLAY_HEADER}): {how}. Its effect is "
        "recorded as a replay, never as a report signed by Twilio.",
    )
