"""Credentials masking, environment overrides, and SecretStore on real keyring backends.

The backends are the real ``keyring.backend.KeyringBackend`` subclasses of
:mod:`tests.fakes.keyrings` installed with ``keyring.set_keyring`` (the developer's own keyring is
never touched): a dict-backed one, one whose collection is locked, one that cannot initialise, one
that hangs like an unanswered unlock prompt, and keyring's own ``fail.Keyring`` for "no backend".
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
import pytest

from console import secrets
from console.secrets import (
    BackendStatus,
    Credentials,
    KeyringUnavailable,
    SecretStore,
    from_environment,
    merge,
    resolve,
)
from tests.fakes.keyrings import (
    BrokenKeyring,
    HangingKeyring,
    LockedKeyring,
    MemoryKeyring,
    no_backend,
)

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
KEY_SID = "SK89abcdef0123456789abcdef01234567"
KEY_SECRET = "keysecretkeysecretkeysecret12345"
NGROK = "2abcNGROKtokenVALUE_0123456789"
FULL = Credentials(
    account_sid=SID,
    auth_token=TOKEN,
    api_key_sid=KEY_SID,
    api_key_secret=KEY_SECRET,
    from_number="+14155550100",
    messaging_service_sid="MG0123456789abcdef0123456789abcdef",
    ngrok_authtoken=NGROK,
)


@pytest.fixture(autouse=True)
def restore_keyring() -> Iterator[None]:
    """Put back whatever keyring was active before the test."""
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def hanging() -> Iterator[HangingKeyring]:
    backend = HangingKeyring()
    keyring.set_keyring(backend)
    yield backend
    backend.release.set()


# -- Credentials -----------------------------------------------------------------------------
def test_repr_and_str_mask_every_secret() -> None:
    for text in (repr(FULL), str(FULL), f"{FULL}", repr([FULL])):
        for secret in (TOKEN, KEY_SECRET, NGROK, SID, KEY_SID):
            assert secret not in text
        assert "AC01…cdef" in text
        assert "+14155550100" in text


def test_masked_shows_sid_ends_hides_secrets_and_keeps_numbers() -> None:
    masked = FULL.masked()
    assert masked["account_sid"] == "AC01…cdef"
    assert masked["auth_token"] == "••••"
    assert masked["api_key_secret"] == "••••"
    assert masked["ngrok_authtoken"] == "••••"
    assert masked["from_number"] == "+14155550100"
    assert Credentials().masked()["auth_token"] == ""


@pytest.mark.parametrize(
    ("creds", "rest", "webhook"),
    [
        (Credentials(), False, False),
        (Credentials(account_sid=SID), False, False),
        (Credentials(account_sid=SID, auth_token=TOKEN), True, True),
        (Credentials(account_sid=SID, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET), True, False),
        (Credentials(account_sid=SID, api_key_sid=KEY_SID), False, False),
        (Credentials(auth_token=TOKEN), False, True),
    ],
)
def test_auth_capabilities(creds: Credentials, rest: bool, webhook: bool) -> None:
    assert creds.has_rest_auth is rest
    assert creds.has_webhook_auth is webhook


def test_from_environment_reads_every_variable() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_KEY": KEY_SID,
        "TWILIO_API_SECRET": KEY_SECRET,
        "TWILIO_FROM_NUMBER": " +14155550100 ",
        "TWILIO_MESSAGING_SERVICE_SID": FULL.messaging_service_sid,
        "NGROK_AUTHTOKEN": NGROK,
        "UNRELATED": "x",
    }
    assert from_environment(env) == FULL
    assert from_environment({}) == Credentials()


def test_merge_overrides_field_by_field() -> None:
    stored = Credentials(account_sid=SID, auth_token=TOKEN, from_number="+14155550100")
    env = Credentials(auth_token="f" * 32, messaging_service_sid="MG" + "1" * 32)
    merged = merge(stored, env)
    assert merged.account_sid == SID
    assert merged.auth_token == "f" * 32
    assert merged.from_number == "+14155550100"
    assert merged.messaging_service_sid == "MG" + "1" * 32


# -- SecretStore on a working backend -------------------------------------------------------
async def test_round_trip_one_entry_per_field(memory: MemoryKeyring) -> None:
    store = SecretStore("sms-console-test")
    await store.save("work", FULL)
    assert await store.load("work") == FULL
    assert memory.entries[("sms-console-test", "work:auth_token")] == TOKEN
    assert memory.entries[("sms-console-test", "work:account_sid")] == SID
    assert len(memory.entries) == 7
    assert await store.load("other") == Credentials()


async def test_save_removes_emptied_fields_and_delete_removes_profile(
    memory: MemoryKeyring,
) -> None:
    store = SecretStore("sms-console-test")
    await store.save("work", FULL)
    await store.save("home", Credentials(account_sid=SID, auth_token=TOKEN))
    await store.save("work", Credentials(account_sid=SID, auth_token=TOKEN))
    assert ("sms-console-test", "work:api_key_secret") not in memory.entries
    assert await store.load("work") == Credentials(account_sid=SID, auth_token=TOKEN)
    await store.delete("work")
    await store.delete("work")  # deleting again is harmless
    assert await store.load("work") == Credentials()
    assert await store.load("home") == Credentials(account_sid=SID, auth_token=TOKEN)


async def test_profile_names_cannot_collide(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="contain no ':'"):
        await SecretStore().save("a:b", FULL)
    assert memory.entries == {}


async def test_secrets_never_logged(
    memory: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretStore("sms-console-test")
    await store.save("work", FULL)
    await store.load("work")
    assert "work" in caplog.text
    for secret in (TOKEN, KEY_SECRET, NGROK, SID):
        assert secret not in caplog.text


async def test_backend_status_usable(memory: MemoryKeyring) -> None:
    status = await SecretStore().backend_status()
    name = memory.name  # keyring's own label for the backend
    assert "MemoryKeyring" in name
    assert status == BackendStatus(name, True, f"Credentials are stored in {name}.")


# -- failures --------------------------------------------------------------------------------
async def test_no_backend_says_what_to_do() -> None:
    keyring.set_keyring(no_backend())
    store = SecretStore()
    with pytest.raises(KeyringUnavailable) as caught:
        await store.load("default")
    message = str(caught.value)
    assert "No OS keyring backend" in message
    assert "gnome-keyring" in message
    assert "TWILIO_ACCOUNT_SID" in message
    with pytest.raises(KeyringUnavailable, match="No OS keyring backend"):
        await store.save("default", FULL)
    status = await store.backend_status()
    assert not status.usable
    assert "TWILIO_ACCOUNT_SID" in status.detail


async def test_locked_collection_says_unlock() -> None:
    keyring.set_keyring(LockedKeyring())
    store = SecretStore()
    with pytest.raises(KeyringUnavailable, match=r"locked.*unlock it") as caught:
        await store.load("default")
    assert "TWILIO_" in str(caught.value)
    with pytest.raises(KeyringUnavailable, match="locked"):
        await store.save("default", FULL)
    status = await store.backend_status()
    assert "LockedKeyring" in status.name
    assert not status.usable
    assert "locked" in status.detail


async def test_init_error_is_reported() -> None:
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(KeyringUnavailable, match=r"could not be initialised.*no D-Bus session"):
        await SecretStore().load("default")


async def test_hanging_keyring_times_out_without_blocking_the_loop(
    hanging: HangingKeyring,
) -> None:
    store = SecretStore(timeout=0.5)
    task = asyncio.create_task(store.load("default"))
    # The loop keeps running while the keyring call hangs: this await completes on the loop.
    assert await asyncio.to_thread(hanging.entered.wait, 10)
    assert not task.done()
    with pytest.raises(KeyringUnavailable, match=r"did not answer within 0\.5 s") as caught:
        await task
    assert "unlock it" in str(caught.value)
    assert "TWILIO_ACCOUNT_SID" in str(caught.value)
    status = await store.backend_status()
    assert not status.usable
    assert "did not answer" in status.detail


# -- resolve ---------------------------------------------------------------------------------
async def test_resolve_env_overrides_keyring(
    memory: MemoryKeyring, no_credential_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SecretStore("sms-console-test")
    await store.save("default", Credentials(account_sid=SID, auth_token=TOKEN, from_number="+1"))
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+14155550101")
    creds, warnings = await resolve(store, "default")
    assert creds == Credentials(account_sid=SID, auth_token=TOKEN, from_number="+14155550101")
    assert warnings == []
    # the override is for this run only: the keyring still holds the stored value
    assert memory.entries[("sms-console-test", "default:from_number")] == "+1"


async def test_resolve_uses_env_when_keyring_unavailable(
    no_credential_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(LockedKeyring())
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    creds, warnings = await resolve(SecretStore(), "default")
    assert creds == Credentials(account_sid=SID, auth_token=TOKEN)
    assert len(warnings) == 1
    assert "locked" in warnings[0]
    assert "Using the TWILIO_* environment variables" in warnings[0]


async def test_resolve_nothing_configured(no_credential_env: None) -> None:
    keyring.set_keyring(no_backend())
    creds, warnings = await resolve(SecretStore(), "default")
    assert creds == Credentials()
    assert not creds.has_rest_auth
    assert len(warnings) == 1
    assert "No OS keyring backend" in warnings[0]


async def test_resolve_warns_when_webhooks_cannot_be_validated(
    memory: MemoryKeyring, no_credential_env: None
) -> None:
    store = SecretStore("sms-console-test")
    await store.save(
        "default", Credentials(account_sid=SID, api_key_sid=KEY_SID, api_key_secret=KEY_SECRET)
    )
    creds, warnings = await resolve(store, "default")
    assert creds.has_rest_auth
    assert warnings == [
        "No Auth Token is configured: REST calls work with the API key, but webhook signatures "
        "cannot be checked without the account's primary Auth Token."
    ]


def test_withheld_credentials_stay_usable_but_reach_no_child_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(secrets, "_withheld", {})
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok-" + "9" * 28)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    secrets.withhold_from_children()
    assert "TWILIO_AUTH_TOKEN" not in os.environ and "TWILIO_ACCOUNT_SID" not in os.environ
    creds = secrets.from_environment()
    assert creds.auth_token == "tok-" + "9" * 28 and creds.account_sid == "AC" + "1" * 32
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(sorted(k for k in os.environ if 'TWILIO' in k))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert child.stdout.strip() == "[]"
