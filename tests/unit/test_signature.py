"""SignatureChecker: twilio's RequestValidator against the public URL, and the diagnoses."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from console.domain.model import Verdict
from console.webhooks.signature import (
    SignatureChecker,
    SignedRequest,
    request_base,
    strip_base,
)

TOKEN = "unit-token"
PUBLIC = "https://abc.ngrok.app"
PATH = "/webhooks/twilio/status"
LOCAL = "http://127.0.0.1:8080"
PARAMS = {"MessageSid": "SM1", "MessageStatus": "sent"}


def checker(public: str | None = PUBLIC, token: str | None = TOKEN) -> SignatureChecker:
    return SignatureChecker(lambda: token, lambda: public)


def request(
    signature: str | None,
    *,
    params: dict[str, str] | None = None,
    raw_path: str = PATH,
    **kw: object,
) -> SignedRequest:
    return SignedRequest(
        raw_path=raw_path,
        params=PARAMS if params is None else params,
        body=b"",
        is_json=False,
        signature=signature,
        local_base=LOCAL,
        **kw,  # type: ignore[arg-type]
    )


def sig(url: str, params: object = PARAMS, token: str = TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def test_valid_signature() -> None:
    check = checker().check(request(sig(PUBLIC + PATH)))
    assert (check.verdict, check.checked_url, check.diagnosis) == (
        Verdict.VALID,
        PUBLIC + PATH,
        None,
    )
    assert check.accepted


@pytest.mark.parametrize("signed", [f"{PUBLIC}:443{PATH}", f"{PUBLIC}{PATH}"])
def test_default_port_added_or_removed(signed: str) -> None:
    assert checker().check(request(sig(signed))).verdict is Verdict.VALID


def test_public_url_with_trailing_slash_and_credentials() -> None:
    check = checker("https://user:pw@abc.ngrok.app/").check(request(sig(PUBLIC + PATH)))
    assert check.verdict is Verdict.VALID and check.checked_url == PUBLIC + PATH


def test_public_url_with_a_path_prefix_stripped_by_a_proxy() -> None:
    signed = "https://example.com/sms" + PATH
    assert checker("https://example.com/sms/").check(request(sig(signed))).accepted


def test_repeated_parameters_count() -> None:
    params = MultiDict([("MediaUrl", "b"), ("MediaUrl", "a"), ("MessageSid", "SM1")])
    good = sig(PUBLIC + PATH, params)
    assert checker().check(request(good, params=params)).verdict is Verdict.VALID  # type: ignore[arg-type]
    fewer = MultiDict([("MediaUrl", "b"), ("MessageSid", "SM1")])
    assert checker().check(request(good, params=fewer)).verdict is Verdict.INVALID  # type: ignore[arg-type]


def test_missing_header() -> None:
    check = checker().check(request(None))
    assert check.verdict is Verdict.MISSING and not check.accepted
    assert "no X-Twilio-Signature" in (check.diagnosis or "")


def test_other_token() -> None:
    check = checker().check(request(sig(PUBLIC + PATH, token="other")))
    assert check.verdict is Verdict.INVALID
    assert "another Auth Token" in (check.diagnosis or "")


@pytest.mark.parametrize(
    ("public", "signed", "fix"),
    [
        (PUBLIC, "http://abc.ngrok.app", "http://abc.ngrok.app"),
        ("http://abc.ngrok.app", PUBLIC, PUBLIC),
    ],
)
def test_scheme_trap(public: str, signed: str, fix: str) -> None:
    check = checker(public).check(request(sig(signed + PATH)))
    assert check.verdict is Verdict.INVALID
    assert (check.diagnosis or "").startswith(
        f"The signature matches {signed}{PATH} but the console expected {public}{PATH}: "
        f"set the public URL to {fix}"
    )


def test_host_header_alternative() -> None:
    check = checker("https://stale.example.com").check(
        request(sig("https://fresh.example.com" + PATH), host="fresh.example.com")
    )
    assert "set the public URL to https://fresh.example.com" in (check.diagnosis or "")


def test_without_public_url_uses_forwarded_headers() -> None:
    req = request(
        sig(PUBLIC + PATH),
        forwarded_proto="https, http",
        forwarded_host="abc.ngrok.app",
        host="127.0.0.1:8080",
    )
    assert request_base(req) == PUBLIC
    check = checker(None).check(req)
    assert check.verdict is Verdict.VALID and check.checked_url == PUBLIC + PATH


def test_without_public_url_or_headers_uses_local_url() -> None:
    check = checker(None).check(request(sig(LOCAL + PATH)))
    assert check.verdict is Verdict.VALID and check.checked_url == LOCAL + PATH


def test_json_body_hash() -> None:
    body = b'{"MessageSid": "SM1", "MessageStatus": "sent"}'
    raw_path = f"{PATH}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    req = SignedRequest(
        raw_path=raw_path,
        params=None,
        body=body,
        is_json=True,
        signature=sig(PUBLIC + raw_path, {}),
        local_base=LOCAL,
    )
    assert checker().check(req).verdict is Verdict.VALID
    tampered = SignedRequest(
        raw_path=raw_path,
        params=None,
        body=body + b" ",
        is_json=True,
        signature=req.signature,
        local_base=LOCAL,
    )
    check = checker().check(tampered)
    assert check.verdict is Verdict.INVALID and "bodySHA256" in (check.diagnosis or "")


def test_hmac_sha256_named_by_the_settings_header() -> None:
    url = PUBLIC + PATH
    payload = (url + "MessageSidSM1MessageStatussent").encode()
    digest = base64.b64encode(hmac.new(TOKEN.encode(), payload, hashlib.sha256).digest()).decode()
    settings = "key=KS1,algorithm=HMAC_SHA256"
    assert checker().check(request(digest, signature_settings=settings)).accepted
    assert not checker().check(request(digest)).accepted


def test_unsupported_algorithm() -> None:
    check = checker().check(request("x", signature_settings="algorithm=HMAC_MD5"))
    assert check.verdict is Verdict.INVALID and "HMAC_MD5" in (check.diagnosis or "")


def test_token_getter_failure_is_a_diagnosis_not_a_crash() -> None:
    def broken() -> str:
        raise RuntimeError("keyring locked")

    check = SignatureChecker(broken, lambda: PUBLIC).check(request(sig(PUBLIC + PATH)))
    assert check.verdict is Verdict.INVALID and "keyring locked" in (check.diagnosis or "")


def test_disabled_is_skipped() -> None:
    check = SignatureChecker(lambda: None, lambda: None, enabled=False).check(request(None))
    assert (
        check.verdict is Verdict.SKIPPED
        and check.accepted
        and "DISABLED" in (check.diagnosis or "")
    )


def test_token_and_signature_never_in_diagnosis() -> None:
    bad = sig(PUBLIC + PATH, token="other")
    for check in (checker().check(request(bad)), checker("http://x.example").check(request(bad))):
        assert TOKEN not in (check.diagnosis or "") and bad not in (check.diagnosis or "")


def test_strip_base() -> None:
    assert strip_base("HTTPS://u:p@Host.example.com:8443/a/?q=1#f") == (
        "https://Host.example.com:8443/a"
    )


def test_headers_that_are_not_hosts_do_not_break_the_diagnosis() -> None:
    """A forged Host/X-Forwarded-Host like ``[x`` is not a URL: it is skipped, not a 500."""
    check = checker().check(
        request(sig("https://elsewhere.example.com" + PATH), host="[x", forwarded_host="a]:b")
    )
    assert check.verdict is Verdict.INVALID
    assert check.diagnosis
    for public, headers in ((None, {"host": "[x"}), (None, {"forwarded_host": "[x"})):
        unchecked = checker(public).check(request(sig("https://a.example.com" + PATH), **headers))
        assert unchecked.verdict is Verdict.INVALID
