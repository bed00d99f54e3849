"""Every misconfiguration the issue lists, staged with real parts: the doctor names it and its fix.

The parts are real (simulated Twilio account over HTTP, ledger, webhook server, public URL
provider, self-prober); only what is passed in differs from a healthy setup.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail as fail_backend

from console.doctor import checks_url
from console.doctor.checks import CHECKS
from console.doctor.fixes import FixTargets, apply_fix
from console.doctor.result import (
    CONFIGURE_WEBHOOKS,
    OPEN_INSPECTOR,
    OPEN_SETTINGS,
    PROBE_AGAIN,
    VERIFY_NUMBER,
)
from console.domain.model import NewDelivery
from console.gateway.account import AccountService
from console.secrets import Credentials
from console.webhooks.app import STATUS_PATH
from tests.fakes.keyrings import MemoryKeyring
from tests.integration.test_doctor_support import (
    FROM,
    KEY_SECRET,
    KEY_SID,
    SERVICE_SID,
    SID,
    STRANGER,
    TOKEN,
    VERIFIED,
    VOICE_ONLY,
    WRONG_TOKEN,
    account,
    closed_port,
    doctor_rig,
    no_twilio_env,
)

__all__ = ["no_twilio_env"]  # fixtures used by name below

pytestmark = pytest.mark.usefixtures("memory_keyring", "no_twilio_env")


async def test_healthy_setup_with_local_url_fails_only_the_public_url_checks(db_url: str) -> None:
    async with doctor_rig(db_url) as rig:
        results = await rig.run()
    assert [r for r in results] == [c.id for c in CHECKS]
    states = {k: r.state for k, r in results.items()}
    assert states == {
        "credentials": "ok",
        "auth_token": "ok",
        "sender": "ok",
        "account": "ok",
        "trial_recipients": "skip",
        "trial_bodies": "skip",
        "public_url_https": "fail",
        "public_url_hostname": "ok",
        "public_url_public": "fail",
        "self_probe": "ok",
        "signatures": "ok",
        "callback_routing": "ok",
        "keyring": "ok",
        "database": "ok",
    }
    assert "Doctor test account" in results["credentials"].finding
    assert "reached this console in" in results["self_probe"].finding
    assert "Main line" in results["sender"].finding


async def test_wrong_token_is_named_as_20003_with_the_settings_fix(db_url: str) -> None:
    creds = Credentials(account_sid=SID, auth_token=WRONG_TOKEN, from_number=FROM)
    async with doctor_rig(db_url, creds=creds) as rig:
        results = await rig.run()
    cred = results["credentials"]
    assert cred.state == "fail"
    assert "20003" in cred.finding and "Auth Token" in cred.finding
    assert "Twilio Console" in cred.fix and cred.action == OPEN_SETTINGS
    # checks that need the account point at the credentials instead of failing twice
    assert results["sender"].state == "skip" and "credentials" in results["sender"].finding
    assert results["account"].state == "skip"


async def test_api_key_only_credentials_fail_the_auth_token_check(db_url: str) -> None:
    creds = Credentials(
        account_sid=SID, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET, from_number=FROM
    )
    async with doctor_rig(db_url, creds=creds) as rig:
        results = await rig.run()
    assert results["credentials"].state == "ok"
    assert "API key SK01" in results["credentials"].finding
    token = results["auth_token"]
    assert token.state == "fail" and "Only an API key" in token.finding
    assert "primary Auth Token" in token.fix and token.action == OPEN_SETTINGS
    probe = results["self_probe"]  # reachable, but an unsigned probe proves nothing more
    assert probe.state == "fail" and "could not be signed" in probe.finding
    assert probe.action == OPEN_SETTINGS


async def test_wrong_auth_token_next_to_an_api_key_is_caught(db_url: str) -> None:
    creds = Credentials(
        account_sid=SID,
        auth_token=WRONG_TOKEN,
        api_key_sid=KEY_SID,
        api_key_secret=KEY_SECRET,
        from_number=FROM,
    )
    async with doctor_rig(db_url, creds=creds) as rig:
        results = await rig.run()
    assert results["credentials"].state == "ok"  # REST works with the key
    token = results["auth_token"]
    assert token.state == "fail" and "rejected the Auth Token (error 20003)" in token.finding
    assert token.action == OPEN_SETTINGS


async def test_missing_sender_is_named_with_the_settings_fix(db_url: str) -> None:
    creds = Credentials(account_sid=SID, auth_token=TOKEN)
    async with doctor_rig(db_url, creds=creds) as rig:
        results = await rig.run()
    sender = results["sender"]
    assert sender.state == "fail" and "No sender is configured" in sender.finding
    assert "TWILIO_FROM_NUMBER" in sender.finding and sender.action == OPEN_SETTINGS
    assert results["callback_routing"].state == "skip"


async def test_sender_not_owned_or_not_sms_capable(db_url: str) -> None:
    for number, words in ((STRANGER, "not a number this account owns"), (VOICE_ONLY, "cannot")):
        creds = Credentials(account_sid=SID, auth_token=TOKEN, from_number=number)
        async with doctor_rig(db_url, creds=creds) as rig:
            results = await rig.run()
        sender = results["sender"]
        assert sender.state == "fail" and words in sender.finding, sender
        assert "(415) 555-0100" in sender.fix or "+1 415" in sender.fix  # names the owned one
        assert sender.action == OPEN_SETTINGS


async def test_unverified_trial_recipient_is_named_with_verify_fix(db_url: str) -> None:
    async with doctor_rig(db_url, config=account("Trial")) as rig:
        await rig.writer.add_delivery(NewDelivery(to=STRANGER, body="hello", from_=FROM))
        await rig.writer.add_delivery(NewDelivery(to=VERIFIED, body="hello", from_=FROM))
        results = await rig.run()
    assert results["account"].state == "ok" and "Trial account" in results["account"].finding
    recipients = results["trial_recipients"]
    assert recipients.state == "fail"
    assert "555-0199" in recipients.finding and "555-0150" not in recipients.finding
    assert "21608" in recipients.finding
    assert "Verify" in recipients.fix and recipients.action == VERIFY_NUMBER
    bodies = results["trial_bodies"]  # "hello" is free text, not a template
    assert bodies.state == "warn" and "572006" in bodies.finding


async def test_trial_with_only_verified_recipients_passes(db_url: str) -> None:
    async with doctor_rig(db_url, config=account("Trial")) as rig:
        await rig.writer.add_delivery(NewDelivery(to=VERIFIED, body="hi", from_=FROM))
        results = await rig.run()
    assert results["trial_recipients"].state == "ok"
    assert "555-0150" in results["trial_recipients"].finding


async def test_unreachable_public_url_fails_the_probe(db_url: str) -> None:
    url = f"https://127.0.0.1:{closed_port()}"
    async with doctor_rig(db_url, public=url) as rig:
        results = await rig.run()
    probe = results["self_probe"]
    assert probe.state == "fail" and "Webhook not reachable" in probe.finding
    assert "Could not connect" in probe.finding
    assert "Restart the tunnel" in probe.fix and probe.action == PROBE_AGAIN
    assert results["public_url_https"].state == "ok"


async def test_http_public_url_is_named_with_the_https_fix(db_url: str) -> None:
    async with doctor_rig(db_url, public="local") as rig:
        results = await rig.run()
        url = rig.server.local_url
    https = results["public_url_https"]
    assert https.state == "fail" and f"{url} is not https" in https.finding
    assert "https address" in https.fix and https.action == OPEN_SETTINGS


async def test_localhost_public_url_is_named_and_the_probe_fails_tls(db_url: str) -> None:
    async with doctor_rig(db_url, public="https://localhost:{port}") as rig:
        results = await rig.run()
    local = results["public_url_public"]
    assert local.state == "fail" and "localhost names this computer" in local.finding
    assert "tunnel (ngrok)" in local.fix and local.action == OPEN_SETTINGS
    probe = results["self_probe"]  # the console's port speaks http, not https
    assert probe.state == "fail" and "TLS handshake" in probe.finding


async def test_invalid_and_private_host_names(db_url: str) -> None:
    url_checks = tuple(
        c for c in CHECKS if c.run in (checks_url.public_url_hostname, checks_url.public_url_public)
    )
    async with doctor_rig(db_url, public="https://-console-.example.com") as rig:
        results = await rig.run(url_checks)
        hostname = results["public_url_hostname"]
        assert hostname.state == "fail" and "'-console-'" in hostname.finding
        assert hostname.action == OPEN_SETTINGS
        rig.ctx.public_url = "https://my_console.example.com"  # e.g. typed into a proxy config
        results = await rig.run(url_checks)
        assert "contains '_'" in results["public_url_hostname"].finding
    async with doctor_rig(db_url, public="https://10.1.2.3") as rig:
        results = await rig.run(url_checks)
    assert results["public_url_hostname"].state == "ok"
    assert results["public_url_public"].state == "fail"
    assert "private" in results["public_url_public"].finding


async def test_no_public_url_fails_once_and_skips_the_rest(db_url: str) -> None:
    async with doctor_rig(db_url, public=None) as rig:
        results = await rig.run()
    assert results["public_url_https"].state == "fail"
    assert "no public URL" in results["public_url_https"].finding
    assert results["public_url_hostname"].state == "skip"
    assert results["self_probe"].state == "skip"
    routing = results["callback_routing"]
    assert routing.state == "warn" and "no per-message StatusCallback" in routing.finding


async def test_keyring_unavailable_is_named_with_its_fix(db_url: str) -> None:
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]  # keyring is untyped
    async with doctor_rig(db_url) as rig:
        results = await rig.run()
    ring = results["keyring"]
    assert ring.state == "fail" and "No OS keyring backend" in ring.finding
    assert "gnome-keyring" in ring.fix and "TWILIO_" in ring.fix


async def test_keyring_unavailable_is_a_warning_when_env_supplies_credentials(
    db_url: str, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]  # keyring is untyped
    async with doctor_rig(db_url) as rig:
        results = await rig.run()
    assert results["keyring"].state == "warn"
    assert "TWILIO_* environment variables" in results["keyring"].finding


async def test_mismatched_signature_url_is_diagnosed(db_url: str) -> None:
    """Twilio signs the URL it called; the console expects another public URL."""
    # The console is told its public URL is http://localhost:PORT; Twilio calls 127.0.0.1.
    async with doctor_rig(db_url, public="http://localhost:{port}") as rig:
        assert rig.gateway is not None
        expected = f"http://localhost:{rig.server.port}"
        called = f"http://127.0.0.1:{rig.server.port}{STATUS_PATH}"
        refused = asyncio.Event()
        rig.writer.subscribe(
            lambda c: refused.set() if any(r.status_code == 403 for r in c.requests) else None
        )
        await rig.gateway.create_message(
            to=VERIFIED, body="hello", from_=FROM, status_callback=called
        )
        async with asyncio.timeout(10):
            await refused.wait()
        results = await rig.run()
    sig = results["signatures"]
    assert sig.state == "fail" and "refused for their signature" in sig.finding
    assert f"matches {called}" in sig.finding and f"expected {expected}" in sig.finding
    assert sig.action == OPEN_INSPECTOR and "inspector" in sig.fix
    assert results["self_probe"].state == "ok"  # the console's own probe is not a failure


async def test_signature_validation_disabled_is_a_warning(db_url: str) -> None:
    async with doctor_rig(db_url, validate=False) as rig:
        results = await rig.run()
    assert results["signatures"].state == "warn"
    assert "DISABLED" in results["signatures"].finding
    assert "validation is off" in results["self_probe"].finding


async def test_messaging_service_callback_elsewhere_then_configure_webhooks(
    db_url: str, data_dir: Path
) -> None:
    creds = Credentials(account_sid=SID, auth_token=TOKEN, messaging_service_sid=SERVICE_SID)
    config = account(service_callback="https://old.example.com/status")
    async with doctor_rig(db_url, creds=creds, config=config) as rig:
        results = await rig.run()
        routing = results["callback_routing"]
        assert routing.state == "warn" and routing.action == CONFIGURE_WEBHOOKS
        assert "per-message StatusCallback" in routing.finding
        assert "https://old.example.com/status" in routing.finding
        assert rig.gateway is not None
        targets = FixTargets(
            AccountService(rig.gateway), rig.provider, rig.prober, rig.ctx.public_url, data_dir
        )
        text = await apply_fix(CONFIGURE_WEBHOOKS, targets)
        assert "Pointed" in text and "previous values are saved" in text
        results = await rig.run()
    assert results["callback_routing"].state == "ok"
    assert "points at the console too" in results["callback_routing"].finding


async def test_gateway_that_never_answers_times_out_instead_of_hanging(db_url: str) -> None:
    connections: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read(1 << 16)  # reads the request, never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with doctor_rig(
            db_url, api_base_url=f"http://127.0.0.1:{port}", check_timeout=0.5, request_timeout=2
        ) as rig:
            results = await rig.run()
    finally:
        for connection in connections:
            connection.close()
        server.close()
        await server.wait_closed()
    cred = results["credentials"]
    assert cred.state == "fail" and "did not finish within 0.5 s" in cred.finding
    assert results["keyring"].state == "ok"  # the other checks still ran
