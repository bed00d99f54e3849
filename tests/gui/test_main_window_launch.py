"""Launch: one console per data directory, a clear dialog when the services cannot start,
Qt messages in the log, themes; and the failure notifier."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QMessageLogContext, QtMsgType
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.domain.model import DeliveryRecord, SendState
from console.runtime import Bridge
from console.settings import Settings
from console.ui.launch import GuiApp, qt_message_handler, run_gui
from console.ui.notify import FailureNotifier
from console.ui.single_instance import SingleInstance, server_name
from console.ui.theme import apply_theme, dark_palette, effective_theme, is_dark
from tests.fakes.keyrings import MemoryKeyring, installed_keyring
from tests.gui.helpers_panels import clear_twilio_env

pytestmark = pytest.mark.qt_log_ignore("does not support (propagateSizeHints|raise)")


def test_a_second_launch_raises_the_first_and_exits_0(qtbot: QtBot, data_dir: Path) -> None:
    first = SingleInstance(data_dir)
    assert first.listen()
    try:
        with qtbot.waitSignal(first.activated, timeout=5000):
            assert run_gui(Settings(data_dir=data_dir, demo=True, port=0)) == 0
    finally:
        first.close()
    other = SingleInstance(data_dir.parent / "elsewhere")
    assert other.name != first.name and not other.notify_running()
    assert server_name(data_dir) == server_name(data_dir / "." / "")


def test_a_stale_name_from_a_crash_is_taken_over(qtbot: QtBot, data_dir: Path) -> None:
    crashed = SingleInstance(data_dir)
    assert crashed.listen()
    taker = SingleInstance(data_dir)
    assert taker.listen()  # removes the name and listens again
    crashed.close()
    taker.close()


def test_the_running_console_comes_to_the_front(
    qtbot: QtBot, qapp: QApplication, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_twilio_env(monkeypatch)
    settings = Settings(data_dir=data_dir, demo=True, port=0, tunnel=False, theme="dark")
    style, palette = qapp.style().name(), qapp.palette()
    with installed_keyring(MemoryKeyring()):
        session = GuiApp(settings, qapp)
        try:
            with qtbot.waitSignal(session.started, timeout=30_000):
                session.start()
            window = session.window
            assert window is not None
            assert qapp.style().name().lower() == "fusion" and is_dark(qapp.palette())
            window.showMinimized()
            with qtbot.waitSignal(session.instance.activated, timeout=5000):
                assert SingleInstance(data_dir).notify_running()
            assert not window.isMinimized() and window.isVisible()
        finally:
            session.shutdown()
            qapp.setStyle(style)
            qapp.setPalette(palette)
    assert not session.runtime.running  # services stopped, then the runtime
    assert session.core is not None and session.core.state.mode == "stopped"


def test_a_failed_start_shows_why(
    qtbot: QtBot, qapp: QApplication, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_twilio_env(monkeypatch)
    settings = Settings(
        data_dir=data_dir, demo=True, port=0, database_url="sqlite:////proc/forbidden/console.db"
    )
    style, palette = qapp.style().name(), qapp.palette()
    exits: list[int] = []
    monkeypatch.setattr(qapp, "exit", exits.append)
    with installed_keyring(MemoryKeyring()):
        session = GuiApp(settings, qapp)
        try:
            with qtbot.waitSignal(session.failed, timeout=30_000) as failed:
                session.start()
            box = session.error_box
            assert box is not None and box.isVisible()
            assert "could not start" in box.text() and failed.args[0] in box.text()
            assert str(data_dir) in box.informativeText()
            assert session.window is None
            box.done(0)
            assert exits == [1]
        finally:
            session.shutdown()
            qapp.setStyle(style)
            qapp.setPalette(palette)


def test_qt_messages_go_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="qt"):
        qt_message_handler(QtMsgType.QtWarningMsg, QMessageLogContext(), "a Qt warning")
        qt_message_handler(QtMsgType.QtDebugMsg, QMessageLogContext(), "a Qt debug line")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "a Qt warning"),
        (logging.DEBUG, "a Qt debug line"),
    ]


def test_themes(qapp: QApplication) -> None:
    style, palette = qapp.style().name(), qapp.palette()
    try:
        assert apply_theme(qapp, "dark") == "dark"
        pal = qapp.palette()
        text = pal.color(QPalette.ColorRole.Text)
        base = pal.color(QPalette.ColorRole.Base)
        assert text.lightness() - base.lightness() > 150  # light text on a dark base
        assert pal.color(QPalette.ColorRole.Link).lightness() > 150
        assert apply_theme(qapp, "light") == "light" and not is_dark(qapp.palette())
        assert effective_theme("system") in ("light", "dark")
        assert is_dark(dark_palette())
    finally:
        qapp.setStyle(style)
        qapp.setPalette(palette)


def failure(
    delivery_id: int, *, age: timedelta = timedelta(0), code: int = 30003
) -> DeliveryRecord:
    now = datetime.now(UTC) - age
    return DeliveryRecord(
        id=delivery_id,
        sid=f"SM{delivery_id}",
        to="+14155550100",
        from_="+14155550000",
        messaging_service_sid=None,
        body="hi",
        profile="default",
        account_sid=None,
        segments=1,
        encoding="GSM-7",
        status="undelivered",
        status_rank=70,
        send_state=SendState.ACCEPTED,
        error_code=code,
        error_message=None,
        price=None,
        price_unit=None,
        batch_id=None,
        created_at=now,
        updated_at=now,
        final_at=now,
    )


def test_failures_are_notified_once_and_can_be_turned_off(qtbot: QtBot, bridge: Bridge) -> None:
    notifier = FailureNotifier(None, enabled=True)
    bridge.deliveriesChanged.connect(notifier.on_deliveries_changed)
    delivered = replace(failure(3), status="delivered", status_rank=80, error_code=None)
    old = failure(4, age=timedelta(hours=2))
    with qtbot.waitSignal(notifier.notified) as note:
        notifier.on_deliveries_changed((failure(1), delivered, old))
    assert note.args == ["Message failed", "To +1 415-555-0100: 30003 · Handset unreachable"]
    with qtbot.assertNotEmitted(notifier.notified):
        notifier.on_deliveries_changed((failure(1), old))  # already told; too old
    with qtbot.waitSignal(notifier.notified) as note:
        notifier.on_deliveries_changed((failure(5), failure(6, code=30007)))
    assert note.args[0] == "2 messages failed"
    notifier.set_enabled(False)
    with qtbot.assertNotEmitted(notifier.notified):
        notifier.on_deliveries_changed((failure(7),))
