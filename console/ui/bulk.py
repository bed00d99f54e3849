"""The bulk send dialog: many recipients, one personalised message, paced, pausable, cancelable.

Recipients are pasted or imported from CSV; ``{name}``-style placeholders in the message are
filled from the CSV columns. Every row is checked as it is typed (number, placeholders,
length), then by ``core.preview_bulk`` (opt-outs, trial rules, sender), and shown in a table.
The pacing of the chosen sender (``core.pacing_rate``) gives the expected duration. While the
job runs, a progress bar with an ETA follows ``("bulk", BulkProgress)`` states and each row's
outcome follows its delivery; Pause/Resume and Cancel act on the job (canceled rows are never
sent). Closing the dialog leaves the job running; reopening shows it.

Once the job has ended the dialog offers **New batch** (reopening it after it was closed does
the same): the sender and the template stay, and the recipients box keeps only the rows that
were never sent — canceled, refused, or with a problem — so the rest of a canceled batch can be
sent, mistakes fixed, and nobody gets the same message twice by a second click on Send.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.core_actions import RowCheck
from console.gateway.bulk import BulkJob, BulkProgress, JobState
from console.gateway.checks import Outgoing
from console.runtime import Bridge, Runtime
from console.ui.bulk_input import BulkInputs
from console.ui.bulk_run import ACTIVE, ENDED, BulkRun, JobProgressRow, eta_text, recipients_text
from console.ui.compose_fields import counter_text
from console.ui.models.bulk_model import CHECK, MESSAGE, BulkRowsModel, build_entries
from console.ui.models.bulk_rows import parse_recipients
from console.ui.panel_kit import BusyIndicator, ServicePanel, counted, tab_chain, wrap_label
from console.ui.panel_parts import add_senders, chosen_sender, error_label, record_table, show_error

if TYPE_CHECKING:
    from console.core import Core


def _button(text: str, name: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setAccessibleName(name)
    return button


class BulkSendDialog(ServicePanel, QDialog):
    """Send one personalised message to many recipients (see module doc)."""

    fileLoaded = Signal(str)  # the path whose text is now in the recipients box
    fileFailed = Signal(str)  # why a file could not be read

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.setWindowTitle("Bulk send")
        self.setAccessibleName("Bulk send")
        self.model = BulkRowsModel(self)
        self.recipients = parse_recipients("")
        self.running: BulkRun | None = None
        self.progress: BulkProgress | None = None
        self._generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._build()
        self._connect_signals()
        self.call(self.core.senders(), self._on_senders, self._on_error)
        self._rebuild()

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.inputs = BulkInputs(self)
        self.input_edit, self.import_button = self.inputs.input_edit, self.inputs.import_button
        self.columns_label, self.counter = self.inputs.columns_label, self.inputs.counter
        self.from_combo, self.body_edit = self.inputs.from_combo, self.inputs.body_edit

        self.table = record_table(self, self.model, "Rows to send", single=False, stretch=MESSAGE)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(CHECK, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(CHECK, 300)  # the full reason is in the cell's tooltip
        self.summary = wrap_label("", self)
        self.summary.setAccessibleName("Summary")
        self.check_busy = BusyIndicator("Checking rows", self)

        self.progress_row = JobProgressRow(self)
        self.progress_bar, self.eta_label = self.progress_row.bar, self.progress_row.label
        self.send_button = _button("&Send", "Send to every ready row", self)
        self.pause_button = _button("&Pause", "Pause or resume sending", self)
        self.cancel_button = _button("&Cancel sending", "Cancel sending", self)
        self.new_button = _button("&New batch", "Start a new batch", self)
        self.new_button.setToolTip(
            "Keep the sender, the message and the rows that were not sent; edit and send again"
        )
        self.new_button.hide()  # shown once a job has ended, in place of Send
        self.close_button = _button("Cl&ose", "Close", self)
        self.send_busy = BusyIndicator("Starting", self)
        self.error_label = error_label("Error", self)
        for b in (self.pause_button, self.cancel_button):
            b.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.check_busy)
        buttons.addWidget(self.send_busy)
        for b in (self.send_button, self.new_button, self.pause_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addWidget(self.close_button)

        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.inputs)
        split.addWidget(self.table)
        split.setStretchFactor(1, 1)
        root = QVBoxLayout(self)
        root.addWidget(split, 1)
        root.addWidget(self.error_label)
        root.addWidget(self.progress_row)
        root.addLayout(buttons)
        self.resize(900, 620)
        tab_chain(
            self.input_edit,
            self.import_button,
            self.from_combo,
            self.body_edit,
            self.table,
            self.send_button,
            self.new_button,
            self.pause_button,
            self.cancel_button,
            self.close_button,
        )

    def _connect_signals(self) -> None:
        self.inputs.changed.connect(self._timer.start)
        self._timer.timeout.connect(self._rebuild)
        self.inputs.fileLoaded.connect(self.fileLoaded)
        self.inputs.fileFailed.connect(self._show_error)
        self.inputs.fileFailed.connect(self.fileFailed)
        self.send_button.clicked.connect(self.send)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(self.cancel)
        self.new_button.clicked.connect(self.new_batch)
        self.close_button.clicked.connect(self.reject)

    def _on_senders(self, senders: list[Any]) -> None:
        add_senders(self.from_combo, senders)

    # -- input and checks ----------------------------------------------------------------------
    def set_input(self, text: str, template: str) -> None:
        """Fill recipients and message (paste, import or tests) and check them at once."""
        self.input_edit.setPlainText(text)
        self.body_edit.setPlainText(template)
        self._timer.stop()
        self._rebuild()

    def load_file(self, path: Path) -> None:
        """Read a CSV file into the recipients box (off the GUI thread): ``fileLoaded``, or
        ``fileFailed`` with the reason, which the dialog shows."""
        self.inputs.load_file(path)

    def _rebuild(self) -> None:
        if self.running is not None:
            return
        template = self.body_edit.toPlainText()
        self.counter.setText(counter_text(self.body_edit.info()))
        self.recipients = parse_recipients(self.input_edit.toPlainText())
        self.inputs.describe(self.recipients, template)
        self.model.set_entries(
            build_entries(self.recipients, template, self.core.settings.default_region)
        )
        self._generation += 1
        rows = self.model.ready_rows()
        if rows:
            generation = self._generation
            self.check_busy.busy(True)
            self.call(
                self.core.preview_bulk(self._items(rows)),
                lambda checks: self._on_checks(generation, rows, checks),
                self._on_error,
            )
        self._update_summary()

    def _items(self, rows: list[int]) -> list[Outgoing]:
        from_, service = chosen_sender(self.from_combo)
        out = []
        for row in rows:
            e = self.model.entry(row)
            out.append(Outgoing(e.to or e.raw_to, e.body, from_, service))
        return out

    def _on_checks(self, generation: int, rows: list[int], checks: list[RowCheck]) -> None:
        if generation != self._generation:
            return
        self.check_busy.busy(False)
        for check in checks:
            if not check.ok:
                self.model.update(rows[check.index], problem=check.reason)
        self._update_summary()

    def _update_summary(self) -> None:
        total = self.model.rowCount()
        ready = len(self.model.ready_rows())
        segments = self.model.total_segments()
        from_, service = chosen_sender(self.from_combo)
        rate = self.core.pacing_rate(service or from_)
        problems = total - ready
        text = f"{counted(total, 'row')} · {ready:,} ready · {problems:,} with "
        text += "a problem" if problems == 1 else "problems"
        if ready:
            eta = eta_text(segments / rate)
            text += f" · {counted(segments, 'segment')} at {rate:g} segment/s: {eta}"
        self.summary.setText(text)
        idle = self.running is None
        self.send_button.setEnabled(idle and ready > 0)
        self.send_button.setText(f"&Send {counted(ready, 'message')}")

    # -- sending -------------------------------------------------------------------------------
    def send(self) -> None:
        """Start the bulk job with every ready row."""
        rows = self.model.ready_rows()
        if not rows or self.running is not None:
            return
        self.send_button.setEnabled(False)
        self.send_busy.busy(True)
        self.error_label.hide()
        self.inputs.set_editable(False)
        self.call(
            self.core.send_bulk(self._items(rows)),
            lambda job: self._on_started(job, rows),
            self._on_send_error,
        )

    def _on_started(self, job: BulkJob, rows: list[int]) -> None:
        self.send_busy.busy(False)
        run = BulkRun(job, rows, self.model, self.runtime, self.bridge, self)
        self.running = run
        run.progressed.connect(self._on_progress)
        run.settled.connect(self._on_settled)
        self._on_progress(run.progress)
        if run.ended:  # it ended before the dialog heard of it: its last updates went by
            run.catch_up(self.core.reader.delivery)
        if run.is_settled:
            self._on_settled()

    @property
    def ended(self) -> bool:
        """A job is on show that has ended, and which rows were sent is known: a new batch may
        start (:meth:`new_batch`)."""
        return self.running is not None and self.running.is_settled

    def new_batch(self) -> None:
        """Leave the ended job for a new batch: the sender and template stay, and the recipients
        keep only the rows that were never sent (see module doc)."""
        run = self.running
        if run is None or not run.is_settled:
            return
        in_job = set(run.rows)
        unsent = run.unsent_rows()
        entries = self.model.entries()
        # a row refused as a repeat of a row that was sent stays out: it would arrive twice
        sent = {(entries[r].to, entries[r].body) for r in in_job - set(unsent)}
        keep = [
            r
            for r, e in enumerate(entries)
            if (r not in in_job or r in unsent) and (e.to, e.body) not in sent
        ]
        text = recipients_text(self.recipients, keep)
        run.detach()
        run.deleteLater()
        self.running, self.progress = None, None
        self.progress_row.clear()
        self.pause_button.setText("&Pause")
        self.error_label.hide()
        self.new_button.hide()
        self.send_button.show()
        self.inputs.set_editable(True)
        self.set_input(text, self.body_edit.toPlainText())
        self.input_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_settled(self) -> None:
        self.new_button.setEnabled(True)
        if self.isVisible():
            self.new_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_send_error(self, exc: BaseException) -> None:
        self.send_busy.busy(False)
        self.inputs.set_editable(True)
        self._show_error(exc)
        self._update_summary()

    def _on_progress(self, p: BulkProgress) -> None:
        self.progress = p
        self.progress_row.show_progress(p)
        self.pause_button.setText("&Resume" if p.state is JobState.PAUSED else "&Pause")
        self.pause_button.setEnabled(p.state in ACTIVE)
        self.cancel_button.setEnabled(p.state in ACTIVE)
        ended = p.state in ENDED
        self.send_button.setVisible(not ended)
        self.new_button.setVisible(ended)
        self.new_button.setEnabled(self.ended)
        if p.error:
            self._show_error(p.error)

    def toggle_pause(self) -> None:
        """Pause the job, or resume it."""
        if self.running is not None:
            self.running.toggle_pause()

    def cancel(self) -> None:
        """Withdraw every message not yet submitted; they are never sent."""
        if self.running is None:
            return
        self.cancel_button.setEnabled(False)
        self.pause_button.setEnabled(False)
        self.running.cancel(self, self._on_error)

    def _on_error(self, exc: BaseException) -> None:
        self.check_busy.busy(False)
        self._show_error(exc)

    def _show_error(self, error: BaseException | str) -> None:
        show_error(self.error_label, error)
