"""The doctor panel on the real services: demo mode, and a simulated live trial with problems.

Screenshots (light and dark) are rendered offscreen into the test's temporary directory; with
``SCREENSHOT_DIR`` set they are also written there (docs/screenshots/doctor.png is made so).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.doctor.result import CheckResult
from console.domain.model import NewDelivery
from console.simulator.config import DEMO_ACCOUNT
from console.ui import panel_kit
from console.ui.doctor_panel import DoctorPanel
from console.ui.theme import dark_palette
from tests.fakes.keyrings import MemoryKeyring
from tests.gui.helpers_panels import (
    TIMEOUT_MS,
    DemoConsole,
    clear_twilio_env,
    demo_settings,
    running_demo,
    simulated_live_console,
)

TRIAL = replace(
    DEMO_ACCOUNT,
    sid="AC" + "5" * 32,
    auth_token="5" * 32,
    friendly_name="Doctor panel trial",
    type="Trial",
)
STRANGER = "+14155550199"

# The offscreen platform warns that it cannot propagate size hints when a window is shown.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from running_demo(tmp_path, monkeypatch)


@pytest.fixture
def fallback_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    """The window's demo mode when no credentials are configured (no --demo)."""
    (tmp_path / "data").mkdir()
    settings = demo_settings(tmp_path / "data", demo=False)
    yield from running_demo(tmp_path, monkeypatch, settings=settings)


@pytest.fixture
def trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    """A live console on a simulated trial account, its public URL plain http on 127.0.0.1."""
    clear_twilio_env(monkeypatch)
    data = tmp_path / "data"
    data.mkdir()
    port = free_port()
    with simulated_live_console(
        data, TRIAL, MemoryKeyring(), port=port, public_url=f"http://127.0.0.1:{port}"
    ) as console:
        console.run(_record_unverified(console))
        console.run(_unsigned_callback(f"http://127.0.0.1:{port}/webhooks/twilio/status"))
        yield console


async def _record_unverified(console: DemoConsole) -> None:
    """A message to a number the trial account has not verified, in the ledger."""
    assert console.core.writer is not None
    sender = TRIAL.numbers[0].phone_number
    await console.core.writer.add_delivery(NewDelivery(to=STRANGER, body="Hi", from_=sender))


async def _unsigned_callback(url: str) -> None:
    """A status callback without X-Twilio-Signature (refused and logged with a diagnosis)."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data={"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
        ) as answer,
    ):
        assert answer.status == 403


def shown_panel(qtbot: QtBot, console: DemoConsole) -> tuple[DoctorPanel, list[CheckResult]]:
    panel = DoctorPanel(console.core, console.runtime, console.bridge)
    qtbot.addWidget(panel)
    panel.resize(860, 1000)
    with qtbot.waitSignal(panel.finished, timeout=TIMEOUT_MS) as blocker:
        panel.show()  # the first show runs the checks
    results: list[CheckResult] = blocker.args[0]
    return panel, results


def test_demo_mode_passes_and_says_it_checks_the_simulator(qtbot: QtBot, demo: DemoConsole) -> None:
    panel, results = shown_panel(qtbot, demo)
    assert len(results) == 14 and list(panel.rows) == [r.id for r in results]
    assert panel.demo_label.isVisible() and "simulator" in panel.demo_label.text()
    assert "Everything passed" in panel.summary.text()
    assert "reachable" in panel.probe_label.text()
    row = panel.rows["credentials"]
    assert row.state_label.text() == "Passed" and row.button is None and row.fix.isHidden()
    assert panel.rows["public_url_https"].state_label.text() == "Skipped"
    assert panel.run_button.text() == "&Run again"
    with qtbot.waitSignal(panel.fixFinished, timeout=TIMEOUT_MS) as fixed:
        panel.fix("probe_again")
    assert fixed.args[0] == "probe_again" and "reached the console" in fixed.args[1]
    qtbot.waitUntil(lambda: not panel.running, timeout=TIMEOUT_MS)  # the doctor ran again
    assert "reached the console" in panel.message.text()


def test_fallback_demo_mode_shows_the_simulator_credentials_as_passed(
    qtbot: QtBot, fallback_demo: DemoConsole
) -> None:
    assert fallback_demo.core.state.mode == "demo" and not fallback_demo.core.settings.demo
    panel, results = shown_panel(qtbot, fallback_demo)
    row = panel.rows["credentials"]
    assert row.state_label.text() == "Passed", row.finding.text()
    assert "built-in simulator" in row.finding.text()
    assert "no Twilio credentials are configured" in row.finding.text()
    assert "Everything passed" in panel.summary.text(), [r for r in results if not r.passed]


def test_trial_problems_show_fixes_and_window_actions(qtbot: QtBot, trial: DemoConsole) -> None:
    panel, results = shown_panel(qtbot, trial)
    by_id = {r.id: r for r in results}
    assert not panel.demo_label.isVisible()
    assert by_id["trial_recipients"].state == "fail"
    recipients = panel.rows["trial_recipients"]
    assert recipients.state_label.text() == "Failed"
    assert "555-0199" in recipients.finding.text() and not recipients.fix.isHidden()
    assert recipients.button is not None and recipients.button.text() == "Verify a number"
    with qtbot.waitSignal(panel.actionRequested, timeout=TIMEOUT_MS) as asked:
        recipients.button.click()
    assert asked.args == ["verify_number"]
    signatures = panel.rows["signatures"]
    assert "no X-Twilio-Signature" in signatures.finding.text()
    assert signatures.button is not None and signatures.button.text() == "Open inspector"
    assert panel.rows["public_url_https"].state_label.text() == "Failed"
    assert "need attention" in panel.summary.text()


def test_a_failing_fix_shows_why(
    qtbot: QtBot, demo: DemoConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel, _ = shown_panel(qtbot, demo)
    monkeypatch.setattr(panel_kit, "confirm", lambda *_args: False)
    panel.fix("configure_webhooks")  # declined: nothing runs
    assert not panel.running and not panel.message.isVisible()
    with qtbot.waitSignal(panel.actionRequested, timeout=TIMEOUT_MS) as asked:
        panel.fix("open_settings")
    assert asked.args == ["open_settings"]
    demo.run(demo.core.provider.stop())  # type: ignore[union-attr]  # the public URL goes away
    panel.fix("probe_again")
    qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=TIMEOUT_MS)
    assert "no public URL to probe" in panel.message.text()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshot(qtbot: QtBot, trial: DemoConsole, tmp_path: Path, theme: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, palette = app.style().name(), app.palette()
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if theme == "dark" else app.style().standardPalette())
    try:
        panel, _ = shown_panel(qtbot, trial)
        panel.resize(900, 1180)
        image = panel.grab()
    finally:
        app.setStyle(style)
        app.setPalette(palette)
    path = tmp_path / ("doctor.png" if theme == "light" else "doctor-dark.png")
    assert image.save(str(path)) and path.stat().st_size > 10_000
    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        shutil.copy(path, Path(target) / path.name)
