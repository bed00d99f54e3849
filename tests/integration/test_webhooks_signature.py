"""Refused callbacks on a real server: 403, nothing applied, and a diagnosis in the request log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest

from console.domain.model import Verdict
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.webhooks_support import (
    OTHER_TOKEN,
    PUBLIC,
    STATUS_PATH,
    TOKEN,
    Config,
    TwilioLike,
    serving,
    sign,
    status_params,
)


@pytest.fixture
async def served(writer: Writer) -> AsyncIterator[tuple[TwilioLike, Config]]:
    async with serving(writer) as client:
        yield client, client.config


def _refused(reader: Reader, verdict: Verdict) -> str:
    """The diagnosis of the only logged request, after checking nothing was applied."""
    assert reader.count_deliveries() == 0
    [logged] = reader.requests()
    assert (logged.status_code, logged.verdict) == (403, verdict)
    assert logged.diagnosis
    return logged.diagnosis


async def test_unsigned_request_is_refused(
    served: tuple[TwilioLike, Config], reader: Reader
) -> None:
    client, _ = served
    answer = await client.post(STATUS_PATH, status_params("SMu", "delivered"), signature="")
    assert answer.status == 403
    diagnosis = _refused(reader, Verdict.MISSING)
    assert "no X-Twilio-Signature header" in diagnosis
    assert reader.requests()[0].checked_url == PUBLIC + STATUS_PATH


async def test_forged_with_another_token(served: tuple[TwilioLike, Config], reader: Reader) -> None:
    client, _ = served
    answer = await client.post(STATUS_PATH, status_params("SMf", "delivered"), token=OTHER_TOKEN)
    assert answer.status == 403
    diagnosis = _refused(reader, Verdict.INVALID)
    assert "another Auth Token" in diagnosis and PUBLIC + STATUS_PATH in diagnosis
    assert OTHER_TOKEN not in diagnosis and TOKEN not in diagnosis


async def test_tampered_parameters(served: tuple[TwilioLike, Config], reader: Reader) -> None:
    client, _ = served
    signed = status_params("SMt", "sent")
    tampered = urlencode(status_params("SMt", "delivered")).encode()
    answer = await client.post(STATUS_PATH, signed, data=tampered)
    assert answer.status == 403
    assert "changed after signing" in _refused(reader, Verdict.INVALID)


async def test_garbage_signature(served: tuple[TwilioLike, Config], reader: Reader) -> None:
    client, _ = served
    answer = await client.post(STATUS_PATH, status_params("SMg", "sent"), signature="not*base64")
    assert answer.status == 403
    assert "not a base64 HMAC digest" in _refused(reader, Verdict.INVALID)


async def test_ngrok_http_vs_https_trap(served: tuple[TwilioLike, Config], reader: Reader) -> None:
    """Twilio was given the http:// ngrok address while the console expects https://."""
    client, _ = served
    http_url = PUBLIC.replace("https://", "http://") + STATUS_PATH
    answer = await client.post(STATUS_PATH, status_params("SMh", "sent"), signed_url=http_url)
    assert answer.status == 403
    diagnosis = _refused(reader, Verdict.INVALID)
    assert diagnosis.startswith(
        f"The signature matches {http_url} but the console expected {PUBLIC}{STATUS_PATH}: "
        f"set the public URL to {PUBLIC.replace('https://', 'http://')}"
    )
    assert "http-vs-https" in diagnosis


async def test_public_url_set_to_http_while_twilio_calls_https(
    served: tuple[TwilioLike, Config], reader: Reader
) -> None:
    client, cfg = served
    cfg.public_url = PUBLIC.replace("https://", "http://")
    answer = await client.post(STATUS_PATH, status_params("SMh2", "sent"))  # signed for https
    assert answer.status == 403
    assert f"set the public URL to {PUBLIC}" in _refused(reader, Verdict.INVALID)


