"""The settings dialog's other pages: webhooks and tunnel, sending, general.

Each page fills itself from ``Settings`` (the ngrok token from ``Credentials``), validates
inline (an error label under the field, in the bad tone) and returns its part of the new values.
The account page is in :mod:`console.ui.settings_account`.
"""

from __future__ import annotations

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
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.domain.phone import (
    is_valid_region,
)
from console.gateway.account import webhook_urls
from console.secrets import Credentials
from console.settings import Pacing, Settings
from console.ui.panel_kit import wrap_label
from console.ui.settings_fields import FieldRow, SecretEdit, buddy_label, line_edit

NGROK_REGIONS: Final = ("", "us", "eu", "ap", "au", "sa", "jp", "in")
PACING_LABELS: Final = {
    "long_code": "&Long code (10DLC)",
    "toll_free": "T&oll-free",
    "short_code": "S&hort code",
    "messaging_service": "&Messaging Service",
    "alphanumeric": "Alp&hanumeric ID",
}


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
        self.public_url = line_edit("Public URL", "https://console.example.com")
        self.ngrok_token = SecretEdit("ngrok auth token")
        self.ngrok_path = line_edit("ngrok binary path", "empty: pyngrok downloads ngrok")
        self.ngrok_domain = line_edit("ngrok domain", "e.g. my-name.ngrok-free.app (optional)")
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
        form.addRow(buddy_label("Public &URL:", self.public_url), self.rows["public_url"])
        form.addRow(buddy_label("ngrok auth t&oken:", self.ngrok_token), self.ngrok_token)
        form.addRow(buddy_label("ngrok &path:", self.ngrok_path), self.rows["ngrok_path"])
        form.addRow(buddy_label("ngrok &domain:", self.ngrok_domain), self.rows["ngrok_domain"])
        form.addRow(buddy_label("ngrok re&gion:", self.ngrok_region), self.ngrok_region)
        form.addRow(buddy_label("Local p&ort:", self.port), self.rows["port"])
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
        self.region = line_edit("Default region", "US")
        self.region.setMaxLength(2)
        self.region_row = FieldRow(self.region)
        self.rates: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy_label("Default &region:", self.region), self.region_row)
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
            form.addRow(buddy_label(PACING_LABELS[f.name] + ":", spin), spin)

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
        self.data_dir = line_edit("Data directory")
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
        form.addRow(buddy_label("&Data directory:", self.data_dir), row)
        form.addRow(
            "",
            wrap_label("Set with --data-dir or SMS_CONSOLE_HOME; it holds the database and logs."),
        )
        form.addRow(buddy_label("T&heme:", self.theme), self.theme)
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
