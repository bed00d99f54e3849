"""The settings dialog's account page: profile, Twilio credentials, default sender, keyring.

Secrets use ``QLineEdit.Password`` with a show toggle; they only ever go to
``core.save_credentials`` (the OS keyring). Validation is inline, under each field.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Final

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QPushButton, QWidget

from console.domain.phone import PhoneNumberError, SenderKind, classify_sender, normalize
from console.secrets import Credentials
from console.settings import Settings
from console.ui.panel_kit import wrap_label
from console.ui.settings_fields import FieldRow, SecretEdit, buddy_label, line_edit

ACCOUNT_SID: Final = re.compile(r"AC[0-9a-fA-F]{32}")
API_KEY_SID: Final = re.compile(r"SK[0-9a-fA-F]{32}")
AUTH_TOKEN: Final = re.compile(r"[0-9a-fA-F]{32}")
PROFILE_NAME: Final = re.compile(r"[^:\s][^:]{0,39}")


class AccountPage(QWidget):
    """Profile, Twilio credentials, default sender and the keyring's state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_combo = QComboBox(self)
        self.profile_combo.setEditable(True)
        self.profile_combo.setAccessibleName("Profile")
        self.profile_combo.setToolTip("Pick a profile, or type a new name to create one")
        self.account_sid = line_edit("Account SID", "AC followed by 32 hex digits")
        self.auth_token = SecretEdit("Auth Token")
        self.api_key_sid = line_edit("API key SID (optional)", "SK… (optional)")
        self.api_key_secret = SecretEdit("API key secret")
        self.from_number = line_edit("Default From number", "+14155550100")
        self.service_sid = line_edit("Default Messaging Service SID", "MG… (takes precedence)")
        self.rows = {
            "profile": FieldRow(self.profile_combo),
            "account_sid": FieldRow(self.account_sid),
            "auth_token": FieldRow(self.auth_token),
            "api_key_sid": FieldRow(self.api_key_sid),
            "api_key_secret": FieldRow(self.api_key_secret),
            "from_number": FieldRow(self.from_number),
            "messaging_service_sid": FieldRow(self.service_sid),
        }
        self.test_button = QPushButton("&Test credentials", self)
        self.test_button.setAccessibleName("Test credentials")
        self.test_result = wrap_label("", self, rich=True)
        self.test_result.setAccessibleName("Credentials test result")
        self.keyring_label = wrap_label("Checking the OS keyring…", self)
        self.keyring_label.setAccessibleName("Keyring state")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        labels = {
            "profile": "&Profile:",
            "account_sid": "Account &SID:",
            "auth_token": "Auth &Token:",
            "api_key_sid": "API &key SID:",
            "api_key_secret": "API key s&ecret:",
            "from_number": "Default &From:",
            "messaging_service_sid": "Messa&ging Service:",
        }
        for key, text in labels.items():
            form.addRow(buddy_label(text, self.rows[key].editor), self.rows[key])
        self.test_row = QHBoxLayout()
        self.test_row.addWidget(self.test_button)
        self.test_row.addStretch(1)
        form.addRow("", self.test_row)
        form.addRow("", self.test_result)
        form.addRow("Keyring:", self.keyring_label)

    def load(self, settings: Settings) -> None:
        """Fill the profile list."""
        self.profile_combo.clear()
        self.profile_combo.addItems(list(settings.profiles))
        self.profile_combo.setCurrentText(settings.active_profile)

    def set_credentials(self, creds: Credentials) -> None:
        """Fill the credential fields."""
        self.account_sid.setText(creds.account_sid)
        self.auth_token.setText(creds.auth_token)
        self.api_key_sid.setText(creds.api_key_sid)
        self.api_key_secret.setText(creds.api_key_secret)
        self.from_number.setText(creds.from_number)
        self.service_sid.setText(creds.messaging_service_sid)

    def profile(self) -> str:
        """The chosen or typed profile name."""
        return self.profile_combo.currentText().strip()

    def credentials(self, base: Credentials, region: str) -> Credentials:
        """``base`` (e.g. the ngrok token) with this page's fields applied."""
        from_raw = self.from_number.text().strip()
        try:
            from_number = normalize(from_raw, region) if from_raw else ""
        except PhoneNumberError:
            from_number = from_raw
        return replace(
            base,
            account_sid=self.account_sid.text().strip(),
            auth_token=self.auth_token.text(),
            api_key_sid=self.api_key_sid.text().strip(),
            api_key_secret=self.api_key_secret.text(),
            from_number=from_number,
            messaging_service_sid=self.service_sid.text().strip(),
        )

    def validate(self, region: str) -> bool:
        """Check every field; show the problems inline; True when all are fine."""
        errors: dict[str, str | None] = dict.fromkeys(self.rows)
        if not PROFILE_NAME.fullmatch(self.profile()):
            errors["profile"] = "A profile name is 1–40 characters, without ':'."
        sid = self.account_sid.text().strip()
        if sid and not ACCOUNT_SID.fullmatch(sid):
            errors["account_sid"] = (
                "An Account SID is AC followed by 32 hex digits: copy it from the Twilio Console."
            )
        key = self.api_key_sid.text().strip()
        if key and not API_KEY_SID.fullmatch(key):
            errors["api_key_sid"] = "An API key SID is SK followed by 32 hex digits."
        if key and not self.api_key_secret.text():
            errors["api_key_secret"] = "An API key needs its secret."
        token = self.auth_token.text().strip()
        if sid and not (token or key):
            errors["auth_token"] = "Enter the Auth Token (or an API key and secret)."
        elif token and not AUTH_TOKEN.fullmatch(token):
            errors["auth_token"] = (
                f"An Auth Token is 32 hex characters (this one has {len(token)}): copy it from "
                "the Twilio Console, Account › API keys & tokens."
            )
        from_raw = self.from_number.text().strip()
        if from_raw and classify_sender(from_raw) is SenderKind.INVALID:
            try:
                normalize(from_raw, region)
            except PhoneNumberError as exc:
                errors["from_number"] = exc.reason
        service = self.service_sid.text().strip()
        if service and classify_sender(service) is not SenderKind.MESSAGING_SERVICE:
            errors["messaging_service_sid"] = (
                "A Messaging Service SID is MG followed by 32 hex digits."
            )
        for name, text in errors.items():
            self.rows[name].set_error(text)
        return not any(errors.values())
