"""One running bulk job as the bulk dialog follows it: progress, each row's outcome, controls.

``BulkRun`` listens to the bridge: ``("bulk", BulkProgress)`` states of its job become
``progressed`` signals, and deliveries of its batch update the outcome of their row in the
:class:`~console.ui.models.bulk_model.BulkRowsModel`. Pause/resume run on the runtime loop
(the job lives there); cancel withdraws every message not yet submitted.

Once the job has ended and every withdrawn row has been reported (``settled``), the dialog can
start a new batch: :func:`recipients_text` writes the rows that were never sent (refused,
canceled) back as CSV, so a new batch can never send anyone the same message twice.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from console.domain.model import DeliveryRecord, SendState
from console.gateway.bulk import BulkJob, BulkProgress, JobState
from console.runtime import Bridge, Runtime
from console.ui.models.bulk_model import BulkRowsModel
from console.ui.models.bulk_rows import Recipients
from console.ui.panel_kit import call_for

ACTIVE = (JobState.RUNNING, JobState.PAUSED)
ENDED = (JobState.FINISHED, JobState.CANCELED, JobState.STOPPED)


def eta_text(seconds: float) -> str:
    """'about 2 min 5 s' for a duration."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"about {seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min"


def progress_text(p: BulkProgress) -> str:
    """The line beside the progress bar: time left, or how the job ended."""
    if p.state in ENDED:
        refused = f", {p.refused} refused" if p.refused else ""
        return (
            f"{p.state.value}: {p.done} accepted, {p.failed} failed, {p.canceled} canceled"
            + refused
        )
    if p.state is JobState.PAUSED:
        return f"paused · {p.queued} waiting"
    return f"{p.state.value} · {eta_text(p.eta_seconds)} left"


def recipients_text(recipients: Recipients, rows: Iterable[int]) -> str:
    """CSV text of some parsed rows, with a header so the columns (placeholders) keep their names.

    The header is always written: without it, a first row whose number has no digits would be
    read as a header. Parsing the text again gives the same columns, numbers and values.
    """
    chosen = [recipients.rows[r] for r in rows]
    if not chosen:
        return ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(recipients.columns)
    for values in chosen:
        writer.writerow([values.get(c, "") for c in recipients.columns])
    return out.getvalue()


def outcome(rec: DeliveryRecord) -> str:
    """What a row shows: the console's pipeline state until Twilio has it, then its status."""
    state = rec.send_state
    if state is SendState.REJECTED:
        return f"failed ({rec.error_code})" if rec.error_code else "failed"
    if state is SendState.ACCEPTED or state is SendState.EXTERNAL:
        return rec.status
    return {
        SendState.QUEUED: "waiting",
        SendState.SUBMITTING: "submitting",
        SendState.UNKNOWN: "unknown (reconciling)",
        SendState.CANCELED: "canceled",
    }.get(state, state.value)


class JobProgressRow(QWidget):
    """The progress bar of a job (hidden until one runs) and the line beside it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.bar.setAccessibleName("Sending progress")
        self.bar.setFormat("%v of %m sent")
        self.bar.hide()
        self.label = QLabel("", self)
        self.label.setAccessibleName("Time left")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.label)

    def show_progress(self, p: BulkProgress) -> None:
        """Follow a job's progress; canceled rows were never sent, so they do not count."""
        target = max(p.total - p.refused, 0)
        sent = p.done + p.failed + p.deferred + p.unknown
        self.bar.setMaximum(max(target, 1))
        self.bar.setValue(min(sent, target))
        self.bar.show()
        self.label.setText(progress_text(p))

    def clear(self) -> None:
        """No job on show."""
        self.bar.hide()
        self.bar.reset()
        self.label.clear()


class BulkRun(QObject):
    """Follows one bulk job for the dialog (see module doc)."""

    progressed = Signal(object)  # BulkProgress of this job
    settled = Signal()  # the job has ended and every row's fate is known (once)

    def __init__(
        self,
        job: BulkJob,
        rows: list[int],
        model: BulkRowsModel,
        runtime: Runtime,
        bridge: Bridge,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.job, self.rows, self.model = job, rows, model
        self.runtime, self.bridge = runtime, bridge
        # delivery id -> model row: the job says which input row each delivery was recorded for
        self.by_delivery = {d: rows[index] for d, index in job.index_of.items()}
        self.progress = job.progress()
        self._refused = {rows[r.index] for r in job.refusals}
        self._canceled: set[int] = set()  # rows whose delivery was withdrawn (never sent)
        self._settled = False
        for r in job.refusals:
            model.update(rows[r.index], outcome="refused", problem=r.reason)
        for row in rows:
            if not model.entry(row).outcome:
                model.update(row, outcome="waiting")
        bridge.stateChanged.connect(self._on_state)
        bridge.deliveriesChanged.connect(self._on_deliveries)

    def _on_state(self, topic: str, state: object) -> None:
        if topic == "bulk" and isinstance(state, BulkProgress) and state.id == self.job.id:
            self.progress = state
            self.progressed.emit(state)
            self._check_settled()

    @property
    def ended(self) -> bool:
        """Whether the job has finished, was canceled or stopped."""
        return self.progress.state in ENDED

    @property
    def is_settled(self) -> bool:
        """The job has ended and each withdrawn delivery has been reported to its row.

        The job's final state comes straight from the runtime, the deliveries coalesced a
        little later: until they arrive, which rows were never sent is not known yet.
        """
        return self.ended and len(self._canceled) >= self.progress.canceled

    def unsent_rows(self) -> set[int]:
        """The job's rows that were never sent: refused by the console, or canceled."""
        return self._refused | self._canceled

    def catch_up(self, lookup: Callable[[int], DeliveryRecord | None]) -> None:
        """Read the job's deliveries once (``lookup``: the store's reader): for a job that ended
        before it was followed, whose last updates went by before this object listened."""
        found = (lookup(delivery_id) for delivery_id in self.by_delivery)
        self._on_deliveries(tuple(rec for rec in found if rec is not None))

    def detach(self) -> None:
        """Stop following the bridge (the dialog moves on to a new batch)."""
        self.bridge.stateChanged.disconnect(self._on_state)
        self.bridge.deliveriesChanged.disconnect(self._on_deliveries)

    def _check_settled(self) -> None:
        if not self._settled and self.is_settled:
            self._settled = True
            self.settled.emit()

    def toggle_pause(self) -> None:
        """Pause the job, or resume it (on the runtime loop, where the job lives)."""
        job = self.job
        action = job.resume if job.state is JobState.PAUSED else job.pause
        self.runtime.loop.call_soon_threadsafe(action)

    def cancel(self, owner: QObject, on_error: Callable[[BaseException], None]) -> None:
        """Withdraw every message not yet submitted; they are never sent."""
        call_for(owner, self.bridge, self.runtime, self.job.cancel(), None, on_error)

    def _on_deliveries(self, records: tuple[DeliveryRecord, ...]) -> None:
        for rec in records:
            row = self.by_delivery.get(rec.id)
            if row is not None:
                self.model.update(row, outcome=outcome(rec))
                if rec.send_state is SendState.CANCELED:
                    self._canceled.add(row)
        self._check_settled()
