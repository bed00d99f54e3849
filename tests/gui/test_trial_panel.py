"""The trial numbers panel against a simulated trial account (live-mode Core, simulated Twilio)."""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.simulator.config import DEMO_ACCOUNT, AccountConfig
from console.ui import panel_kit
from console.ui.trial_panel import TrialPanel
from tests.fakes.keyrings import MemoryKeyring
from tests.gui.helpers_panels import (
    TIMEOUT_MS,
    DemoConsole,
    clear_twilio_env,
    running_demo,
    simulated_live_console,
    unnamed_controls,
)

TRIAL = replace(
    DEMO_ACCOUNT,
    sid="AC" + "7" * 32,
    auth_token="7" * 32,
    friendly_name="Trial test account",
    type="Trial",
)
NEW_NUMBER = "+14155550160"


def trial_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, account: AccountConfig = TRIAL
) -> Generator[DemoConsole, None, None]:
    clear_twilio_env(monkeypatch)
    data = tmp_path / "data"
    data.mkdir()
    with simulated_live_console(data, account, MemoryKeyring()) as console:
        yield console


@pytest.fixture
def trial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    yield from trial_console(tmp_path, monkeypatch)


def make_panel(qtbot: QtBot, console: DemoConsole) -> TrialPanel:
    panel = TrialPanel(console.core, console.runtime, console.bridge)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.trial is not None and not panel.working, timeout=TIMEOUT_MS)
    return panel


def test_trial_account_lists_verified_numbers_and_limits(qtbot: QtBot, trial: DemoConsole) -> None:
    panel = make_panel(qtbot, trial)
    assert panel.trial is True
    assert "trial account" in panel.account_label.text()
    assert panel.model.numbers() == {"+14155550150"}
    assert panel.limit_label.text() == "1 of 5 verified numbers used."
    assert panel.verify_group.isEnabled()
    assert not panel.verify_button.isEnabled()  # no number typed yet
    panel.number_edit.setText("+14155550150")
    assert "already verified" in panel.number_hint.text()
    assert not panel.verify_button.isEnabled()


def test_verify_shows_the_code_then_the_number_joins_the_list(
    qtbot: QtBot, trial: DemoConsole
) -> None:
    panel = make_panel(qtbot, trial)
    panel.number_edit.setText("(415) 555-0160")
    panel.name_edit.setText("Support phone")
    assert panel.verify_button.isEnabled()
    panel.verify_button.click()
    qtbot.waitUntil(lambda: panel.verification is not None, timeout=TIMEOUT_MS)
    assert not panel.code_group.isHidden()
    code = panel.code_edit.text()
    assert re.fullmatch(r"\d{6}", code)
    assert panel.instruction.text().startswith(
        "Twilio is calling +1 415-555-0160 now: type this code on the phone"
    )
    assert panel.code_edit.font().pointSize() >= 24
    panel.copy_button.click()
    assert QApplication.clipboard().text() == code

    trial.run(trial.server.complete_verification(NEW_NUMBER))  # the person typed the code
    panel.refresh_button.click()
    qtbot.waitUntil(lambda: NEW_NUMBER in panel.model.numbers(), timeout=TIMEOUT_MS)
    assert panel.limit_label.text() == "2 of 5 verified numbers used."
    names = {panel.model.caller_id(r).friendly_name for r in range(panel.model.rowCount())}
    assert "Support phone" in names


def test_remove_asks_first(
    qtbot: QtBot, trial: DemoConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = make_panel(qtbot, trial)
    panel.table.selectRow(0)
    assert panel.remove_button.isEnabled()
    monkeypatch.setattr(panel_kit, "confirm", lambda *_args: False)
    panel.remove_button.click()
    assert not panel.working
    assert panel.model.rowCount() == 1
    monkeypatch.setattr(panel_kit, "confirm", lambda *_args: True)
    panel.remove_button.click()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0 and not panel.working, timeout=TIMEOUT_MS)
    assert trial.run(trial.core.verified_numbers()) == []
    assert panel.limit_label.text() == "0 of 5 verified numbers used."


def test_full_trial_allowance_disables_verification(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = tuple(f"+1415555017{i}" for i in range(5))
    console_gen = trial_console(tmp_path, monkeypatch, replace(TRIAL, verified_numbers=numbers))
    console = next(console_gen)
    try:
        panel = make_panel(qtbot, console)
        assert panel.model.rowCount() == 5
        assert "remove one to verify another" in panel.limit_label.text()
        assert not panel.verify_group.isEnabled()
    finally:
        console_gen.close()


def test_full_account_explains_and_disables(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console_gen = running_demo(tmp_path, monkeypatch)
    console = next(console_gen)
    try:
        panel = make_panel(qtbot, console)
        assert panel.trial is False
        assert "full (upgraded) account" in panel.account_label.text()
        assert not panel.verify_group.isEnabled()
        assert not panel.table.isEnabled()
        assert not panel.remove_button.isEnabled()
        assert panel.model.rowCount() == 0
        for w in (
            panel.table,
            panel.number_edit,
            panel.name_edit,
            panel.verify_button,
            panel.remove_button,
            panel.refresh_button,
            panel.code_edit,
            panel.copy_button,
        ):
            assert w.accessibleName(), w
        assert unnamed_controls(panel) == []
    finally:
        console_gen.close()
