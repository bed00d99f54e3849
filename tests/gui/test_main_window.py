"""The main window on the real services in demo mode (Core + the built-in simulator).

A message sent from the compose panel appears in the table and reaches its final status; a
failure is explained in the timeline; live updates are targeted (no model resets while they
stream); the keyboard shortcuts work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from console.domain.status import FINAL
from console.settings import Settings
from console.simulator.scenario import Outcome, RecipientRule
from console.ui.launch import GuiApp
from console.ui.main_window import COMPOSE_WIDTH, SIDE_WIDTH, MainWindow
from console.ui.models.delivery_columns import RECORD_ROLE, Column
from console.ui.settings_dialog import SettingsDialog
from console.ui.window_actions import UNDESCRIBED, shortcut_rows
from tests.fakes.keyrings import MemoryKeyring, installed_keyring
from tests.gui.helpers_keys import CTRL, X11LineEdit
from tests.gui.helpers_panels import clear_twilio_env

pytestmark = pytest.mark.qt_log_ignore("does not support (propagateSizeHints|raise)")

FINAL_STATUSES = {s.value for s in FINAL}
FAILS = "+14155550166"  # the simulator undelivers this one with 30007


@pytest.fixture
def gui(
    qtbot: QtBot, qapp: QApplication, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GuiApp]:
    """The console as ``run_gui`` starts it, in demo mode, without entering ``app.exec``."""
    clear_twilio_env(monkeypatch)
    settings = Settings(data_dir=data_dir, demo=True, port=0, tunnel=False, theme="light")
    style, palette = qapp.style().name(), qapp.palette()
    with installed_keyring(MemoryKeyring()):
        session = GuiApp(settings, qapp)
        with qtbot.waitSignal(session.started, timeout=30_000):
            session.start()
        core = session.core
        assert core is not None and core.simulator is not None
        sim = core.simulator.simulator
        rule = RecipientRule(Outcome("undelivered", 30007), to=FAILS)

        async def add_rule() -> None:
            sim.scenario = replace(sim.scenario, rules=(rule,), reply_probability=0.0)

        session.runtime.submit(add_rule()).result(timeout=10)
        try:
            yield session
        finally:
            session.shutdown()
            qapp.setStyle(style)
            qapp.setPalette(palette)


def window_of(gui: GuiApp) -> MainWindow:
    assert gui.window is not None
    return gui.window


def row_of(window: MainWindow, to_display: str) -> int | None:
    model = window.deliveries.model
    for row in range(min(model.count, 200)):
        if model.index(row, Column.TO).data() == to_display:
            return row
    return None


def final_status(window: MainWindow, to_display: str) -> str | None:
    row = row_of(window, to_display)
    if row is None:
        return None
    status = window.deliveries.model.index(row, Column.STATUS).data()
    return str(status) if status in FINAL_STATUSES else None


def send(gui: GuiApp, to: str, body: str) -> None:
    assert gui.core is not None
    gui.bridge.call(gui.runtime, gui.core.send(to, body))


def test_a_message_sent_from_compose_appears_and_reaches_a_final_status(
    qtbot: QtBot, gui: GuiApp
) -> None:
    window = window_of(gui)
    assert window.windowTitle() == "SMS Console — DEMO MODE"
    assert window.status.demo_badge.isVisible() and window.banner.isVisible()
    compose = window.compose
    QTest.keyClicks(compose.to_edit, "+14155550123")
    QTest.keyClicks(compose.body_edit, "Your table is ready.")
    qtbot.waitUntil(compose.send_button.isEnabled, timeout=10_000)
    window.activate()
    compose.body_edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is compose.body_edit)
    with qtbot.waitSignal(compose.sent, timeout=15_000) as sent:
        QTest.keyClick(compose.body_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    record = sent.args[0]
    qtbot.waitUntil(lambda: row_of(window, "+1 415-555-0123") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: final_status(window, "+1 415-555-0123") is not None, timeout=20_000)
    # the window shows what was just sent: its row and its timeline
    assert window.timeline.delivery is not None and window.timeline.delivery.id == record.id
    current = window.deliveries.current  # the table agrees: the new row is the selected one
    assert current is not None and current.id == record.id
    qtbot.waitUntil(lambda: window.timeline.model.rowCount() >= 3, timeout=10_000)
    assert window.status.server.copy_text.startswith("http://127.0.0.1:")


def test_a_failure_is_explained_in_the_timeline_and_notified(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    with qtbot.waitSignal(window.notifier.notified, timeout=20_000) as note:
        send(gui, FAILS, "Flash sale today only!")
    assert note.args[0] == "Message failed"
    assert "30007" in note.args[1]
    qtbot.waitUntil(lambda: final_status(window, "+1 415-555-0166") == "undelivered")
    window.activate()
    window.deliveries.table.setFocus()
    window.commands.next_failure.trigger()
    current = window.deliveries.table.currentIndex()
    assert current.data(RECORD_ROLE).to == FAILS
    timeline = window.timeline
    assert timeline.delivery is not None and timeline.delivery.to == FAILS
    assert timeline.explanation.isVisible()
    assert "30007 — Message filtered" in timeline.explanation.text()
    assert "What to do:" in timeline.explanation.text()
    qtbot.waitUntil(lambda: timeline.model.rowCount() >= 3)
    assert "Simulator" in {
        timeline.model.index(r, 1).data() for r in range(timeline.model.rowCount())
    }


def test_live_updates_are_targeted_while_messages_stream(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    model = window.deliveries.model
    resets: list[int] = []
    inserted: list[int] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _p, first, last: inserted.append(last - first + 1))
    model.dataChanged.connect(lambda *_args: changed.append(1))
    numbers = [f"+1415555020{i}" for i in range(4)]
    for number in numbers:
        send(gui, number, "Reminder: your appointment is tomorrow.")
    shown = [f"+1 415-555-020{i}" for i in range(4)]
    qtbot.waitUntil(lambda: all(final_status(window, s) for s in shown), timeout=30_000)
    assert resets == []
    assert sum(inserted) == 4 and model.count == 4
    assert len(changed) >= 4  # every message changed status in place at least once


def test_keyboard_shortcuts(
    qtbot: QtBot, gui: GuiApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = window_of(gui)
    send(gui, FAILS, "Flash sale today only!")
    qtbot.waitUntil(lambda: final_status(window, "+1 415-555-0166") is not None)
    window.activate()
    qtbot.waitUntil(window.isActiveWindow)
    window.deliveries.table.setFocus()

    QTest.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.deliveries.filter_bar.search.hasFocus()

    window.deliveries.table.setFocus()
    QTest.keyClick(window.deliveries.table, Qt.Key.Key_F8)
    assert window.deliveries.table.currentIndex().data(RECORD_ROLE).to == FAILS
    QTest.keyClick(window.deliveries.table, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert window.deliveries.table.currentIndex().data(RECORD_ROLE).to == FAILS  # the only one

    out = tmp_path / "visible.jsonl"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(out), "JSON Lines (*.jsonl)")
    )
    with qtbot.waitSignal(window.deliveries.exported, timeout=10_000):
        QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1

    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.compose.to_edit.hasFocus()

    QTest.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    dialogs = window.findChildren(SettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].reject()


def test_controls_have_accessible_names(gui: GuiApp) -> None:
    window = window_of(gui)
    for widget in (
        window.deliveries.table,
        window.deliveries.filter_bar.search,
        window.deliveries.filter_bar.status_button,
        window.deliveries.filter_bar.period,
        window.timeline.events,
        window.timeline.payload,
        window.stats.chart_view,
        window.status.tunnel,
        window.status.server,
    ):
        assert widget.accessibleName(), widget
    assert {d.accessibleName() for d in window.docks.values()} >= {
        "Compose",
        "Inbox",
        "Webhooks",
        "Statistics",
        "Doctor",
        "Trial numbers",
    }


def test_doctor_window_actions_open_what_they_name(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    window.docks["stats"].raise_()
    window.doctor.actionRequested.emit("open_inspector")
    qtbot.waitUntil(lambda: not window.docks["inspector"].visibleRegion().isEmpty())
    window.doctor.actionRequested.emit("open_settings")
    dialogs = window.findChildren(SettingsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].reject()


def focus_in(qtbot: QtBot, window: MainWindow, widget: QWidget) -> None:
    window.activate()
    qtbot.waitUntil(window.isActiveWindow)
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget)


def test_focus_starts_in_the_to_field(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    assert window.banner.isVisible()  # its close button used to take the focus
    window.activate()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.compose.to_edit)


def test_bulk_send_opens_from_anywhere_in_the_window(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    for where in (window.deliveries.table, window.deliveries.filter_bar.search):
        focus_in(qtbot, window, where)
        QTest.keyClick(where, Qt.Key.Key_B, CTRL | Qt.KeyboardModifier.ShiftModifier)
        dialog = window.compose.bulk_dialog
        assert dialog is not None and dialog.isVisible(), where
        dialog.reject()


@pytest.mark.parametrize("field", ["deliveries search", "X11 line edit"])
def test_window_shortcuts_win_in_text_fields(
    qtbot: QtBot, gui: GuiApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    """Ctrl+E exports from the search box, also where QLineEdit claims it (the X11 scheme)."""
    window = window_of(gui)
    send(gui, FAILS, "Flash sale today only!")
    qtbot.waitUntil(lambda: final_status(window, "+1 415-555-0166") is not None)
    bar = window.deliveries.filter_bar
    edit = bar.search
    if field == "X11 line edit":
        edit = X11LineEdit(bar)
        layout = bar.layout()
        assert layout is not None
        layout.addWidget(edit)
        edit.setText("0166")
    else:
        with qtbot.waitSignal(bar.filterChanged):  # the search applies (debounced) first
            edit.setText("0166")
    edit.setCursorPosition(0)
    focus_in(qtbot, window, edit)
    out = tmp_path / "visible.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(out), "CSV (*.csv)"))
    with qtbot.waitSignal(window.deliveries.exported, timeout=10_000):
        QTest.keyClick(edit, Qt.Key.Key_E, CTRL)
    assert edit.text() == "0166" and edit.cursorPosition() == 0  # the keys did not go in
    assert edit.hasFocus()
    assert out.exists()


def test_help_lists_every_shortcut_installed(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    window.commands.shortcuts.trigger()  # a box that does not block
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(boxes) == 1
    text = boxes[0].text()
    native = QKeySequence.SequenceFormat.NativeText
    keys = [k for a in window.findChildren(QAction) for k in a.shortcuts()]
    keys += [k for s in window.findChildren(QShortcut) for k in s.keys()]  # noqa: SIM118 (a list)
    assert len(keys) >= 12
    for key in keys:
        assert key.toString(native) in text, key.toString(native)
    rows = shortcut_rows(window)
    assert all(what != UNDESCRIBED for _, what in rows), rows
    listed = {key for keys, _ in rows for key in keys.split(" / ")}
    assert {"Ctrl+Shift+B", "Ctrl+R", "Ctrl+Return", "Ctrl+Enter", "Ctrl+E"} <= listed
    boxes[0].close()


def test_docks_squeezed_by_a_small_window_get_their_width_back(qtbot: QtBot, gui: GuiApp) -> None:
    window = window_of(gui)
    window.show()
    side = window.docks["inbox"]
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: side.width() < SIDE_WIDTH - 20)  # squeezed to its minimum
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: side.width() >= SIDE_WIDTH - 10)
    assert window.docks["compose"].width() >= COMPOSE_WIDTH - 10
