"""The bulk send dialog through the real services in demo mode: preview, pacing, pause, cancel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.domain.model import SendState
from console.gateway.bulk import BulkJob, BulkProgress, JobState
from console.gateway.checks import Outgoing
from console.settings import Pacing
from console.ui.bulk import BulkSendDialog
from console.ui.bulk_run import BulkRun
from console.ui.compose import ComposePanel
from console.ui.models.bulk_model import CHECK, OUTCOME
from console.ui.panel_parts import chosen_sender
from tests.gui.helpers_panels import TIMEOUT_MS, DemoConsole, demo_settings, running_demo

pytestmark = pytest.mark.qt_log_ignore("does not support (propagateSizeHints|raise)")

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


def open_from_compose(qtbot: QtBot, compose: ComposePanel) -> BulkSendDialog:
    dialog = compose.open_bulk()
    qtbot.waitUntil(lambda: dialog.from_combo.count() > 1, timeout=TIMEOUT_MS)
    dialog.from_combo.setCurrentIndex(dialog.from_combo.findText("Demo line 1 (simulated)"))
    return dialog


def ended(dialog: BulkSendDialog, state: JobState) -> bool:
    return dialog.progress is not None and dialog.progress.state is state


def progress_of(dialog: BulkSendDialog) -> BulkProgress:
    """The progress on show (read through a call: a test's earlier checks do not narrow it)."""
    assert dialog.progress is not None
    return dialog.progress


def is_idle(dialog: BulkSendDialog) -> bool:
    return dialog.running is None and dialog.progress is None


def test_a_finished_job_gives_way_to_a_new_batch(qtbot: QtBot, demo: DemoConsole) -> None:
    compose = ComposePanel(demo.core, demo.runtime, demo.bridge)
    qtbot.addWidget(compose)
    dialog = open_from_compose(qtbot, compose)
    dialog.set_input("\n".join(NUMBERS[:2]), "First batch")
    checked(qtbot, dialog)
    dialog.send_button.click()
    qtbot.waitUntil(lambda: ended(dialog, JobState.FINISHED), timeout=TIMEOUT_MS)
    # the finished job stays on show, and offers the next batch
    assert dialog.new_button.isVisible() and dialog.send_button.isHidden()
    qtbot.waitUntil(dialog.new_button.isEnabled, timeout=TIMEOUT_MS)
    assert not dialog.input_edit.isEnabled()

    dialog.close_button.click()
    assert compose.open_bulk() is dialog  # reopened after the job: a clean dialog
    assert is_idle(dialog)
    assert dialog.input_edit.isEnabled() and dialog.body_edit.isEnabled()
    assert dialog.input_edit.toPlainText() == ""  # both rows were sent: none kept
    assert dialog.body_edit.toPlainText() == "First batch"  # the template is kept
    assert dialog.progress_bar.isHidden() and dialog.eta_label.text() == ""
    assert dialog.send_button.isVisible() and dialog.new_button.isHidden()
    assert not dialog.send_button.isEnabled()  # no recipients yet

    dialog.set_input("\n".join(NUMBERS[2:4]), "Second batch")
    checked(qtbot, dialog)
    assert dialog.send_button.isEnabled()
    assert [dialog.model.index(r, OUTCOME).data() for r in range(2)] == ["", ""]
    dialog.send_button.click()
    qtbot.waitUntil(lambda: ended(dialog, JobState.FINISHED), timeout=TIMEOUT_MS)
    assert progress_of(dialog).done == 2
    for number, body in zip(NUMBERS[:4], ["First batch"] * 2 + ["Second batch"] * 2, strict=True):
        [delivery] = demo.core.reader.deliveries_to(number)
        assert delivery.body == body and delivery.sid is not None


def test_reopening_shows_the_running_job_and_a_new_batch_keeps_the_unsent_rows(
    qtbot: QtBot, demo: DemoConsole
) -> None:
    compose = ComposePanel(demo.core, demo.runtime, demo.bridge)
    qtbot.addWidget(compose)
    dialog = open_from_compose(qtbot, compose)
    dialog.set_input(CSV + "\n+1415555,Nobody", "Hello {name}")
    checked(qtbot, dialog)
    assert len(dialog.model.ready_rows()) == 6  # the seventh row's number is too short
    dialog.send_button.click()
    qtbot.waitUntil(lambda: dialog.running is not None, timeout=TIMEOUT_MS)
    dialog.close_button.click()
    assert compose.open_bulk() is dialog  # reopened while it runs: the same job
    assert dialog.running is not None and dialog.progress_bar.isVisible()
    assert dialog.cancel_button.isEnabled() and dialog.new_button.isHidden()
    qtbot.waitUntil(
        lambda: dialog.progress is not None and dialog.progress.done >= 1, timeout=TIMEOUT_MS
    )
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: ended(dialog, JobState.CANCELED), timeout=TIMEOUT_MS)
    qtbot.waitUntil(dialog.new_button.isEnabled, timeout=TIMEOUT_MS)
    first = dialog.progress
    assert first is not None and first.canceled >= 1
    assert dialog.progress_bar.value() == first.done + first.failed  # canceled: never sent
    sent = {m.to for m in demo.simulator.messages()}

    with qtbot.waitSignal(dialog.new_button.clicked):
        dialog.new_button.click()
    # kept: the canceled rows (never sent) and the row with a problem; the template too
    assert is_idle(dialog) and dialog.body_edit.toPlainText() == "Hello {name}"
    kept = [dialog.model.entry(r) for r in range(dialog.model.rowCount())]
    assert {e.to for e in kept if e.to} == set(NUMBERS) - sent
    assert [e.raw_to for e in kept if e.to is None] == ["+1415555"]
    assert kept[0].body.startswith("Hello Person ")  # the names came along
    checked(qtbot, dialog)
    dialog.send_button.click()
    qtbot.waitUntil(lambda: ended(dialog, JobState.FINISHED), timeout=TIMEOUT_MS)
    for number in NUMBERS:  # everyone got exactly one message, nobody two
        deliveries = demo.core.reader.deliveries_to(number)
        assert [d.sid is not None for d in deliveries].count(True) == 1


