"""The settings dialog: profiles and credentials, webhooks and tunnel, sending, general.

Credentials are read from and written to the OS keyring through the core (never on the GUI
thread); every other setting goes to ``core.apply_settings``, which saves the settings file and
restarts what changed. Validation is inline; a keyring that cannot be used is reported with
what to do, and nothing is written to disk instead.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.runtime import Bridge, Runtime
from console.secrets import BackendStatus, Credentials
from console.settings import Settings
from console.ui.panel_kit import BusyIndicator, call_for, error_html, set_tone, wrap_label
from console.ui.settings_account import AccountPage
from console.ui.settings_pages import GeneralPage, SendingPage, WebhooksPage

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)


class SettingsDialog(QDialog):
    """Edit and save the console's settings and the active profile's credentials."""

    saved = Signal(object)  # the new Settings, once applied

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.loaded_profile: str | None = None
        self.loaded: Credentials | None = None  # what the keyring held when loaded
        self.keyring: BackendStatus | None = None
        self._busy_count = 0
        self._build()
        self._connect_signals()
        self._load(core.settings)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.account = AccountPage(self)
        self.webhooks = WebhooksPage(self)
        self.sending = SendingPage(self)
        self.general = GeneralPage(self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Settings pages")
        self.tabs.addTab(self.account, "&Account")
        self.tabs.addTab(self.webhooks, "&Webhooks")
        self.tabs.addTab(self.sending, "S&ending")
        self.tabs.addTab(self.general, "&General")
        self.busy = BusyIndicator("Working", self)
        self.account.test_row.insertWidget(1, self.busy)
        self.status_label = wrap_label("", self, rich=True)
        self.status_label.setAccessibleName("Settings status")
        self.status_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save settings")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.buttons)
        root = QVBoxLayout(self)
        root.addWidget(self.tabs, 1)
        root.addLayout(bottom)
        self.resize(640, 560)

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.account.test_button.clicked.connect(self.test_credentials)
        self.account.profile_combo.activated.connect(self._profile_picked)

    # -- loading -------------------------------------------------------------------------------
    def _load(self, settings: Settings) -> None:
        self.account.load(settings)
        self.webhooks.load(settings, Credentials())
        self.sending.load(settings)
        self.general.load(settings)
        self._call(self.core.keyring_status(), self._on_keyring, self._on_keyring_error)
        self.load_profile(settings.active_profile)

    def load_profile(self, profile: str) -> None:
        """Read a profile's credentials from the keyring and show them."""
        self._call(
            self.core.load_credentials(profile),
            lambda creds: self._on_credentials(profile, creds),
            self._on_keyring_error,
        )

    def _profile_picked(self, index: int) -> None:
        profile = self.account.profile_combo.itemText(index)
        if profile and profile != self.loaded_profile:
            self.load_profile(profile)

    def _on_credentials(self, profile: str, creds: Credentials) -> None:
        if profile != self.account.profile_combo.currentText():
            return  # a late answer for a profile no longer shown: never mix two profiles
        self.loaded_profile, self.loaded = profile, creds
        self.account.set_credentials(creds)
        self.webhooks.ngrok_token.setText(creds.ngrok_authtoken)

    def _on_keyring(self, status: BackendStatus) -> None:
        self.keyring = status
        self.account.keyring_label.setText(status.detail)
        set_tone(self.account.keyring_label, "good" if status.usable else "bad")

    def _on_keyring_error(self, exc: BaseException) -> None:
        self.account.keyring_label.setText(
            f"{exc} Credentials cannot be loaded or saved until this is fixed."
        )
        set_tone(self.account.keyring_label, "bad")

    # -- busy ----------------------------------------------------------------------------------
    def _call(self, coro: Any, on_result: Any, on_error: Any) -> None:
        self._busy(+1)

        def done(value: Any) -> None:
            self._busy(-1)
            on_result(value)

        def failed(exc: BaseException) -> None:
            self._busy(-1)
            on_error(exc)

        call_for(self, self.bridge, self.runtime, coro, done, failed)

    def _busy(self, delta: int) -> None:
        self._busy_count += delta
        on = self._busy_count > 0
        self.busy.busy(on)
        self.save_button.setEnabled(not on)
        self.account.test_button.setEnabled(not on)

    @property
    def working(self) -> bool:
        """Whether a call to the runtime is in flight."""
        return self._busy_count > 0

    # -- values --------------------------------------------------------------------------------
    def new_settings(self) -> Settings:
        """The settings as edited (profiles include a newly typed one)."""
        s = self.core.settings
        profile = self.account.profile()
        profiles = s.profiles if profile in s.profiles else (*s.profiles, profile)
        s = replace(s, active_profile=profile, profiles=profiles)
        s = self.webhooks.apply(s)
        s = self.sending.apply(s)
        return self.general.apply(s)

    def new_credentials(self) -> Credentials:
        """The credentials as edited."""
        token = self.webhooks.ngrok_token.text()
        base = replace(self.loaded or Credentials(), ngrok_authtoken=token)
        return self.account.credentials(base, self.sending.region_code() or "US")

    def validate(self) -> bool:
        """Validate every page; switch to the first page with a problem."""
        region_ok = self.sending.validate()
        region = self.sending.region_code() if region_ok else "US"
        results = [
            (self.account, self.account.validate(region)),
            (self.webhooks, self.webhooks.validate()),
            (self.sending, region_ok),
            (self.general, True),
        ]
        for page, ok in results:
            if not ok:
                self.tabs.setCurrentWidget(page)
                self._status("Fix the fields marked in red, then save again.", "bad")
                return False
        return True

    def _status(self, text: str, tone: str | None) -> None:
        self.status_label.setText(text)
        set_tone(self.status_label, tone)
        self.status_label.setVisible(bool(text))

    # -- actions -------------------------------------------------------------------------------
    def test_credentials(self) -> None:
        """Check the typed credentials against Twilio (or the configured API base URL)."""
        if not self.account.validate(self.sending.region_code() or "US") or self.working:
            return
        self.account.test_result.setText("Testing…")
        set_tone(self.account.test_result, None)
        self._call(
            self.core.test_credentials(self.new_credentials()),
            self._on_tested,
            self._on_test_error,
        )

    def _on_tested(self, summary: Any) -> None:
        balance = ""
        if getattr(summary, "balance", None):
            balance = f", balance {summary.balance} {summary.currency or ''}".rstrip()
        self.account.test_result.setText(
            f"✓ Connected to {summary.friendly_name} ({summary.type} account, "
            f"{summary.status}{balance})."
        )
        set_tone(self.account.test_result, "good")

    def _on_test_error(self, exc: BaseException) -> None:
        self.account.test_result.setText(error_html(exc))
        set_tone(self.account.test_result, "bad")

    def save(self) -> None:
        """Validate, store the credentials if they changed, then apply the settings."""
        if self.working or not self.validate():
            return
        settings = self.new_settings()
        creds = self.new_credentials()
        profile = settings.active_profile
        self._status("Saving…", None)
        # A profile not read from the keyring (new, or the read failed) is written only if the
        # operator typed credentials: never write blanks over what could not be read.
        loaded = profile == self.loaded_profile
        if (creds != self.loaded) if loaded else not creds.is_empty:
            self._call(
                self.core.save_credentials(profile, creds),
                lambda _none: self._apply(settings, profile, creds),
                self._on_save_error,
            )
        else:
            self._apply(settings, profile, creds)

    def _apply(self, settings: Settings, profile: str, creds: Credentials) -> None:
        self.loaded_profile, self.loaded = profile, creds
        self._status("Applying the settings (restarting the services)…", None)
        self._call(
            self.core.apply_settings(settings),
            lambda _none: self._on_applied(settings),
            self._on_apply_error,
        )

    def _on_applied(self, settings: Settings) -> None:
        self._status("Saved.", "good")
        self.saved.emit(settings)
        self.accept()

    def _on_save_error(self, exc: BaseException) -> None:
        self._status(
            f"Nothing was saved: the credentials could not be stored. {error_html(exc)}", "bad"
        )

    def _on_apply_error(self, exc: BaseException) -> None:
        self._status(
            f"The credentials are saved, but the settings could not be applied. {error_html(exc)}",
            "bad",
        )