async def test_forwarded_host_names_the_right_public_url(
    served: tuple[TwilioLike, Config], reader: Reader
) -> None:
    """A stale public URL (old tunnel): the proxy's X-Forwarded-Host shows the address used."""
    client, cfg = served
    cfg.public_url = "https://old-tunnel.ngrok.app"
    answer = await client.post(
        STATUS_PATH,
        status_params("SMx", "sent"),
        headers={"X-Forwarded-Host": "console-test.ngrok.app", "X-Forwarded-Proto": "https"},
    )
    assert answer.status == 403
    diagnosis = _refused(reader, Verdict.INVALID)
    assert f"set the public URL to {PUBLIC}" in diagnosis
    assert "expected https://old-tunnel.ngrok.app" in diagnosis


async def test_signed_for_the_local_url(served: tuple[TwilioLike, Config], reader: Reader) -> None:
    client, _ = served
    local = client.server.local_url + STATUS_PATH
    answer = await client.post(STATUS_PATH, status_params("SMl", "sent"), signed_url=local)
    assert answer.status == 403
    diagnosis = _refused(reader, Verdict.INVALID)
    assert f"matches {local}" in diagnosis and "local address" in diagnosis


async def test_without_public_url_the_request_address_is_checked(
    served: tuple[TwilioLike, Config], reader: Reader
) -> None:
    """Behind a proxy that forwards the public scheme and host, with no public URL set."""
    client, cfg = served
    cfg.public_url = None
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "console-test.ngrok.app"}
    answer = await client.post(STATUS_PATH, status_params("SMp", "sent"), headers=headers)
    assert answer.status == 200
    assert reader.requests()[0].checked_url == PUBLIC + STATUS_PATH
    answer = await client.post(STATUS_PATH, status_params("SMp2", "sent"))  # no proxy headers
    assert answer.status == 403
    diagnosis = reader.requests()[0].diagnosis or ""
    local = client.server.local_url + STATUS_PATH
    assert diagnosis.startswith(
        f"No public URL is configured, so the console checked the address the request itself "
        f"names ({local}); set the public URL Twilio calls"
    )


async def test_public_url_and_token_are_read_per_request(
    served: tuple[TwilioLike, Config], reader: Reader
) -> None:
    """A tunnel restart (new URL) and a profile switch (new token) take effect at once."""
    client, cfg = served
    cfg.public_url = "https://new-tunnel.ngrok.app"
    new_url = cfg.public_url + STATUS_PATH
    assert (await client.post(STATUS_PATH, status_params("SMn", "sent"))).status == 403
    answer = await client.post(STATUS_PATH, status_params("SMn", "sent"), signed_url=new_url)
    assert answer.status == 200
    cfg.token = OTHER_TOKEN
    answer = await client.post(STATUS_PATH, status_params("SMn", "delivered"), signed_url=new_url)
    assert answer.status == 403
    answer = await client.post(
        STATUS_PATH, status_params("SMn", "delivered"), signed_url=new_url, token=OTHER_TOKEN
    )
    assert answer.status == 200
    delivery = reader.delivery_by_sid("SMn")
    assert delivery is not None and delivery.status == "delivered"


@pytest.mark.parametrize(
    ("api_key_only", "expected"),
    [(True, "API key but no Auth Token"), (False, "No Auth Token is configured")],
)
async def test_no_auth_token(
    served: tuple[TwilioLike, Config], reader: Reader, api_key_only: bool, expected: str
) -> None:
    client, cfg = served
    cfg.token, cfg.api_key_only = None, api_key_only
    answer = await client.post(STATUS_PATH, status_params("SMk", "sent"))
    assert answer.status == 403
    assert expected in _refused(reader, Verdict.INVALID)


async def test_shared_key_signature_is_explained(
    served: tuple[TwilioLike, Config], reader: Reader
) -> None:
    client, _ = served
    params = status_params("SMsk", "sent")
    answer = await client.post(
        STATUS_PATH,
        params,
        signature=sign(PUBLIC + STATUS_PATH, params, "shared-key-secret"),
        headers={"X-Twilio-Webhooks-Signature-Settings": "key=KSabc,algorithm=HMAC_SHA1"},
    )
    assert answer.status == 403
    assert "SharedKey" in _refused(reader, Verdict.INVALID)
