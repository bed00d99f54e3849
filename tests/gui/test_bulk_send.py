"""The bulk send dialog through the real services in demo mode: preview, pacing, pause, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.domain.model import SendState
from console.gateway.bulk import JobState
from console.settings import Pacing
from console.ui.bulk import BulkSendDialog
from console.ui.models.bulk_model import CHECK, OUTCOME
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole, demo_settings, running_demo

NUMBERS = [f"+1415555013{i}" for i in range(6)]
CSV = "phone,name\n" + "\n".join(f"{n},Person {i}" for i, n in enumerate(NUMBERS))


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoConsole]:
    # long codes paced at 2 messages per second: a six-row job lasts long enough to cancel
    settings = demo_settings(tmp_path / "data", pacing=Pacing(long_code=2.0))
    yield from running_demo(tmp_path, monkeypatch, settings=settings)


def make_dialog(qtbot: QtBot, demo: DemoConsole) -> BulkSendDialog:
    dialog = BulkSendDialog(demo.core, demo.runtime, demo.bridge)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.from_combo.count() > 1, timeout=TIMEOUT_MS)
    dialog.from_combo.setCurrentIndex(dialog.from_combo.findText("Demo line 1 (simulated)"))
    return dialog


def checked(qtbot: QtBot, dialog: BulkSendDialog) -> None:
    qtbot.waitUntil(lambda: dialog.check_busy.isHidden(), timeout=TIMEOUT_MS)


def test_preview_checks_every_row_and_shows_pacing(qtbot: QtBot, demo: DemoConsole) -> None:
    demo.run(demo.core.set_opt_out(NUMBERS[1], True))
    dialog = make_dialog(qtbot, demo)
    dialog.set_input(
        f"phone,name\n{NUMBERS[0]},Ada\n{NUMBERS[1]},Bob\n+1415555,Cy\n{NUMBERS[2]},Dee\n",
        "Hello {name}, your order is ready.",
    )
    checked(qtbot, dialog)
    model = dialog.model
    assert model.rowCount() == 4
    assert model.entry(0).body == "Hello Ada, your order is ready."
    assert "STOP" in model.index(1, CHECK).data()  # from core.preview_bulk
    assert "too short" in model.index(2, CHECK).data()  # from the local number check
    assert model.ready_rows() == [0, 3]
    assert dialog.summary.text() == (
        "4 rows · 2 ready · 2 with problems · 2 segments at 2 segment/s: about 1 s"
    )
    assert dialog.send_button.text() == "&Send 2 messages"
    assert "Placeholders: {name} ✓" in dialog.columns_label.text()

    dialog.set_input(CSV, "Hi {name}, order {order}")
    assert all(model.entry(r).problem for r in range(model.rowCount()))
    assert "No column for {order}" in model.index(0, CHECK).data()
    assert not dialog.send_button.isEnabled()


def test_cancel_withdraws_the_rows_not_yet_sent(qtbot: QtBot, demo: DemoConsole) -> None:
    dialog = make_dialog(qtbot, demo)
    dialog.set_input(CSV, "Hello {name}")
    checked(qtbot, dialog)
    assert len(dialog.model.ready_rows()) == 6
    dialog.send_button.click()
    qtbot.waitUntil(lambda: dialog.running is not None, timeout=TIMEOUT_MS)
    assert not dialog.input_edit.isEnabled()  # the job's rows are fixed
    qtbot.waitUntil(
        lambda: dialog.progress is not None and dialog.progress.done >= 1, timeout=TIMEOUT_MS
    )
    assert dialog.cancel_button.isEnabled()
    dialog.cancel_button.click()
    qtbot.waitUntil(
        lambda: dialog.progress is not None and dialog.progress.state is JobState.CANCELED,
        timeout=TIMEOUT_MS,
    )
    progress = dialog.progress
    assert progress is not None
    assert progress.canceled >= 1
    assert progress.done + progress.failed + progress.canceled == 6
    assert progress.state.value in dialog.eta_label.text()
    assert not dialog.cancel_button.isEnabled() and not dialog.pause_button.isEnabled()

    qtbot.waitUntil(
        lambda: (
            [dialog.model.index(r, OUTCOME).data() for r in range(6)].count("canceled")
            == progress.canceled
        ),
        timeout=TIMEOUT_MS,
    )
    outcomes = [dialog.model.index(r, OUTCOME).data() for r in range(6)]
    canceled = {dialog.model.entry(r).to for r in range(6) if outcomes[r] == "canceled"}
    sent_by_twilio = {m.to for m in demo.simulator.messages()}
    for number in NUMBERS:
        [delivery] = demo.core.reader.deliveries_to(number)
        if number in canceled:
            assert delivery.send_state is SendState.CANCELED
            assert delivery.sid is None
            assert number not in sent_by_twilio  # never reached Twilio
        else:
            assert delivery.sid is not None
            assert number in sent_by_twilio


def test_pause_and_resume(qtbot: QtBot, demo: DemoConsole) -> None:
    dialog = make_dialog(qtbot, demo)
    dialog.set_input("\n".join(NUMBERS[:4]), "Short note")
    checked(qtbot, dialog)
    dialog.send_button.click()
    qtbot.waitUntil(lambda: dialog.running is not None, timeout=TIMEOUT_MS)
    dialog.pause_button.click()
    qtbot.waitUntil(
        lambda: dialog.progress is not None and dialog.progress.state is JobState.PAUSED,
        timeout=TIMEOUT_MS,
    )
    assert dialog.pause_button.text() == "&Resume"
    assert "paused" in dialog.eta_label.text()
    dialog.pause_button.click()
    qtbot.waitUntil(
        lambda: dialog.progress is not None and dialog.progress.state is JobState.FINISHED,
        timeout=TIMEOUT_MS,
    )
    assert dialog.progress is not None
    assert dialog.progress.done + dialog.progress.failed == 4
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum() == 4
    assert all(len(demo.core.reader.deliveries_to(n)) == 1 for n in NUMBERS[:4])


def test_keyboard_and_accessibility(qtbot: QtBot, demo: DemoConsole) -> None:
    dialog = make_dialog(qtbot, demo)
    for w in (
        dialog.input_edit,
        dialog.import_button,
        dialog.from_combo,
        dialog.body_edit,
        dialog.table,
        dialog.send_button,
        dialog.pause_button,
        dialog.cancel_button,
        dialog.close_button,
        dialog.progress_bar,
    ):
        assert w.accessibleName(), w
    assert dialog.input_edit.tabChangesFocus()


def test_csv_file_import(qtbot: QtBot, demo: DemoConsole, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, demo)
    path = tmp_path / "people.csv"
    path.write_text("\ufeff" + CSV + "\n", encoding="utf-8")
    with qtbot.waitSignal(dialog.fileLoaded, timeout=TIMEOUT_MS):
        dialog.load_file(path)
    dialog.body_edit.setPlainText("Hi {name}")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 6, timeout=TIMEOUT_MS)
    assert dialog.model.entry(5).body == "Hi Person 5"
    with qtbot.waitSignal(dialog.fileFailed, timeout=TIMEOUT_MS):
        dialog.load_file(tmp_path / "missing.csv")
    assert "Cannot read" in dialog.error_label.text()
