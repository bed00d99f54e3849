"""Timeline: every event of the selected delivery, failures explained, live appends."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QTextDocumentFragment
from PySide6.QtWidgets import QApplication
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.errors import explain
from console.domain.model import EventRecord
from console.runtime import Bridge
from console.store.queries import Reader
from console.ui.models.delivery_columns import RECORD_ROLE
from console.ui.models.timeline_model import EventColumn, TimelineModel
from console.ui.theme import dark_palette
from console.ui.timeline import TimelinePanel, explanation_html, pretty_payload
from tests.gui.conftest import LiveStore, new_sid

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def panel(qtbot: QtBot, reader: Reader, bridge: Bridge) -> TimelinePanel:
    widget = TimelinePanel(reader, bridge)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    return widget


def test_model_passes_the_model_tester_and_appends(
    qtmodeltester: ModelTester, live: LiveStore, gui_reader: Reader
) -> None:
    rec = live.accept(live.add().id)
    assert rec.sid is not None
    live.callback(rec.sid, "sent")
    model = TimelineModel()
    model.set_events(rec.id, gui_reader.events(rec.id))
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]  # pytest-qt is untyped
    assert model.rowCount() == 2
    outcome = live.callback(rec.sid, "undelivered", 30003)
    assert outcome.event is not None
    other = live.accept(live.add().id)
    assert other.sid is not None
    foreign = live.callback(other.sid, "sent").event
    assert foreign is not None
    assert model.add_events([outcome.event, foreign, outcome.event]) == 1  # once, only its own
    assert model.rowCount() == 3
    last = model.index(2, EventColumn.ERROR)
    assert last.data().startswith("30003 · ")
    assert "What to do:" in last.data(Qt.ItemDataRole.ToolTipRole)
    assert isinstance(last.data(RECORD_ROLE), EventRecord)
    assert model.index(2, EventColumn.SIGNATURE).data() == "valid"
    assert model.index(0, EventColumn.SOURCE).data() == "API response"


def test_a_failure_is_explained_with_cause_and_fix(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    rec = live.accept(live.add("+14155550142", "Your code is 0000").id)
    assert rec.sid is not None
    live.callback(rec.sid, "sent")
    live.callback(rec.sid, "undelivered", 30007)
    failed = gui_reader.delivery(rec.id)
    widget = panel(qtbot, gui_reader, bridge)
    widget.show_delivery(failed)
    info = explain(30007)
    assert info is not None
    assert widget.explanation.isVisible()
    text = QTextDocumentFragment.fromHtml(widget.explanation.text()).toPlainText()
    assert info.title in text and info.cause in text and info.action in text
    assert info.url in widget.explanation.text()
    assert "+1 415-555-0142" in widget.summary.text()
    assert widget.model.rowCount() == 3
    # the latest event is selected: its verdict and pretty payload are shown
    assert widget.events.currentIndex().row() == 2
    assert "Signature valid" in widget.detail.text()
    payload = json.loads(widget.payload.toPlainText())
    assert payload["MessageStatus"] == "undelivered"
    assert "\n  " in widget.payload.toPlainText()  # indented
    # another event selected: its own payload
    widget.events.selectRow(0)
    assert json.loads(widget.payload.toPlainText())["status"] == "queued"


def test_events_arrive_live_without_reset(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    rec = live.accept(live.add().id)
    assert rec.sid is not None
    widget = panel(qtbot, gui_reader, bridge)
    widget.show_delivery(gui_reader.delivery(rec.id))
    assert not widget.explanation.isVisible()
    resets: list[int] = []
    widget.model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(widget.model.rowsInserted):
        live.callback(rec.sid, "sent")
    with qtbot.waitSignal(widget.model.rowsInserted):
        live.callback(rec.sid, "failed", 30008)
    qtbot.waitUntil(lambda: widget.explanation.isVisible())
    assert "30008" in widget.explanation.text()
    assert widget.model.rowCount() == 3 and resets == []
    assert widget.events.currentIndex().row() == 2  # follows the newest event


def test_events_recorded_before_the_sid_are_adopted(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    pending = live.add("+14155550177")
    widget = panel(qtbot, gui_reader, bridge)
    widget.show_delivery(pending)
    assert widget.model.rowCount() == 0
    sid = new_sid()
    live.callback(sid, "sent")  # the callback beats the create() answer
    with qtbot.waitSignal(widget.model.rowsInserted):
        live.accept(pending.id, sid=sid)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2)
    statuses = {widget.model.index(r, EventColumn.STATUS).data() for r in range(2)}
    assert statuses == {"sent", "queued"}


def test_empty_state_and_payload_formats(qtbot: QtBot, gui_reader: Reader, bridge: Bridge) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.stack.currentWidget() is widget.empty
    widget.show_delivery(None)
    assert widget.model.rowCount() == 0
    assert json.loads(pretty_payload("MessageSid=SM1&MessageStatus=sent")) == {
        "MessageSid": "SM1",
        "MessageStatus": "sent",
    }
    assert pretty_payload("") == ""
    assert pretty_payload("not json at all") == "not json at all"


def test_links_follow_the_palette(
    qtbot: QtBot, qapp: QApplication, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    rec = live.accept(live.add().id)
    assert rec.sid is not None
    live.callback(rec.sid, "undelivered", 30003)
    widget = panel(qtbot, gui_reader, bridge)
    widget.show_delivery(gui_reader.delivery(rec.id))
    link = dark_palette().color(QPalette.ColorRole.Link).name()
    assert link not in widget.explanation.text()
    palette = qapp.palette()
    try:
        qapp.setPalette(dark_palette())
        qtbot.waitUntil(lambda: link in widget.explanation.text())  # readable on dark
    finally:
        qapp.setPalette(palette)


def test_the_advice_says_not_to_resend_only_once() -> None:
    text = explanation_html(30005)  # its action already says not to resend as it is
    assert text.lower().count("resend") == 1
    assert "Do not simply resend." in explanation_html(30006)  # its action does not say it
