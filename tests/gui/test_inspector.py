"""The webhook inspector through the real services: a forged request, its diagnosis, replay.

Replay re-signs a request, so it is only offered for one that was accepted; what it produces
is marked as a replay in the inspector and in the delivery's timeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextDocumentFragment
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from twilio.request_validator import RequestValidator

from console.domain.model import Verdict, WebhookRequestRecord
from console.ui.inspector import InspectorPanel
from console.ui.models.requests_model import VERDICT
from console.ui.models.roles import RECORD_ROLE
from console.ui.models.timeline_model import EventColumn
from console.ui.timeline import TimelinePanel
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole, running_demo, unnamed_controls
from tests.integration.core_support import failing_once

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


def press_replay(qtbot: QtBot, panel: InspectorPanel, request_id: int) -> None:
    """Select a request and press Ctrl+R in the table, as the operator does."""
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.select_request(request_id)
    panel.activateWindow()
    panel.table.setFocus()
    qtbot.waitUntil(panel.table.hasFocus)
    QTest.keySequence(panel.table, QKeySequence("Ctrl+R"))


def test_a_refused_request_cannot_be_replayed(qtbot: QtBot, demo: DemoConsole) -> None:
    panel = make_panel(qtbot, demo)
    forge(qtbot, demo, "Zm9yZ2Vk")
    forged = wait_for_verdict(qtbot, panel, Verdict.INVALID)
    press_replay(qtbot, panel, forged.id)
    assert panel.current == forged
    assert not panel.replay_button.isEnabled()
    tip = panel.replay_button.toolTip()
    assert "Ctrl+R" in tip and "its signature did not check out" in tip
    assert "will not sign it for you" in tip and "let Twilio send it again" in tip
    # Ctrl+R says why instead of replaying: nothing is sent
    assert "cannot be replayed" in panel.replay_label.text()
    assert "forged request look genuine" in panel.replay_label.text()
    assert panel.last_replay_status is None and not panel.replay_busy.isVisible()

    forge(qtbot, demo, None)
    missing = wait_for_verdict(qtbot, panel, Verdict.MISSING)
    assert panel.select_request(missing.id)
    assert not panel.replay_button.isEnabled()
    assert "carried no X-Twilio-Signature" in panel.replay_button.toolTip()


def signed_by_twilio(demo: DemoConsole, params: dict[str, str]) -> dict[str, str]:
    """Headers of a callback signed as Twilio signs it (the demo account's token)."""
    core = demo.core
    base = core.public_url or core.state.server_url
    assert base is not None and core.credentials.auth_token
    signature = RequestValidator(core.credentials.auth_token).compute_signature(
        base + "/webhooks/twilio/status", params
    )
    return {"X-Twilio-Signature": signature}


def test_replay_of_an_accepted_request_is_marked_as_a_replay(
    qtbot: QtBot, demo: DemoConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = "SM" + "c" * 32
    params = {**FORM, "MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "30003"}
    writer = demo.core.writer
    assert writer is not None
    failing_once(monkeypatch, writer, sid)
    panel = make_panel(qtbot, demo)
    url = demo.core.state.server_url
    assert url is not None
    with qtbot.waitSignal(demo.bridge.requestsAdded, timeout=TIMEOUT_MS):
        demo.runtime.submit(post_form(url, params, signed_by_twilio(demo, params)))

    def logged() -> list[WebhookRequestRecord]:
        rows = (panel.model.record(r) for r in range(panel.model.rowCount()))
        return sorted((r for r in rows if f"MessageSid={sid}" in r.body), key=lambda r: r.id)

    qtbot.waitUntil(lambda: len(logged()) == 1, timeout=TIMEOUT_MS)
    [original] = logged()
    assert (original.status_code, original.verdict) == (503, Verdict.VALID)
    press_replay(qtbot, panel, original.id)
    assert panel.replay_button.toolTip().startswith("Post this request again")
    qtbot.waitUntil(lambda: panel.last_replay_status is not None, timeout=TIMEOUT_MS)
    assert panel.last_replay_status == 200
    assert "HTTP 200 (was 503)" in panel.replay_label.text()
    qtbot.waitUntil(lambda: len(logged()) == 2, timeout=TIMEOUT_MS)
    replayed = logged()[1]
    assert panel.current == original  # the selection stays on what the operator looked at
    assert panel.replay_button.isEnabled()
    assert replayed.verdict is Verdict.REPLAYED and replayed.status_code == 200
    row = panel.model.row_of(replayed.id)
    assert row is not None and panel.model.index(row, VERDICT).data() == "replayed"
    assert panel.select_request(replayed.id)
    summary = panel.summary.toPlainText()
    assert "replayed — a replay re-signed by the console, not sent by Twilio" in summary
    assert f"Replay of request #{original.id} from the webhook inspector" in summary
    assert panel.replay_button.isEnabled()  # an accepted replay may be replayed again

    delivery = demo.core.reader.delivery_by_sid(sid)
    assert delivery is not None
    timeline = TimelinePanel(demo.core.reader, demo.bridge)
    qtbot.addWidget(timeline)
    timeline.show_delivery(delivery)
    [event] = [timeline.model.event(r) for r in range(timeline.model.rowCount())]
    assert event is not None and event.signature is Verdict.REPLAYED
    assert timeline.model.index(0, EventColumn.SOURCE).data() == "Simulator (replay)"
    assert timeline.model.index(0, EventColumn.SIGNATURE).data() == "replayed"
    detail = QTextDocumentFragment.fromHtml(timeline.detail.text()).toPlainText()
    assert "Replayed from the webhook inspector (re-signed by the console)" in detail
    assert "signed by Twilio with this account" not in detail


async def post_form(url: str, params: dict[str, str], headers: dict[str, str]) -> int:
    """Post a status callback with ``headers`` (from the runtime loop)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + "/webhooks/twilio/status", data=params, headers=headers) as response,
    ):
        await response.read()
        return response.status


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