def test_a_job_that_ended_before_it_was_followed_settles_from_the_store(
    qtbot: QtBot, demo: DemoConsole
) -> None:
    dialog = make_dialog(qtbot, demo)
    dialog.set_input("\n".join(NUMBERS[:3]), "Never sent")
    checked(qtbot, dialog)
    rows = dialog.model.ready_rows()
    from_, service = chosen_sender(dialog.from_combo)
    items = [Outgoing(dialog.model.entry(r).to or "", "Never sent", from_, service) for r in rows]
    seen: dict[int, SendState] = {}
    demo.bridge.deliveriesChanged.connect(
        lambda recs: seen.update({r.id: r.send_state for r in recs})
    )

    async def send_and_cancel() -> BulkJob:
        job = await demo.core.send_bulk(items)
        await job.cancel()  # before its first dispatch: every row is withdrawn
        return job

    job = demo.run(send_and_cancel())
    qtbot.waitUntil(
        lambda: [seen.get(d) for d in job.index_of] == [SendState.CANCELED] * 3,
        timeout=TIMEOUT_MS,
    )
    run = BulkRun(job, rows, dialog.model, demo.runtime, demo.bridge, dialog)
    assert run.ended and run.progress.canceled == 3
    assert not run.is_settled  # the withdrawals went by before it listened
    with qtbot.waitSignal(run.settled):
        run.catch_up(demo.core.reader.delivery)
    assert run.unsent_rows() == set(rows)
    assert [dialog.model.index(r, OUTCOME).data() for r in rows] == ["canceled"] * 3


def test_a_new_batch_leaves_out_the_repeat_of_a_row_that_was_sent(
    qtbot: QtBot, demo: DemoConsole
) -> None:
    dialog = make_dialog(qtbot, demo)
    dialog.set_input("\n".join([NUMBERS[0], NUMBERS[0], NUMBERS[1]]), "Once is enough")
    checked(qtbot, dialog)
    assert dialog.model.ready_rows() == [0, 2]  # the second row repeats the first
    dialog.send_button.click()
    qtbot.waitUntil(lambda: ended(dialog, JobState.FINISHED), timeout=TIMEOUT_MS)
    qtbot.waitUntil(dialog.new_button.isEnabled, timeout=TIMEOUT_MS)
    dialog.new_button.click()
    assert dialog.input_edit.toPlainText() == ""  # the repeat is not offered again
    assert len(demo.core.reader.deliveries_to(NUMBERS[0])) == 1
