"""The webhook inspector through the real services: a forged request, its diagnosis, replay."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.domain.model import Verdict, WebhookRequestRecord
from console.ui.inspector import InspectorPanel
from console.ui.models.requests_model import VERDICT
from console.ui.models.roles import RECORD_ROLE
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole, running_demo, unnamed_controls

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

FORM = {
    "MessageSid": "SM" + "f" * 32,
    "MessageStatus": "delivered",
    "To": "+14155550142",
    "From": "+14155550100",
}


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from running_demo(tmp_path, monkeypatch)


async def post_forged(url: str, signature: str | None) -> int:
    """Post a status callback that Twilio did not sign (from the runtime loop)."""
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/webhooks/twilio/status", data=FORM, headers=headers) as response,
    ):
        await response.read()
        return response.status


def forge(qtbot: QtBot, demo: DemoConsole, signature: str | None) -> None:
    url = demo.core.state.server_url
    assert url is not None
    with qtbot.waitSignal(demo.bridge.requestsAdded, timeout=TIMEOUT_MS):
        demo.runtime.submit(post_forged(url, signature))


def make_panel(qtbot: QtBot, demo: DemoConsole) -> InspectorPanel:
    panel = InspectorPanel(demo.core, demo.runtime, demo.bridge)
    qtbot.addWidget(panel)
    return panel


def newest(panel: InspectorPanel) -> WebhookRequestRecord:
    return panel.model.record(0)


def wait_for_verdict(qtbot: QtBot, panel: InspectorPanel, verdict: Verdict) -> WebhookRequestRecord:
    """The newest listed request with ``verdict`` (demo traffic may arrive meanwhile)."""

    def found() -> WebhookRequestRecord | None:
        rows = (panel.model.record(r) for r in range(panel.model.rowCount()))
        return next((r for r in rows if r.verdict is verdict), None)

    qtbot.waitUntil(lambda: found() is not None, timeout=TIMEOUT_MS)
    rec = found()
    assert rec is not None
    return rec


def test_forged_request_is_listed_with_its_diagnosis(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    assert panel.empty_label.isHidden() == (panel.model.rowCount() > 0)
    forge(qtbot, demo, "Zm9yZ2VkIHNpZ25hdHVyZQ==")
    rec = wait_for_verdict(qtbot, panel, Verdict.INVALID)
    assert panel.empty_label.isHidden() and not panel.table.isHidden()
    assert rec.path == "/webhooks/twilio/status"
    assert rec.status_code == 403
    assert rec.verdict is Verdict.INVALID
    assert rec.diagnosis
    assert panel.model.index(0, VERDICT).data() == "invalid"
    # the headers the server kept are redacted: the forged signature is not shown
    assert "Zm9yZ2VkIHNpZ25hdHVyZQ==" not in repr(rec.headers)

    assert panel.select_request(rec.id)
    assert panel.current == rec
    summary = panel.summary.toPlainText()
    assert "403" in summary and "invalid" in summary
    assert rec.diagnosis.split("\n")[0][:40] in summary
    table = panel.form_table
    fields = {
        table.model().index(r, 0).data(): table.model().index(r, 1).data()
        for r in range(table.rowCount())
    }
    assert fields == FORM
    assert "MessageStatus=delivered" in panel.raw_edit.toPlainText()
    assert panel.headers_table.rowCount() == len(rec.headers)
    assert panel.response_edit.toPlainText().startswith("HTTP 403")


def test_missing_signature_and_failure_filter(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    forge(qtbot, demo, None)
    missing = wait_for_verdict(qtbot, panel, Verdict.MISSING)
    assert "no X-Twilio-Signature" in (missing.diagnosis or "")
    panel.failures_box.setChecked(True)
    assert panel.proxy.rowCount() >= 1
    shown = [panel.proxy.index(r, 0).data(RECORD_ROLE) for r in range(panel.proxy.rowCount())]
    assert missing in shown
    assert all(r.status_code >= 400 or r.verdict is not Verdict.VALID for r in shown)
    panel.filter_edit.setText("no such text anywhere")
    assert panel.proxy.rowCount() == 0
    # selecting a hidden request clears the filters
    assert panel.select_request(missing.id)
    assert panel.filter_edit.text() == "" and not panel.failures_box.isChecked()


def test_replay_shows_the_new_status_and_lists_the_replay(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    panel.show()
    qtbot.waitExposed(panel)
    forge(qtbot, demo, "Zm9yZ2Vk")
    original = wait_for_verdict(qtbot, panel, Verdict.INVALID)
    panel.select_request(original.id)
    panel.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    QTest.keySequence(panel.table, QKeySequence("Ctrl+R"))
    assert not panel.replay_button.isEnabled()
    qtbot.waitUntil(lambda: panel.last_replay_status is not None, timeout=TIMEOUT_MS)
    status = panel.last_replay_status
    assert f"HTTP {status} (was 403)" in panel.replay_label.text()

    def replays() -> list[WebhookRequestRecord]:
        rows = (panel.model.record(r) for r in range(panel.model.rowCount()))
        return [r for r in rows if r.id > original.id and r.body == original.body]

    qtbot.waitUntil(lambda: len(replays()) == 1, timeout=TIMEOUT_MS)
    assert replays()[0].status_code == status
    assert panel.current == original  # the selection stays on what the operator looked at
    assert panel.replay_button.isEnabled()


def test_controls_have_accessible_names(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    for w in (
        panel.filter_edit,
        panel.failures_box,
        panel.table,
        panel.tabs,
        panel.summary,
        panel.headers_table,
        panel.form_table,
        panel.raw_edit,
        panel.response_edit,
        panel.replay_button,
    ):
        assert w.accessibleName(), w
    assert unnamed_controls(panel) == []
    assert not panel.replay_button.isEnabled()  # nothing selected
    assert panel.table.isSortingEnabled()
    assert panel.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
