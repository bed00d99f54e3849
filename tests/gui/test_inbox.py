"""The inbox through the real services in demo mode: inbound replies, reply in place, STOP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.simulator.config import DEMO_NUMBER_1
from console.ui import panel_kit
from console.ui.inbox import InboxPanel
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole, running_demo, unnamed_controls

CUSTOMER = "+14155550177"

# The offscreen platform says so whenever a window is shown; it is not a problem of the panel.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from running_demo(tmp_path, monkeypatch)


def inject(qtbot: QtBot, demo: DemoConsole, body: str, sender: str = CUSTOMER) -> None:
    """The simulated handset texts the demo number; wait until the GUI hears of it."""
    with qtbot.waitSignal(demo.bridge.inboundAdded, timeout=TIMEOUT_MS):
        demo.runtime.submit(demo.simulator.inject_inbound(sender, DEMO_NUMBER_1, body))


def make_panel(qtbot: QtBot, demo: DemoConsole) -> InboxPanel:
    panel = InboxPanel(demo.core, demo.runtime, demo.bridge)
    qtbot.addWidget(panel)
    return panel


def test_empty_inbox_says_what_will_appear(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    assert panel.conversations.rowCount() == 0
    assert not panel.empty_label.isHidden()
    assert panel.list_view.isHidden()
    assert not panel.reply_button.isEnabled()
    assert not panel.opt_out_button.isEnabled()
    assert unnamed_controls(panel) == []


def test_inbound_message_appears_and_is_answered_in_place(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    inject(qtbot, demo, "Hi, is my order ready?")
    qtbot.waitUntil(lambda: panel.conversations.rowCount() == 1, timeout=TIMEOUT_MS)
    assert panel.empty_label.isHidden()
    conv = panel.conversations.conversation(0)
    assert (conv.number, conv.count, conv.last.body) == (CUSTOMER, 1, "Hi, is my order ready?")
    assert panel.number == CUSTOMER  # the first conversation is opened
    assert panel.thread_model.rowCount() == 1
    assert panel.header_label.text() == "+1 415-555-0177"

    panel.show()
    qtbot.waitExposed(panel)
    panel.activateWindow()
    panel.reply_edit.setFocus()
    qtbot.waitUntil(panel.reply_edit.hasFocus)
    QTest.keyClicks(panel.reply_edit, "Yes, it ships today.")
    assert panel.reply_button.isEnabled()
    QTest.keyClick(panel.reply_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not panel.reply_button.isEnabled()  # one reply at a time
    qtbot.waitUntil(lambda: panel.reply_edit.toPlainText() == "", timeout=TIMEOUT_MS)
    assert panel.thread_model.rowCount() == 2
    reply = panel.thread_model.item(1)
    assert (reply.direction, reply.body) == ("out", "Yes, it ships today.")
    sent = demo.core.reader.deliveries_to(CUSTOMER)
    assert [d.body for d in sent] == ["Yes, it ships today."]
    # the reply's status follows live in the thread
    qtbot.waitUntil(
        lambda: panel.thread_model.item(1).status not in ("queued", "accepted"), timeout=TIMEOUT_MS
    )

    inject(qtbot, demo, "Great, thanks")
    qtbot.waitUntil(lambda: panel.conversations.conversation(0).count == 2, timeout=TIMEOUT_MS)
    assert panel.thread_model.item(panel.thread_model.rowCount() - 1).body == "Great, thanks"


def test_stop_marks_the_number_and_blocks_replies(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    inject(qtbot, demo, "hello")
    qtbot.waitUntil(lambda: panel.number == CUSTOMER, timeout=TIMEOUT_MS)
    assert not panel.conversations.conversation(0).opted_out
    inject(qtbot, demo, "STOP")
    qtbot.waitUntil(lambda: panel.conversations.conversation(0).opted_out, timeout=TIMEOUT_MS)
    assert demo.core.reader.is_opted_out(CUSTOMER)
    assert "opted out" in panel.opt_out_label.text()
    assert "21610" in panel.opt_out_label.text()
    assert not panel.reply_edit.isEnabled()
    assert not panel.reply_button.isEnabled()
    assert panel.opt_out_button.text().replace("&", "") == "Clear opt-out"


def test_operator_toggles_opt_out_after_confirming(
    qtbot: QtBot, demo: DemoConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = make_panel(qtbot, demo)
    inject(qtbot, demo, "please call me")
    qtbot.waitUntil(lambda: panel.number == CUSTOMER, timeout=TIMEOUT_MS)
    questions: list[str] = []

    def refuse(_parent: object, _title: str, text: str, _action: str) -> bool:
        questions.append(text)
        return False

    monkeypatch.setattr(panel_kit, "confirm", refuse)
    panel.opt_out_button.click()
    assert questions and "Mark +1 415-555-0177 as opted out?" in questions[0]
    assert not demo.core.reader.is_opted_out(CUSTOMER)

    monkeypatch.setattr(panel_kit, "confirm", lambda *_args: True)
    with qtbot.waitSignal(demo.bridge.optOutsChanged, timeout=TIMEOUT_MS):
        panel.opt_out_button.click()
    qtbot.waitUntil(lambda: panel.conversations.conversation(0).opted_out, timeout=TIMEOUT_MS)
    assert demo.core.reader.is_opted_out(CUSTOMER)
    assert panel.opt_busy.isHidden()

    with qtbot.waitSignal(demo.bridge.optOutsChanged, timeout=TIMEOUT_MS):
        panel.opt_out_button.click()  # and back in
    qtbot.waitUntil(lambda: not panel.conversations.conversation(0).opted_out, timeout=TIMEOUT_MS)
    assert not demo.core.reader.is_opted_out(CUSTOMER)
    assert panel.reply_edit.isEnabled()


def test_existing_conversations_load_and_keep_selection(qtbot: QtBot, demo: DemoConsole) -> None:
    other = "+14155550188"
    probe = make_panel(qtbot, demo)
    inject(qtbot, demo, "first", sender=CUSTOMER)
    inject(qtbot, demo, "second", sender=other)
    qtbot.waitUntil(lambda: probe.conversations.rowCount() == 2, timeout=TIMEOUT_MS)
    panel = make_panel(qtbot, demo)  # a fresh panel reads them from the store
    assert panel.conversations.rowCount() == 2
    assert panel.proxy.index(0, 0).data() == "+1 415-555-0188"  # newest first
    assert panel.select_number(CUSTOMER)
    assert panel.number == CUSTOMER
    assert not panel.select_number("+19999999999")
