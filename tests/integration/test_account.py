"""AccountService against the simulator: summary, senders, trial tools, webhook configuration."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from console.domain.phone import PhoneNumberError, SenderKind
from console.domain.trial import templates
from console.gateway.account import (
    AccountService,
    NoWebhookBackup,
    SenderOption,
    WebhookChange,
    webhook_urls,
)
from console.gateway.client import TwilioGateway
from console.gateway.webhook_backup import BACKUP_FILE
from console.secrets import Credentials
from console.simulator.config import DEMO_ACCOUNT, AccountConfig, NumberConfig, ServiceConfig
from console.simulator.core import Simulator
from console.simulator.server import SimulatorServer

VERIFIED = "+14155550150"
PN_1, PN_2 = (n.sid or "" for n in DEMO_ACCOUNT.numbers)
SERVICE_SID = "MGaa78d2acf8165152f724cb2aebbf093c"
OLD_STATUS = "https://old.example.com/status"
OLD_INBOUND = "https://old.example.com/sms"
PUBLIC = "https://console-demo.ngrok.app"

# The demo holdings, with URLs already set by some earlier tool (and one number without SMS).
CONFIGURED = replace(
    DEMO_ACCOUNT,
    numbers=(
        replace(DEMO_ACCOUNT.numbers[0], sms_url=OLD_INBOUND),
        DEMO_ACCOUNT.numbers[1],
        NumberConfig("+14155550102", sid="PN" + "c" * 32, friendly_name="Voice only", sms=False),
    ),
    services=(
        ServiceConfig(
            "Demo Messaging Service (simulated)",
            senders=(DEMO_ACCOUNT.numbers[1].phone_number,),
            sid=SERVICE_SID,
            status_callback=OLD_STATUS,
        ),
    ),
)


async def serve(account: AccountConfig) -> SimulatorServer:
    server = SimulatorServer(Simulator(account))
    await server.start()
    return server


def service_for(server: SimulatorServer, account: AccountConfig) -> AccountService:
    creds = Credentials(account_sid=account.sid, auth_token=account.auth_token)
    return AccountService(TwilioGateway(creds, api_base_url=server.base_url or "", timeout=10))


@pytest.fixture
async def server() -> AsyncIterator[SimulatorServer]:
    srv = await serve(CONFIGURED)
    yield srv
    await srv.stop()


@pytest.fixture
def account(server: SimulatorServer) -> AccountService:
    return service_for(server, CONFIGURED)


async def test_summary_full_account(account: AccountService) -> None:
    before = account.is_trial  # unknown until the summary has been read
    assert before is None
    assert account.allowed_templates() is None
    summary = await account.summary()
    assert (summary.sid, summary.type, summary.status) == (DEMO_ACCOUNT.sid, "Full", "active")
    assert (summary.balance, summary.currency) == ("25.00", "USD")
    assert summary.friendly_name == DEMO_ACCOUNT.friendly_name
    assert not summary.is_trial
    assert account.is_trial is False
    assert account.allowed_templates() is None


async def test_trial_account_allows_only_templates() -> None:
    trial = replace(DEMO_ACCOUNT, type="Trial", balance="15.50")
    server = await serve(trial)
    try:
        account = service_for(server, trial)
        summary = await account.summary()
        assert summary.is_trial
        assert summary.balance == "15.50"
        assert account.allowed_templates() == templates()
    finally:
        await server.stop()


async def test_senders_are_sms_numbers_then_services(account: AccountService) -> None:
    assert await account.senders() == [
        SenderOption("+14155550100", "Demo line 1 (simulated)", SenderKind.LONG_CODE, PN_1),
        SenderOption("+14155550101", "Demo line 2 (simulated)", SenderKind.LONG_CODE, PN_2),
        SenderOption(
            SERVICE_SID,
            "Demo Messaging Service (simulated)",
            SenderKind.MESSAGING_SERVICE,
            SERVICE_SID,
        ),
    ]


async def test_verify_check_and_remove(account: AccountService, server: SimulatorServer) -> None:
    assert account.known_verified(VERIFIED) is None  # nothing loaded yet
    assert await account.is_verified(VERIFIED)  # loads the list
    assert account.known_verified(VERIFIED) is True
    assert account.known_verified("+14155550177") is False
    verification = await account.verify("(415) 555-0177", "Front desk")
    assert verification.phone_number == "+14155550177"
    assert len(verification.validation_code) == 6
    sid = await server.complete_verification("+14155550177")
    assert account.known_verified("+14155550177") is False  # cached until refreshed
    assert "+14155550177" in {c.phone_number for c in await account.verified_numbers()}
    assert await account.is_verified("+14155550177")
    await account.remove_verified(sid)
    assert account.known_verified("+14155550177") is False
    assert [c.phone_number for c in await account.verified_numbers()] == [VERIFIED]


async def test_verify_rejects_a_bad_number_before_calling_twilio(
    account: AccountService, server: SimulatorServer
) -> None:
    with pytest.raises(PhoneNumberError, match="too short"):
        await account.verify("555-01")
    assert server.simulator.state.pending == {}


def test_webhook_urls() -> None:
    assert webhook_urls("https://x.ngrok.app/") == (
        "https://x.ngrok.app/webhooks/twilio/status",
        "https://x.ngrok.app/webhooks/twilio/inbound",
    )
    with pytest.raises(ValueError, match="contains '_'"):
        webhook_urls("https://my_host.example.com")
    with pytest.raises(ValueError, match="not a public base URL"):
        webhook_urls("ftp://x.example.com")
    with pytest.raises(ValueError, match="not a public base URL"):
        webhook_urls("x.example.com")


async def test_configure_then_restore_webhooks(
    account: AccountService, server: SimulatorServer, data_dir: Path
) -> None:
    state = server.simulator.state
    result = await account.configure_webhooks(PUBLIC + "/", data_dir=data_dir)
    status_url, inbound_url = (
        PUBLIC + "/webhooks/twilio/status",
        PUBLIC + "/webhooks/twilio/inbound",
    )
    assert (result.status_url, result.inbound_url) == (status_url, inbound_url)
    assert set(result.changes) == {
        WebhookChange("service", SERVICE_SID, "Demo Messaging Service (simulated)",
                      "status_callback", OLD_STATUS, status_url),
        WebhookChange("service", SERVICE_SID, "Demo Messaging Service (simulated)",
                      "inbound_request_url", None, inbound_url),
        WebhookChange("number", PN_1, "+14155550100", "sms_url", OLD_INBOUND, inbound_url),
        WebhookChange("number", PN_2, "+14155550101", "sms_url", None, inbound_url),
    }  # fmt: skip
    assert result.warnings == ()
    # read back from the simulator
    assert state.services[SERVICE_SID].status_callback == status_url
    assert state.services[SERVICE_SID].inbound_request_url == inbound_url
    assert state.numbers[PN_1].sms_url == inbound_url
    assert state.numbers[PN_2].sms_url == inbound_url
    assert state.numbers["PN" + "c" * 32].sms_url is None  # no SMS: left alone
    # the backup holds the previous values and nothing secret
    backup_text = (data_dir / BACKUP_FILE).read_text(encoding="utf-8")
    assert result.backup_path == data_dir / BACKUP_FILE
    assert DEMO_ACCOUNT.auth_token not in backup_text
    saved = json.loads(backup_text)["accounts"][DEMO_ACCOUNT.sid]
    assert saved["services"][SERVICE_SID]["status_callback"] == OLD_STATUS
    assert saved["numbers"][PN_1]["sms_url"] == OLD_INBOUND

    # configuring again (e.g. a new tunnel URL) keeps the original values in the backup
    again = await account.configure_webhooks("https://other.ngrok.app", data_dir=data_dir)
    assert state.numbers[PN_1].sms_url == "https://other.ngrok.app/webhooks/twilio/inbound"
    assert {c.before for c in again.changes} == {status_url, inbound_url}
    restored = await account.restore_webhooks(data_dir=data_dir)
    assert state.services[SERVICE_SID].status_callback == OLD_STATUS
    assert state.services[SERVICE_SID].inbound_request_url is None
    assert state.numbers[PN_1].sms_url == OLD_INBOUND
    assert state.numbers[PN_2].sms_url is None
    assert restored.warnings == ()
    assert not (data_dir / BACKUP_FILE).exists()
    # ... and the same values through the REST API
    services = await account.gateway.messaging_services()
    assert (services[0].status_callback, services[0].inbound_request_url) == (OLD_STATUS, None)
    numbers = {n.sid: n for n in await account.gateway.incoming_numbers()}
    assert (numbers[PN_1].sms_url, numbers[PN_2].sms_url) == (OLD_INBOUND, None)
    with pytest.raises(NoWebhookBackup, match="nothing to restore"):
        await account.restore_webhooks(data_dir=data_dir)


async def test_unchanged_webhooks_are_not_rewritten(
    account: AccountService, server: SimulatorServer, data_dir: Path
) -> None:
    await account.configure_webhooks(PUBLIC, data_dir=data_dir)
    stamps = {sid: n.date_updated for sid, n in server.simulator.state.numbers.items()}
    second = await account.configure_webhooks(PUBLIC, data_dir=data_dir)
    assert second.changes == ()
    assert {sid: n.date_updated for sid, n in server.simulator.state.numbers.items()} == stamps


async def test_bad_public_url_changes_nothing(
    account: AccountService, server: SimulatorServer, data_dir: Path
) -> None:
    with pytest.raises(ValueError, match="'_'"):
        await account.configure_webhooks("https://bad_host.example.com", data_dir=data_dir)
    assert server.simulator.state.services[SERVICE_SID].status_callback == OLD_STATUS
    assert not (data_dir / BACKUP_FILE).exists()


async def test_backups_of_two_accounts_stay_apart(
    account: AccountService, server: SimulatorServer, data_dir: Path
) -> None:
    other_config = DEMO_ACCOUNT.with_credentials("AC" + "1" * 32, "2" * 32, "Other account")
    other_server = await serve(other_config)
    try:
        other = service_for(other_server, other_config)
        await account.configure_webhooks(PUBLIC, data_dir=data_dir)
        await other.configure_webhooks("https://other.example.com", data_dir=data_dir)
        await other.restore_webhooks(data_dir=data_dir)
        assert other_server.simulator.state.numbers[PN_1].sms_url is None
        assert (data_dir / BACKUP_FILE).exists()  # the first account's section remains
        await account.restore_webhooks(data_dir=data_dir)
        assert server.simulator.state.numbers[PN_1].sms_url == OLD_INBOUND
        assert not (data_dir / BACKUP_FILE).exists()
    finally:
        await other_server.stop()


async def test_damaged_backup_is_reported(account: AccountService, data_dir: Path) -> None:
    (data_dir / BACKUP_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"unreadable.*fix or remove it"):
        await account.configure_webhooks(PUBLIC, data_dir=data_dir)


async def test_no_services_or_numbers_gives_warnings(data_dir: Path) -> None:
    bare = replace(DEMO_ACCOUNT, numbers=(), services=())
    server = await serve(bare)
    try:
        result = await service_for(server, bare).configure_webhooks(PUBLIC, data_dir=data_dir)
        assert result.changes == ()
        assert len(result.warnings) == 2
        assert "no Messaging Service" in result.warnings[0]
        assert "no SMS-capable number" in result.warnings[1]
    finally:
        await server.stop()
