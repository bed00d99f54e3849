"""The window's status bar and mode banner: where the console listens, how Twilio reaches it.

:class:`AppStatusBar` shows the DEMO MODE badge, the account type (with a TRIAL badge), the
local server address, the tunnel state and public URL (click to copy) and the database
location; it follows ``bridge.stateChanged`` ("core" → CoreState, "tunnel" → TunnelState).
:class:`ModeBanner` is the strip above the tables that says plainly when nothing real is sent
(demo) or when a trial account limits what can be sent, plus any start-up warning.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStatusBar, QToolButton, QWidget
from sqlalchemy.engine import make_url

from console.core import CoreState
from console.tunnel.state import TunnelPhase, TunnelState
from console.ui.widgets.copy_label import CopyableLabel

DEMO_TEXT = (
    "DEMO MODE — messages go to the built-in simulator; nothing reaches a real phone. "
    "Add Twilio credentials in Settings (Ctrl+,) to go live."
)
TRIAL_TEXT = (
    "Trial account — messages reach only verified numbers, and bodies must follow a "
    "trial template. Verify recipients in Trial numbers."
)
_BADGE = (
    "QLabel {{ background: {bg}; color: #ffffff; border-radius: 3px; padding: 1px 6px; "
    "font-weight: bold; }}"
)
_TUNNEL_WORDS: dict[TunnelPhase, str] = {
    TunnelPhase.STARTING: "starting…",
    TunnelPhase.ONLINE: "online",
    TunnelPhase.RECONNECTING: "reconnecting…",
    TunnelPhase.FAILED: "failed",
    TunnelPhase.STOPPED: "stopped",
    TunnelPhase.LOCAL_ONLY: "local only",
}


def database_label(url: str) -> str:
    """A database URL as the operator reads it: the file path for SQLite, no password."""
    try:
        parsed = make_url(url)
    except Exception:
        return url
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or "in memory"
    return parsed.render_as_string(hide_password=True)


def badge(text: str, color: str, parent: QWidget | None = None) -> QLabel:
    """A small white-on-colour label (readable in light and dark themes)."""
    label = QLabel(text, parent)
    label.setStyleSheet(_BADGE.format(bg=color))
    return label


class AppStatusBar(QStatusBar):
    """Server, tunnel, account, mode and database, kept current from the bridge."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.demo_badge = badge("DEMO MODE", "#e65100", self)
        self.demo_badge.setAccessibleName("Demo mode")
        self.demo_badge.setToolTip(DEMO_TEXT)
        self.trial_badge = badge("TRIAL", "#8250df", self)
        self.trial_badge.setAccessibleName("Trial account")
        self.trial_badge.setToolTip(TRIAL_TEXT)
        self.account = QLabel("Account: —", self)
        self.account.setAccessibleName("Account")
        self.server = CopyableLabel("Server: starting…", self)
        self.server.setAccessibleName("Webhook server address")
        self.tunnel = CopyableLabel("Public URL: —", self)
        self.tunnel.setAccessibleName("Public URL and tunnel state")
        self.database = CopyableLabel("Database: —", self)
        self.database.setAccessibleName("Database location")
        self.database.setMaximumWidth(360)
        for widget in (
            self.demo_badge,
            self.trial_badge,
            self.account,
            self.server,
            self.tunnel,
            self.database,
        ):
            self.addPermanentWidget(widget)
        self.demo_badge.setVisible(False)
        self.trial_badge.setVisible(False)
        for label in (self.server, self.tunnel, self.database):
            label.copied.connect(self._copied)

    @Slot(str, object)
    def on_state_changed(self, topic: str, state: object) -> None:
        """Follow the services' states (``bridge.stateChanged``)."""
        if topic == "core" and isinstance(state, CoreState):
            self.set_core_state(state)
        elif topic == "tunnel" and isinstance(state, TunnelState):
            self.set_tunnel_state(state)

    def set_core_state(self, state: CoreState) -> None:
        """Show the console's mode, account, server and database."""
        self.demo_badge.setVisible(state.mode == "demo")
        account = state.account
        self.trial_badge.setVisible(account is not None and account.is_trial)
        if account is None:
            self.account.setText("Account: —" if state.mode != "demo" else "Account: simulator")
            self.account.setToolTip("")
        else:
            name = self.account.fontMetrics().elidedText(
                account.friendly_name, Qt.TextElideMode.ElideRight, 180
            )
            self.account.setText(f"{account.type} account · {name}")
            balance = (
                f"\nBalance: {account.balance} {account.currency or ''}"
                if (account.balance)
                else ""
            )
            self.account.setToolTip(
                f"Account {account.sid} ({account.status}), profile {state.profile}{balance}"
            )
        if state.server_url:
            self.server.setText(f"Server: {state.server_url}")
            self.server.set_copy_text(state.server_url)
        else:
            self.server.setText("Server: not running")
            self.server.set_copy_text("")
        db = database_label(state.database)
        metrics = self.database.fontMetrics()
        self.database.setText(
            "Database: " + metrics.elidedText(db, Qt.TextElideMode.ElideMiddle, 260)
        )
        self.database.set_copy_text(db)
        if state.tunnel is not None:
            self.set_tunnel_state(state.tunnel)

    def set_tunnel_state(self, state: TunnelState) -> None:
        """Show how Twilio reaches the console (click copies the public URL)."""
        word = _TUNNEL_WORDS.get(state.phase, state.phase.value)
        if state.public_url:
            self.tunnel.setText(f"Public URL: {state.public_url} ({word})")
            self.tunnel.set_copy_text(state.public_url)
            if state.detail:
                self.tunnel.setToolTip(f"{state.public_url}\n{state.detail}\nClick to copy")
        else:
            kind = {"ngrok": "Tunnel", "fixed": "Public URL", "local": "Public URL"}[state.kind]
            self.tunnel.setText(f"{kind}: {word}")
            self.tunnel.set_copy_text("")
            self.tunnel.setToolTip(state.detail)

    @Slot(str)
    def _copied(self, text: str) -> None:
        self.showMessage(f"Copied {text}", 4000)


class ModeBanner(QFrame):
    """A strip above the tables for demo mode, trial accounts and start-up warnings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modeBanner")
        self.setAccessibleName("Console mode")
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAccessibleName("Hide the banner")
        self.close_button.setToolTip("Hide until the mode changes")
        self.close_button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._shown = ""
        self._dismissed = ""
        self.close_button.clicked.connect(self._dismiss)
        self.setVisible(False)

    @Slot(str, object)
    def on_state_changed(self, topic: str, state: object) -> None:
        """Follow the console state (``bridge.stateChanged``)."""
        if topic == "core" and isinstance(state, CoreState):
            self.set_core_state(state)

    def set_core_state(self, state: CoreState) -> None:
        """Say what the mode means and repeat start-up warnings."""
        lines: list[tuple[str, str]] = []
        if state.mode == "demo":
            lines.append(("#e65100", DEMO_TEXT))
        elif state.account is not None and state.account.is_trial:
            lines.append(("#8250df", TRIAL_TEXT))
        demo = state.mode == "demo"
        lines.extend(
            ("#9a6700", w) for w in state.warnings if not (demo and "demo mode" in w.lower())
        )
        html = "<br>".join(
            f'<span style="background:{c}; color:#ffffff; font-weight:bold">&nbsp;!&nbsp;</span>'
            f"&nbsp;{escape(text)}"
            for c, text in lines
        )
        self._shown = html
        self.text.setText(html)
        self.setVisible(bool(html) and html != self._dismissed)

    @Slot()
    def _dismiss(self) -> None:
        self._dismissed = self._shown
        self.setVisible(False)
