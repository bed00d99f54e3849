"""The settings dialog through the real services: keyring storage, restart, validation, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring.errors
import pytest
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from console.secrets import Credentials
from console.settings import SETTINGS_FILE, Settings
from console.ui.settings_dialog import SettingsDialog
from tests.fakes.keyrings import LockedKeyring, MemoryKeyring
from tests.gui.helpers_panels import (
    TIMEOUT_MS,
    DemoConsole,
    running_demo,
    unnamed_controls,
)
from tests.gui.test_trial_panel import TRIAL, trial_console

SID = "AC" + "1" * 32
TOKEN = "a1b2c3d4" * 4
NGROK = "2abcNGROKsecretToken_xyz"


def open_dialog(qtbot: QtBot, console: DemoConsole) -> SettingsDialog:
    dialog = SettingsDialog(console.core, console.runtime, console.bridge)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.working, timeout=TIMEOUT_MS)
    return dialog


def test_credentials_go_to_the_keyring_and_survive_a_restart(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    first = running_demo(tmp_path, monkeypatch, backend)
    console = next(first)
    try:
        dialog = open_dialog(qtbot, console)
        assert "Credentials are stored in" in dialog.account.keyring_label.text()
        assert dialog.account.account_sid.text() == ""
        dialog.account.account_sid.setText(SID)
        dialog.account.auth_token.setText(TOKEN)
        dialog.account.from_number.setText("(415) 555-0123")
        dialog.webhooks.ngrok_token.setText(NGROK)
        dialog.general.theme.setCurrentText("dark")
        dialog.general.notifications.setChecked(False)
        dialog.sending.rates["toll_free"].setValue(2.5)
        with qtbot.waitSignal(dialog.saved, timeout=TIMEOUT_MS) as saved:
            dialog.save_button.click()
        new: Settings = saved.args[0]
        assert (new.theme, new.notifications, new.pacing.toll_free) == ("dark", False, 2.5)
        assert console.core.settings == new  # applied: the core restarted with them
        assert console.core.state.mode == "demo"
    finally:
        first.close()

    assert backend.entries[("sms-console", "default:account_sid")] == SID
    assert backend.entries[("sms-console", "default:auth_token")] == TOKEN
    assert backend.entries[("sms-console", "default:from_number")] == "+14155550123"
    assert backend.entries[("sms-console", "default:ngrok_authtoken")] == NGROK
    on_disk = (tmp_path / "data" / SETTINGS_FILE).read_text(encoding="utf-8")
    assert json.loads(on_disk)["theme"] == "dark"
    assert TOKEN not in on_disk and NGROK not in on_disk  # secrets only in the keyring

    # a new console on the same data directory and keyring reads everything back
    again = running_demo(tmp_path, monkeypatch, backend, Settings.load(tmp_path / "data"))
    console = next(again)
    try:
        dialog = open_dialog(qtbot, console)
        assert dialog.account.account_sid.text() == SID
        assert dialog.account.auth_token.text() == TOKEN
        assert dialog.account.auth_token.edit.echoMode() == QLineEdit.EchoMode.Password
        assert dialog.account.from_number.text() == "+14155550123"
        assert dialog.webhooks.ngrok_token.text() == NGROK
        assert dialog.general.theme.currentText() == "dark"
        assert not dialog.general.notifications.isChecked()
        assert dialog.sending.rates["toll_free"].value() == 2.5
    finally:
        again.close()


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from running_demo(tmp_path, monkeypatch)


def test_validation_is_inline_and_blocks_saving(qtbot: QtBot, demo: DemoConsole) -> None:
    dialog = open_dialog(qtbot, demo)
    dialog.account.account_sid.setText("AC123")
    dialog.webhooks.fixed_radio.setChecked(True)
    dialog.webhooks.public_url.setText("https://my_host.example.com")
    dialog.webhooks.port.setValue(80)
    dialog.sending.region.setText("ZZ")
    dialog.save_button.click()
    assert not dialog.working  # nothing was sent to the runtime
    assert dialog.tabs.currentWidget() is dialog.account
    rows = dialog.account.rows
    assert "AC followed by 32 hex digits" in rows["account_sid"].error.text()
    assert "'_'" in dialog.webhooks.rows["public_url"].error.text()
    assert "below 1024" in dialog.webhooks.rows["port"].error.text()
    assert "two-letter region" in dialog.sending.region_row.error.text()
    assert "Fix the fields marked in red" in dialog.status_label.text()

    dialog.account.account_sid.setText(SID)
    dialog.account.auth_token.setText(TOKEN)
    dialog.save_button.click()
    assert dialog.tabs.currentWidget() is dialog.webhooks  # the next page with a problem
    assert rows["account_sid"].error.isHidden()
    dialog.webhooks.public_url.setText("ftp://example.com")
    assert not dialog.webhooks.validate()
    assert "not a public base URL" in dialog.webhooks.rows["public_url"].error.text()
    dialog.webhooks.public_url.setText("https://console.example.com/")
    dialog.webhooks.port.setValue(8080)
    dialog.sending.region.setText("gb")
    assert dialog.validate()
    assert dialog.new_settings().public_url == "https://console.example.com"
    assert dialog.new_settings().default_region == "GB"
    assert dialog.new_settings().tunnel is False


def test_secret_fields_are_masked_with_a_show_toggle(qtbot: QtBot, demo: DemoConsole) -> None:
    dialog = open_dialog(qtbot, demo)
    secret = dialog.account.auth_token
    assert secret.edit.echoMode() == QLineEdit.EchoMode.Password
    secret.toggle.click()
    assert secret.edit.echoMode() == QLineEdit.EchoMode.Normal
    assert secret.toggle.text() == "Hide"
    secret.toggle.click()
    assert secret.edit.echoMode() == QLineEdit.EchoMode.Password
    a, w, g = dialog.account, dialog.webhooks, dialog.general
    controls = [
        a.profile_combo,
        a.account_sid,
        a.auth_token.edit,
        a.auth_token.toggle,
        a.api_key_sid,
        a.api_key_secret.edit,
        a.from_number,
        a.service_sid,
        a.test_button,
        w.ngrok_radio,
        w.fixed_radio,
        w.local_radio,
        w.public_url,
        w.ngrok_token.edit,
        w.ngrok_path,
        w.ngrok_domain,
        w.ngrok_region,
        w.port,
        dialog.sending.region,
        *dialog.sending.rates.values(),
        g.data_dir,
        g.open_button,
        g.theme,
        g.notifications,
        dialog.save_button,
    ]
    for control in controls:
        assert control.accessibleName(), control
    assert unnamed_controls(dialog) == []


def test_new_profile_is_added_and_loaded_separately(qtbot: QtBot, demo: DemoConsole) -> None:
    demo.run(demo.core.save_credentials("staging", Credentials(account_sid=SID)))
    dialog = open_dialog(qtbot, demo)
    dialog.account.profile_combo.setEditText("staging")
    dialog.load_profile("staging")
    qtbot.waitUntil(lambda: dialog.loaded_profile == "staging", timeout=TIMEOUT_MS)
    assert dialog.account.account_sid.text() == SID
    settings = dialog.new_settings()
    assert settings.active_profile == "staging"
    assert settings.profiles == ("default", "staging")


def test_a_profile_name_longer_than_40_characters_is_refused_with_the_rule(
    qtbot: QtBot, demo: DemoConsole
) -> None:
    dialog = open_dialog(qtbot, demo)
    dialog.account.profile_combo.setEditText("p" * 41)
    assert dialog.account.validate("US") is False
    dialog.account.profile_combo.setEditText("p" * 40)
    assert dialog.account.validate("US") is True


def test_an_auth_token_that_is_not_32_hex_characters_is_refused(
    qtbot: QtBot, demo: DemoConsole
) -> None:
    dialog = open_dialog(qtbot, demo)
    dialog.account.account_sid.setText(SID)
    dialog.account.auth_token.setText("abc123")
    assert dialog.account.validate("US") is False
    dialog.account.auth_token.setText(TOKEN)
    assert dialog.account.validate("US") is True


def test_locked_keyring_is_reported_with_what_to_do(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = running_demo(tmp_path, monkeypatch, LockedKeyring())
    console = next(gen)
    try:
        dialog = open_dialog(qtbot, console)
        label = dialog.account.keyring_label.text()
        assert "locked" in label and "unlock it" in label
        dialog.account.account_sid.setText(SID)
        dialog.account.auth_token.setText(TOKEN)
        dialog.save_button.click()
        qtbot.waitUntil(lambda: not dialog.working, timeout=TIMEOUT_MS)
        status = dialog.status_label.text()
        assert status.startswith("Nothing was saved")
        assert "unlock" in status
        assert dialog.result() == 0  # not accepted: the operator can fix the keyring and retry
        assert dialog.save_button.isEnabled()
    finally:
        gen.close()


class _UrlCatcher(QObject):
    """Receives the URLs QDesktopServices would open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url)


