"""One running bulk job as the bulk dialog follows it: progress, each row's outcome, controls.

``BulkRun`` listens to the bridge: ``("bulk", BulkProgress)`` states of its job become
``progressed`` signals, and deliveries of its batch update the outcome of their row in the
:class:`~console.ui.models.bulk_model.BulkRowsModel`. Pause/resume run on the runtime loop
(the job lives there); cancel withdraws every message not yet submitted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from console.domain.model import DeliveryRecord, SendState
from console.gateway.bulk import BulkJob, BulkProgress, JobState
from console.runtime import Bridge, Runtime
from console.ui.models.bulk_model import BulkRowsModel
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


class BulkRun(QObject):
    """Follows one bulk job for the dialog (see module doc)."""

    progressed = Signal(object)  # BulkProgress of this job

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
