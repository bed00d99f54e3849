"""Which logged requests the console may re-sign for a replay, and what a replay looks like."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from multidict import MultiDict
from twilio.request_validator import HMAC_SHA256, RequestValidator

from console.domain.model import Verdict, WebhookRequestRecord
from console.webhooks.replay import (
    REPLAY_HEADER,
    ReplayRefused,
    build_replay,
    mark_replay,
    refusal,
)
from console.webhooks.signature import SignatureCheck

TOKEN = "unit-test-auth-token-0123456789ab"
LOCAL = "http://127.0.0.1:8123"
FORM = "application/x-www-form-urlencoded"
PARAMS = [("MessageSid", "SM" + "a" * 32), ("MessageStatus", "delivered"), ("To", "+1 415")]


def logged(
    verdict: Verdict | None,
    *,
    status: int = 200,
    headers: tuple[tuple[str, str], ...] = (("Content-Type", FORM),),
    body: str = urlencode(PARAMS),
    query: str = "",
) -> WebhookRequestRecord:
    return WebhookRequestRecord(
        id=41,
        method="POST",
        path="/webhooks/twilio/status",
        query=query,
        headers=headers,
        body=body,
        remote="127.0.0.1",
        status_code=status,
        verdict=verdict,
        diagnosis=None,
        checked_url=None,
        response_body="",
        duration_ms=1.0,
        received_at=datetime(2026, 1, 2, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("verdict", "status", "why"),
    [
        (Verdict.INVALID, 403, "its signature did not check out"),
        (Verdict.MISSING, 403, "it carried no X-Twilio-Signature"),
        (None, 415, "answered HTTP 415 before its signature was checked"),
    ],
)
def test_a_refused_request_is_never_re_signed(
    verdict: Verdict | None, status: int, why: str
) -> None:
    record = logged(verdict, status=status)
    reason = refusal(record)
    assert reason is not None
    assert why in reason
    assert "will not sign it for you" in reason and "let Twilio send it again" in reason
    with pytest.raises(ReplayRefused, match="cannot be replayed"):
        build_replay(record, token=TOKEN, signed_url=LOCAL)


@pytest.mark.parametrize("verdict", [Verdict.VALID, Verdict.SKIPPED, Verdict.REPLAYED])
def test_an_accepted_request_is_re_signed_and_marked(verdict: Verdict) -> None:
    headers = (
        ("Content-Type", FORM),
        ("User-Agent", "TwilioProxy/1.1"),
        ("X-Twilio-Signature", "abcdef… (28 chars)"),
        ("X-Forwarded-Host", "elsewhere.example"),
        ("x-console-replay", "7"),
        ("Host", "127.0.0.1:9"),
    )
    record = logged(verdict, status=503, headers=headers)
    assert refusal(record) is None
    replay = build_replay(record, token=TOKEN, signed_url=LOCAL + "/")
    assert replay.method == "POST" and replay.target == "/webhooks/twilio/status"
    assert replay.headers.getall(REPLAY_HEADER) == ["41"]  # the original's id, once
    assert replay.headers["User-Agent"] == "TwilioProxy/1.1"
    for dropped in ("X-Forwarded-Host", "Host"):
        assert dropped not in replay.headers
    signature = replay.headers.getall("X-Twilio-Signature")
    assert len(signature) == 1
    params = MultiDict(PARAMS)
    assert RequestValidator(TOKEN).validate(LOCAL + replay.target, params, signature[0])
    assert replay.body == urlencode(PARAMS).encode()


def test_without_a_token_the_replay_is_unsigned() -> None:
    replay = build_replay(logged(Verdict.SKIPPED), token=None, signed_url=LOCAL)
    assert "X-Twilio-Signature" not in replay.headers
    assert replay.headers[REPLAY_HEADER] == "41"


def test_a_json_replay_signs_the_url_with_its_body_hash() -> None:
    body = '{"MessageSid": "SMx", "MessageStatus": "sent"}'
    query = "bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    headers = (
        ("Content-Type", "application/json"),
        ("X-Twilio-Webhooks-Signature-Settings", f"algorithm={HMAC_SHA256}"),
    )
    record = logged(Verdict.VALID, headers=headers, body=body, query=query)
    replay = build_replay(record, token=TOKEN, signed_url=LOCAL)
    assert replay.target.endswith("?" + query)
    signature = replay.headers["X-Twilio-Signature"]
    validator = RequestValidator(TOKEN)
    assert validator.validate(LOCAL + replay.target, {}, signature, HMAC_SHA256)
    assert not validator.validate(LOCAL + replay.target, {}, signature)  # not SHA-1


def test_the_marker_only_lowers_trust() -> None:
    valid = SignatureCheck(Verdict.VALID, LOCAL + "/x")
    assert mark_replay(valid, None) is valid
    marked = mark_replay(valid, "12")
    assert marked.verdict is Verdict.REPLAYED and marked.accepted
    assert marked.diagnosis is not None and "Replay of request #12" in marked.diagnosis
    assert "not by Twilio" in marked.diagnosis

    skipped = mark_replay(SignatureCheck(Verdict.SKIPPED, None, "off"), "not a number\udcff")
    assert skipped.verdict is Verdict.REPLAYED
    assert skipped.diagnosis is not None
    assert "Replay of a request" in skipped.diagnosis and "DISABLED" in skipped.diagnosis

    for refused in (Verdict.INVALID, Verdict.MISSING):
        check = mark_replay(SignatureCheck(refused, LOCAL, "Why."), "12")
        assert check.verdict is refused and not check.accepted
        assert check.diagnosis is not None and check.diagnosis.startswith("Why.")
        assert "never makes a request acceptable" in check.diagnosis
