"""The pages of the settings dialog: account and credentials, webhooks, sending, general.

Each page fills itself from ``Settings``/``Credentials``, validates inline (an error label
under the field, in the bad tone) and returns its part of the new values. Secrets use
``QLineEdit.Password`` with a show toggle; they are only ever handed to ``core.save_credentials``.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace
from pathlib import Path
from typing import Final

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.phone import (
    PhoneNumberError,
    SenderKind,
    classify_sender,
    is_valid_region,
    normalize,
)
from console.gateway.account import webhook_urls
from console.secrets import Credentials
from console.settings import Pacing, Settings
from console.ui.panel_kit import set_tone, wrap_label

ACCOUNT_SID: Final = re.compile(r"AC[0-9a-fA-F]{32}")
API_KEY_SID: Final = re.compile(r"SK[0-9a-fA-F]{32}")
PROFILE_NAME: Final = re.compile(r"[^:\s][^:]{0,39}")
NGROK_REGIONS: Final = ("", "us", "eu", "ap", "au", "sa", "jp", "in")
PACING_LABELS: Final = {
    "long_code": "&Long code (10DLC)",
    "toll_free": "T&oll-free",
    "short_code": "S&hort code",
    "messaging_service": "&Messaging Service",
    "alphanumeric": "Alp&hanumeric ID",
}


class FieldRow(QWidget):
    """A field with an inline error label beneath it."""

    def __init__(self, editor: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.error = wrap_label("", self)
        self.error.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(editor)
        box.addWidget(self.error)

    def set_error(self, text: str | None) -> None:
        """Show an error under the field (None clears it)."""
        self.error.setVisible(bool(text))
        self.error.setText(text or "")
        set_tone(self.error, "bad")
        self.error.setAccessibleName(f"{self.editor.accessibleName()} error")


class SecretEdit(QWidget):
    """A password field with a show/hide toggle."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(name)
        self.toggle = QToolButton(self)
        self.toggle.setText("Show")
        self.toggle.setCheckable(True)
        self.toggle.setAccessibleName(f"Show {name.lower()}")
        self.toggle.toggled.connect(self._toggled)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.edit, 1)
        box.addWidget(self.toggle)
        self.setFocusProxy(self.edit)

    def _toggled(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.edit.setEchoMode(mode)
        self.toggle.setText("Hide" if shown else "Show")

    def text(self) -> str:
        """The secret, stripped."""
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # mirrors QLineEdit's API
        """Set the secret."""
        self.edit.setText(text)


def _line(name: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    return edit


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class AccountPage(QWidget):
    """Profile, Twilio credentials, default sender and the keyring's state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profile_combo = QComboBox(self)
        self.profile_combo.setEditable(True)
        self.profile_combo.setAccessibleName("Profile")
        self.profile_combo.setToolTip("Pick a profile, or type a new name to create one")
        self.account_sid = _line("Account SID", "AC followed by 32 hex digits")
        self.auth_token = SecretEdit("Auth Token")
        self.api_key_sid = _line("API key SID (optional)", "SK… (optional)")
        self.api_key_secret = SecretEdit("API key secret")
        self.from_number = _line("Default From number", "+14155550100")
        self.service_sid = _line("Default Messaging Service SID", "MG… (takes precedence)")
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
            form.addRow(_label(text, self.rows[key].editor), self.rows[key])
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
        if sid and not (self.auth_token.text() or key):
            errors["auth_token"] = "Enter the Auth Token (or an API key and secret)."
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


class WebhooksPage(QWidget):
    """How Twilio reaches the console: ngrok tunnel, a fixed public URL, or local only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ngrok_radio = QRadioButton("&ngrok tunnel", self)
        self.fixed_radio = QRadioButton("&Fixed public URL", self)
        self.local_radio = QRadioButton("&Local only (no callbacks from Twilio)", self)
        self.mode_group = QButtonGroup(self)
        for i, radio in enumerate((self.ngrok_radio, self.fixed_radio, self.local_radio)):
            radio.setAccessibleName(radio.text().replace("&", ""))
            self.mode_group.addButton(radio, i)
        self.public_url = _line("Public URL", "https://console.example.com")
        self.ngrok_token = SecretEdit("ngrok auth token")
        self.ngrok_path = _line("ngrok binary path", "empty: pyngrok downloads ngrok")
        self.ngrok_domain = _line("ngrok domain", "e.g. my-name.ngrok-free.app (optional)")
        self.ngrok_region = QComboBox(self)
        self.ngrok_region.addItems([r or "default" for r in NGROK_REGIONS])
        self.ngrok_region.setAccessibleName("ngrok region")
        self.port = QSpinBox(self)
        self.port.setRange(0, 65535)
        self.port.setSpecialValueText("0 (any free port; callback URLs change at each start)")
        self.port.setAccessibleName("Local port")
        self.rows = {
            "public_url": FieldRow(self.public_url),
            "ngrok_path": FieldRow(self.ngrok_path),
            "ngrok_domain": FieldRow(self.ngrok_domain),
            "port": FieldRow(self.port),
        }
        modes = QVBoxLayout()
        for radio in (self.ngrok_radio, self.fixed_radio, self.local_radio):
            modes.addWidget(radio)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Reached by:", modes)
        form.addRow(_label("Public &URL:", self.public_url), self.rows["public_url"])
        form.addRow(_label("ngrok auth t&oken:", self.ngrok_token), self.ngrok_token)
        form.addRow(_label("ngrok &path:", self.ngrok_path), self.rows["ngrok_path"])
        form.addRow(_label("ngrok &domain:", self.ngrok_domain), self.rows["ngrok_domain"])
        form.addRow(_label("ngrok re&gion:", self.ngrok_region), self.ngrok_region)
        form.addRow(_label("Local p&ort:", self.port), self.rows["port"])
        self.mode_group.idToggled.connect(self._mode_changed)

    def _mode_changed(self, _id: int, _checked: bool) -> None:
        ngrok = self.ngrok_radio.isChecked()
        self.public_url.setEnabled(self.fixed_radio.isChecked())
        for w in (self.ngrok_token, self.ngrok_path, self.ngrok_domain, self.ngrok_region):
            w.setEnabled(ngrok)

    def load(self, settings: Settings, creds: Credentials) -> None:
        """Fill from settings (and the ngrok token from the credentials)."""
        if settings.public_url:
            self.fixed_radio.setChecked(True)
        elif settings.tunnel:
            self.ngrok_radio.setChecked(True)
        else:
            self.local_radio.setChecked(True)
        self._mode_changed(0, True)
        self.public_url.setText(settings.public_url)
        self.ngrok_path.setText(settings.ngrok_path)
        self.ngrok_domain.setText(settings.ngrok_domain)
        region = settings.ngrok_region if settings.ngrok_region in NGROK_REGIONS else ""
        self.ngrok_region.setCurrentIndex(NGROK_REGIONS.index(region))
        self.port.setValue(min(max(settings.port, 0), 65535))
        self.ngrok_token.setText(creds.ngrok_authtoken)

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with this page's values."""
        fixed = self.fixed_radio.isChecked()
        return replace(
            settings,
            public_url=self.public_url.text().strip().rstrip("/") if fixed else "",
            tunnel=self.ngrok_radio.isChecked(),
            ngrok_path=self.ngrok_path.text().strip(),
            ngrok_domain=self.ngrok_domain.text().strip(),
            ngrok_region=NGROK_REGIONS[self.ngrok_region.currentIndex()],
            port=self.port.value(),
        )

    def validate(self) -> bool:
        """Check the URL, the ngrok path and the port; show the problems inline."""
        errors: dict[str, str | None] = dict.fromkeys(self.rows)
        if self.fixed_radio.isChecked():
            url = self.public_url.text().strip()
            if not url:
                errors["public_url"] = "Enter the public base URL Twilio should call."
            else:
                try:
                    webhook_urls(url)
                except ValueError as exc:
                    errors["public_url"] = str(exc)
        path = self.ngrok_path.text().strip()
        if self.ngrok_radio.isChecked() and path and not Path(path).expanduser().is_file():
            errors["ngrok_path"] = f"No file at {path}: pick the ngrok binary, or leave it empty."
        domain = self.ngrok_domain.text().strip()
        if self.ngrok_radio.isChecked() and domain and ("/" in domain or "_" in domain):
            errors["ngrok_domain"] = (
                "Enter only the host name, e.g. my-name.ngrok-free.app (no https://, no '_')."
            )
        if 0 < self.port.value() < 1024:
            errors["port"] = (
                "Ports below 1024 need administrator rights: use 1024–65535 (default 8080)."
            )
        for name, text in errors.items():
            self.rows[name].set_error(text)
        return not any(errors.values())


class SendingPage(QWidget):
    """Default region for numbers typed without a country code, and pacing per sender kind."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.region = _line("Default region", "US")
        self.region.setMaxLength(2)
        self.region_row = FieldRow(self.region)
        self.rates: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_label("Default &region:", self.region), self.region_row)
        form.addRow(
            wrap_label(
                "Pacing, in segments per second per sender (Twilio queues beyond it and drops "
                "what waits more than 10 hours):"
            )
        )
        for f in fields(Pacing):
            spin = QDoubleSpinBox(self)
            spin.setRange(0.1, 1000.0)
            spin.setDecimals(1)
            spin.setSuffix(" segments/s")
            spin.setAccessibleName(f"Pacing for {PACING_LABELS[f.name].replace('&', '')}")
            self.rates[f.name] = spin
            form.addRow(_label(PACING_LABELS[f.name] + ":", spin), spin)

    def load(self, settings: Settings) -> None:
        """Fill from settings."""
        self.region.setText(settings.default_region)
        for name, spin in self.rates.items():
            spin.setValue(getattr(settings.pacing, name))

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with this page's values."""
        pacing = Pacing(**{name: spin.value() for name, spin in self.rates.items()})
        return replace(settings, default_region=self.region_code(), pacing=pacing)

    def region_code(self) -> str:
        """The region as typed, upper-cased."""
        return self.region.text().strip().upper()

    def validate(self) -> bool:
        """The region must be one ``phonenumbers`` knows."""
        ok = is_valid_region(self.region_code())
        self.region_row.set_error(
            None if ok else "Use a two-letter region code such as US, GB or DE."
        )
        return ok


class GeneralPage(QWidget):
    """Data directory (read-only), theme and notifications."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = _line("Data directory")
        self.data_dir.setReadOnly(True)
        self.open_button = QPushButton("Open &folder", self)
        self.open_button.setAccessibleName("Open data folder")
        self.theme = QComboBox(self)
        self.theme.addItems(["system", "light", "dark"])
        self.theme.setAccessibleName("Theme")
        self.notifications = QCheckBox("Show desktop &notifications for failures", self)
        self.notifications.setAccessibleName("Notifications")
        row = QHBoxLayout()
        row.addWidget(self.data_dir, 1)
        row.addWidget(self.open_button)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_label("&Data directory:", self.data_dir), row)
        form.addRow(
            "",
            wrap_label("Set with --data-dir or SMS_CONSOLE_HOME; it holds the database and logs."),
        )
        form.addRow(_label("T&heme:", self.theme), self.theme)
        form.addRow("", self.notifications)
        self.open_button.clicked.connect(self.open_folder)

    def load(self, settings: Settings) -> None:
        """Fill from settings."""
        self.data_dir.setText(str(settings.data_dir))
        theme = settings.theme if settings.theme in ("light", "dark") else "system"
        self.theme.setCurrentText(theme)
        self.notifications.setChecked(settings.notifications)

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with this page's values."""
        return replace(
            settings, theme=self.theme.currentText(), notifications=self.notifications.isChecked()
        )

    def open_folder(self) -> bool:
        """Open the data directory in the file manager."""
        return QDesktopServices.openUrl(QUrl.fromLocalFile(self.data_dir.text()))
