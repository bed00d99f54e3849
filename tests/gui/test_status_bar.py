"""Status bar and mode banner: server, tunnel (click to copy), account, demo, database."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.core import CoreState
from console.gateway.account import AccountSummary
from console.runtime import Bridge
from console.tunnel.state import TunnelPhase, TunnelState
from console.ui.status_bar import DEMO_TEXT, TRIAL_TEXT, AppStatusBar, ModeBanner, database_label

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

TRIAL = AccountSummary("AC123", "Ops trial", "Trial", "active", "14.50", "USD")
FULL = AccountSummary("AC456", "Ops", "Full", "active", None, None)


def state(**changes: object) -> CoreState:
    base: dict[str, object] = {
        "mode": "live",
        "profile": "default",
        "account": FULL,
        "server_url": "http://127.0.0.1:8080",
        "public_url": None,
        "tunnel": None,
        "database": "sqlite:////home/op/.local/share/sms-console/console.db",
        "warnings": (),
    }
    base.update(changes)
    return CoreState(**base)  # type: ignore[arg-type]  # test values by keyword


def shown(qtbot: QtBot) -> AppStatusBar:
    bar = AppStatusBar()
    qtbot.addWidget(bar)
    bar.resize(1400, 30)
    bar.show()
    return bar


def test_demo_mode_is_labelled(qtbot: QtBot) -> None:
    bar = shown(qtbot)
    bar.set_core_state(state(mode="demo"))
    assert bar.demo_badge.isVisible() and not bar.trial_badge.isVisible()
    assert bar.server.text() == "Server: http://127.0.0.1:8080"
    assert "/home/op/.local/share/sms-console/console.db" in bar.database.copy_text
    banner = ModeBanner()
    qtbot.addWidget(banner)
    banner.show()
    banner.set_core_state(state(mode="demo", warnings=("No credentials: demo mode.",)))
    assert banner.isVisible() and "DEMO MODE" in banner.text.text()
    assert "No credentials" not in banner.text.text()  # said once, by the demo line


def test_trial_account_gets_a_badge_and_a_banner(qtbot: QtBot) -> None:
    bar = shown(qtbot)
    bar.set_core_state(state(account=TRIAL))
    assert bar.trial_badge.isVisible() and not bar.demo_badge.isVisible()
    assert bar.account.text().startswith("Trial account · Ops trial")
    assert "14.50 USD" in bar.account.toolTip()
    banner = ModeBanner()
    qtbot.addWidget(banner)
    banner.show()
    banner.set_core_state(state(account=TRIAL, warnings=("Port 8080 is in use",)))
    assert TRIAL_TEXT.split(" — ")[0] in banner.text.text()
    assert "Port 8080 is in use" in banner.text.text()
    QTest.mouseClick(banner.close_button, Qt.MouseButton.LeftButton)
    assert not banner.isVisible()
    banner.set_core_state(state(account=TRIAL, warnings=("Port 8080 is in use",)))
    assert not banner.isVisible()  # dismissed until something changes
    banner.set_core_state(state(mode="demo"))
    assert banner.isVisible() and DEMO_TEXT.split(" — ")[0] in banner.text.text()
    banner.set_core_state(state())
    assert not banner.isVisible()  # a full live account needs no banner


def test_public_url_follows_the_tunnel_and_copies_on_click(qtbot: QtBot, bridge: Bridge) -> None:
    bar = shown(qtbot)
    bridge.stateChanged.connect(bar.on_state_changed)
    with qtbot.waitSignal(bridge.stateChanged):
        bridge.publish_state("tunnel", TunnelState("ngrok", TunnelPhase.STARTING))
    assert bar.tunnel.text() == "Tunnel: starting…"
    url = "https://ops-console.ngrok-free.app"
    with qtbot.waitSignal(bridge.stateChanged):
        bridge.publish_state("tunnel", TunnelState("ngrok", TunnelPhase.ONLINE, url))
    assert bar.tunnel.text() == f"Public URL: {url} (online)"
    with qtbot.waitSignal(bar.tunnel.copied):
        QTest.mouseClick(bar.tunnel, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == url
    assert bar.currentMessage() == f"Copied {url}"
    failed = TunnelState(
        "ngrok", TunnelPhase.FAILED, detail="ERR_NGROK_4018: add your authtoken in Settings"
    )
    with qtbot.waitSignal(bridge.stateChanged):
        bridge.publish_state("tunnel", failed)
    assert bar.tunnel.text() == "Tunnel: failed"
    assert "authtoken" in bar.tunnel.toolTip()
    assert bar.tunnel.copy_text == ""


def test_core_state_through_the_bridge(qtbot: QtBot, bridge: Bridge) -> None:
    bar = shown(qtbot)
    bridge.stateChanged.connect(bar.on_state_changed)
    fixed = TunnelState("fixed", TunnelPhase.ONLINE, "https://sms.example.com")
    with qtbot.waitSignal(bridge.stateChanged):
        bridge.publish_state("core", state(tunnel=fixed, server_url=None))
    assert bar.server.text() == "Server: not running"
    assert bar.tunnel.copy_text == "https://sms.example.com"
    bar.on_state_changed("bulk", object())  # other topics are not the status bar's


def test_database_label_hides_passwords() -> None:
    assert database_label("sqlite:////data/console.db") == "/data/console.db"
    shown_url = database_label("postgresql://ops:hunter2@db.example.com/sms")
    assert "hunter2" not in shown_url and "db.example.com" in shown_url
