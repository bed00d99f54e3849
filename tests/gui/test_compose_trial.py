"""The compose panel on a (simulated) trial account: templates and the verified-recipient check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.domain.trial import TrialTemplate, templates
from console.ui.compose import ComposePanel
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole
from tests.gui.test_trial_panel import trial_console

VERIFIED = "+14155550150"


@pytest.fixture
def trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from trial_console(tmp_path, monkeypatch)


def make_panel(qtbot: QtBot, trial: DemoConsole) -> ComposePanel:
    """A compose panel once the trial account's templates have arrived."""
    panel = ComposePanel(trial.core, trial.runtime, trial.bridge)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.template_combo.count() > 1, timeout=TIMEOUT_MS)
    return panel


def test_trial_compose_offers_templates_and_checks_verification(
    qtbot: QtBot, trial: DemoConsole
) -> None:
    panel = make_panel(qtbot, trial)
    assert not panel.template_combo.isHidden()
    assert not panel.trial_note.isHidden()
    assert "572006" in panel.trial_note.text()
    assert panel.template_combo.count() == len(templates()) + 1

    panel.to_edit.setText("+14155550199")
    qtbot.waitUntil(lambda: "not a verified number" in panel.to_hint.text(), timeout=TIMEOUT_MS)
    assert "21608" in panel.to_hint.text()
    panel.to_edit.setText(VERIFIED)
    assert panel.to_hint.text().startswith("✓ +1 415-555-0150")

    panel.template_combo.setCurrentIndex(1)
    panel.template_combo.activated.emit(1)
    chosen = panel.template_combo.itemData(1)
    assert isinstance(chosen, TrialTemplate)
    assert panel.body_edit.toPlainText() == chosen.body

    with qtbot.waitSignal(panel.sent, timeout=TIMEOUT_MS) as sent:
        panel.send_button.click()
    assert sent.args[0].to == VERIFIED
    assert panel.template_combo.currentIndex() == 0


def test_trial_refuses_an_unverified_recipient_with_the_reason(
    qtbot: QtBot, trial: DemoConsole
) -> None:
    panel = make_panel(qtbot, trial)
    panel.to_edit.setText("+14155550199")
    panel.body_edit.setPlainText(templates()[0].body)
    panel.send_button.click()
    qtbot.waitUntil(lambda: not panel.error_label.isHidden(), timeout=TIMEOUT_MS)
    assert "21608" in panel.error_label.text()
    assert "verify" in panel.error_label.text().lower()
