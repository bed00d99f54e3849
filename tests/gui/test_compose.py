"""The compose panel through the real services in demo mode (Core + simulator on a Runtime)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.domain.model import DeliveryRecord
from console.ui.compose import FINAL_STATUSES, ComposePanel
from console.ui.theme import apply_theme
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole, running_demo, unnamed_controls

RECIPIENT = "+14155550142"

# The offscreen platform says so whenever a window is shown; it is not a problem of the panel.
pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise"
)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from running_demo(tmp_path, monkeypatch)


def make_panel(qtbot: QtBot, demo: DemoConsole) -> ComposePanel:
    panel = ComposePanel(demo.core, demo.runtime, demo.bridge)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.waitUntil(lambda: panel.from_combo.count() > 1, timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.senders_busy.isHidden(), timeout=TIMEOUT_MS)
    return panel


def test_typed_message_is_sent_with_ctrl_enter_and_reaches_a_final_status(
    qtbot: QtBot, demo: DemoConsole
) -> None:
    panel = make_panel(qtbot, demo)
    assert not panel.send_button.isEnabled()
    QTest.keyClicks(panel.to_edit, "(415) 555-0142")
    assert "+1 415-555-0142" in panel.to_hint.text()
    panel.from_combo.setCurrentIndex(panel.from_combo.findText("Demo line 1 (simulated)"))
    QTest.keyClicks(panel.body_edit, "Hello from the compose test")
    assert panel.counter.text().startswith("GSM-7 · 1 segment · 133 characters left")
    assert panel.send_button.isEnabled()

    panel.activateWindow()
    panel.body_edit.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.body_edit)
    with qtbot.waitSignal(panel.sent, timeout=TIMEOUT_MS) as sent:
        QTest.keyClick(panel.body_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    record: DeliveryRecord = sent.args[0]
    assert record.to == RECIPIENT
    assert record.from_ == "+14155550100"
    assert panel.body_edit.toPlainText() == ""  # ready for the next message

    # the status moves on live: the panel follows it until the simulator's final callback
    def final() -> bool:
        stored = demo.core.reader.delivery(record.id)
        return stored is not None and stored.status in FINAL_STATUSES

    qtbot.waitUntil(final, timeout=TIMEOUT_MS)
    stored = demo.core.reader.delivery(record.id)
    assert stored is not None and stored.body == "Hello from the compose test"
    qtbot.waitUntil(lambda: f": {stored.status}" in panel.result_label.text(), timeout=TIMEOUT_MS)
    assert RECIPIENT in demo.core.reader.recent_recipients()


def test_refusal_is_explained_inline(qtbot: QtBot, demo: DemoConsole) -> None:
    demo.run(demo.core.set_opt_out(RECIPIENT, True))
    panel = make_panel(qtbot, demo)
    panel.to_edit.setText(RECIPIENT)
    panel.body_edit.setPlainText("Are you still there?")
    panel.send_button.click()
    qtbot.waitUntil(panel.error_label.isVisible, timeout=TIMEOUT_MS)
    text = panel.error_label.text()
    assert "21610" in text
    assert "What to do:" in text
    assert "twilio.com/docs/errors/21610" in text
    assert panel.result_label.text() == "Not sent."
    assert panel.send_button.isEnabled()  # the operator can fix and retry
    assert demo.core.reader.deliveries_to(RECIPIENT) == []


def test_live_number_check_and_send_button(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    panel.body_edit.setPlainText("hi")
    panel.to_edit.setText("12")
    assert "too short" in panel.to_hint.text()
    assert not panel.send_button.isEnabled()
    panel.to_edit.setText("+44 7911 123456")
    assert "✓ +44 7911 123456" in panel.to_hint.text()
    assert panel.send_button.isEnabled()
    panel.body_edit.setPlainText("x" * 1601)
    assert "at most 1,600" in panel.counter.text()
    assert not panel.send_button.isEnabled()


def test_recent_recipients_complete_the_to_field(qtbot: QtBot, demo: DemoConsole) -> None:
    demo.run(demo.core.send(RECIPIENT, "earlier message"))
    panel = make_panel(qtbot, demo)
    completer = panel.to_edit.completer()
    model = completer.model()
    values = [model.index(i, 0).data() for i in range(model.rowCount())]
    assert RECIPIENT in values
    completer.setCompletionPrefix("0142")
    assert completer.currentCompletion() == RECIPIENT


def test_characters_forcing_ucs2_are_highlighted(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    text = "Hi ☕ and 😀 x"
    panel.body_edit.setPlainText(text)
    assert "UCS-2" in panel.counter.text()
    assert "forced by: ☕ 😀" in panel.counter.text()
    layout = panel.body_edit.document().firstBlock().layout()
    qtbot.waitUntil(lambda: len(layout.formats()) == 2)
    spans = sorted((f.start, f.length) for f in layout.formats())
    assert spans == [(3, 1), (9, 2)]  # UTF-16 offsets: the emoji is two units


def test_accessible_names_and_tab_order(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    for w in (
        panel.to_edit,
        panel.from_combo,
        panel.template_combo,
        panel.body_edit,
        panel.send_button,
        panel.bulk_button,
    ):
        assert w.accessibleName(), w
    chain = [panel.to_edit]
    while len(chain) < 40 and chain[-1] is not panel.send_button:
        chain.append(chain[-1].nextInFocusChain())
    assert chain.index(panel.from_combo) < chain.index(panel.body_edit) < len(chain) - 1
    assert panel.template_combo.isHidden()  # demo account is a full account


def test_tone_colours_follow_a_theme_switch(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    panel.to_edit.setText(RECIPIENT)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, palette = app.style().name(), app.palette()
    try:
        apply_theme(app, "light")
        light = "color: #1a7f37;"  # the good tone on a light background
        qtbot.waitUntil(lambda: panel.to_hint.styleSheet() == light)
        apply_theme(app, "dark")  # the palette change reaches the widgets as an event
        qtbot.waitUntil(lambda: panel.to_hint.styleSheet() == "color: #56d364;")
    finally:
        app.setStyle(style)
        app.setPalette(palette)


def test_every_control_has_an_accessible_name(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    assert unnamed_controls(panel) == []
    assert unnamed_controls(panel.open_bulk()) == []