def test_open_folder_opens_the_data_directory(qtbot: QtBot, demo: DemoConsole) -> None:
    dialog = open_dialog(qtbot, demo)
    assert dialog.general.data_dir.isReadOnly()
    assert dialog.general.data_dir.text() == str(demo.settings.data_dir)
    catcher = _UrlCatcher()
    # PySide6 takes the slot's name as str, whatever its stub says
    QDesktopServices.setUrlHandler("file", catcher, "handle")  # type: ignore[arg-type]
    try:
        dialog.general.open_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [u.toLocalFile() for u in catcher.urls] == [str(demo.settings.data_dir)]


def test_test_credentials_shows_the_account_or_the_error(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gen = trial_console(tmp_path, monkeypatch)
    console = next(gen)
    try:
        dialog = open_dialog(qtbot, console)
        assert dialog.account.account_sid.text() == TRIAL.sid  # read from the keyring
        dialog.account.test_button.click()
        assert dialog.working and not dialog.busy.isHidden()
        qtbot.waitUntil(lambda: not dialog.working, timeout=TIMEOUT_MS)
        assert dialog.account.test_result.text() == (
            "✓ Connected to Trial test account (Trial account, active, balance 25.00 USD)."
        )
        dialog.account.auth_token.setText("0" * 32)
        dialog.account.test_button.click()
        qtbot.waitUntil(lambda: not dialog.working, timeout=TIMEOUT_MS)
        result = dialog.account.test_result.text()
        assert "20003" in result and "Authentication failed" in result
    finally:
        gen.close()


class _UnreadableKeyring(MemoryKeyring):
    """Holds a profile's secrets but cannot read them now (a timed-out or failed unlock)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


def test_saving_other_settings_never_blanks_credentials_it_could_not_read(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = {("sms-console", "default:auth_token"): "kept-secret"}
    backend = _UnreadableKeyring(stored)
    gen = running_demo(tmp_path, monkeypatch, backend)
    console = next(gen)
    try:
        dialog = open_dialog(qtbot, console)
        assert dialog.loaded_profile is None  # the read failed
        with qtbot.waitSignal(dialog.saved, timeout=TIMEOUT_MS):
            dialog.save_button.click()
        assert backend.entries == stored
    finally:
        gen.close()
