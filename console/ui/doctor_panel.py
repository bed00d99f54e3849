"""The doctor panel: the setup checklist with a state per check, what was found and how to fix it.

One row per check: a state icon (a coloured disc with a glyph, so the state is never told by
colour alone), the title and state word, the finding, and — when the check did not pass — the fix
and a button for its action. Actions the console performs (configure webhooks, restart the
tunnel, probe again) run through ``Core.run_fix`` on the runtime; window actions (open Settings,
the inspector, the trial panel) are handed to the main window through :attr:`actionRequested`.
Every run goes through ``bridge.call(runtime, core.doctor())``: the GUI thread never waits.
The newest self-probe (state topic ``probe``) is shown live above the checklist.
"""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from console.doctor.probe import ProbeResult
from console.doctor.result import (
    ACTION_LABELS,
    CONFIGURE_WEBHOOKS,
    WINDOW_ACTIONS,
    CheckResult,
    CheckState,
    summary_line,
)
from console.runtime import Bridge, Runtime
from console.ui import panel_kit
from console.ui.panel_kit import BusyIndicator, call_for, error_html, set_tone, wrap_label

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)

# state -> (disc colour, word, tone for the word); mid-tone discs read on light and dark
STATE_LOOK: Final[dict[str, tuple[str, str, str | None]]] = {
    "ok": ("#2e7d32", "Passed", "good"),
    "warn": ("#c77700", "Warning", "warn"),
    "fail": ("#c62828", "Failed", "bad"),
    "skip": ("#78808a", "Skipped", None),
}
DEMO_TEXT = (
    "<b>Demo mode:</b> these checks run against the console's built-in Twilio simulator, not a "
    "real Twilio account. Add credentials in Settings to check your own setup."
)


def state_pixmap(state: CheckState, size: int = 22, ratio: float = 2.0) -> QPixmap:
    """A disc in the state's colour with a white glyph: ✓ ok, ! warn, ✕ fail, – skip."""
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(STATE_LOOK[state][0]))
    painter.drawEllipse(QRectF(0.5, 0.5, size - 1, size - 1))
    pen = QPen(QColor("white"), size / 9)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    s = size / 22
    path = QPainterPath()
    if state == "ok":
        path.moveTo(QPointF(6.5 * s, 11.5 * s))
        path.lineTo(QPointF(9.5 * s, 14.5 * s))
        path.lineTo(QPointF(15.5 * s, 7.5 * s))
    elif state == "fail":
        path.moveTo(QPointF(7.5 * s, 7.5 * s))
        path.lineTo(QPointF(14.5 * s, 14.5 * s))
        path.moveTo(QPointF(14.5 * s, 7.5 * s))
        path.lineTo(QPointF(7.5 * s, 14.5 * s))
    elif state == "warn":
        path.moveTo(QPointF(11 * s, 6 * s))
        path.lineTo(QPointF(11 * s, 12.5 * s))
        path.moveTo(QPointF(11 * s, 16 * s))
        path.lineTo(QPointF(11 * s, 16.2 * s))
    else:
        path.moveTo(QPointF(7 * s, 11 * s))
        path.lineTo(QPointF(15 * s, 11 * s))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.end()
    return pixmap


class CheckRow(QFrame):
    """One check: icon, title and state word, finding, fix and the fix button."""

    fixRequested = Signal(str)  # the action name

    def __init__(self, result: CheckResult, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result = result
        self.setObjectName(f"check-{result.id}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(f"{result.title}: {STATE_LOOK[result.state][1]}")
        self.icon = QLabel(self)
        self.icon.setPixmap(state_pixmap(result.state))
        self.icon.setFixedSize(QSize(26, 26))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.icon.setAccessibleName(STATE_LOOK[result.state][1])
        word, tone = STATE_LOOK[result.state][1], STATE_LOOK[result.state][2]
        self.title = QLabel(f"<b>{html.escape(result.title)}</b>", self)
        self.state_label = QLabel(word, self)
        set_tone(self.state_label, tone)
        self.finding = wrap_label(result.finding, self)
        self.finding.setAccessibleName("Finding")
        self.fix = wrap_label("", self, rich=True)
        self.fix.setAccessibleName("Fix")
        show_fix = bool(result.fix) and not result.passed
        if show_fix:
            self.fix.setText(f"<b>Fix:</b> {html.escape(result.fix)}")
        self.fix.setVisible(show_fix)
        self.button: QPushButton | None = None
        head = QHBoxLayout()
        head.setSpacing(10)
        head.addWidget(self.title)
        head.addWidget(self.state_label)
        head.addStretch(1)
        if result.action is not None and not result.passed:
            self.button = QPushButton(ACTION_LABELS[result.action], self)
            self.button.setAccessibleName(f"{ACTION_LABELS[result.action]} ({result.title})")
            self.button.clicked.connect(self._clicked)
            head.addWidget(self.button)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addLayout(head)
        text.addWidget(self.finding)
        text.addWidget(self.fix)
        box = QHBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        box.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        box.addLayout(text, 1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    def _clicked(self) -> None:
        if self.result.action is not None:
            self.fixRequested.emit(self.result.action)


class DoctorPanel(QWidget):
    """The setup checklist (see module doc)."""

    finished = Signal(object)  # list[CheckResult] of the run that just ended
    actionRequested = Signal(str)  # a window action: open_settings, open_inspector, verify_number
    fixFinished = Signal(str, str)  # (action, what happened)

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.results: list[CheckResult] = []
        self.rows: dict[str, CheckRow] = {}
        self.running = False
        self._shown_once = False
        self._build()
        self._connect_signals()
        self._show_mode()
        latest = core.prober.latest if core.prober is not None else None
        if latest is not None:
            self.show_probe(latest)

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel("Setup doctor", self)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        self.run_button = QPushButton("&Run checks", self)
        self.run_button.setAccessibleName("Run the checks again")
        self.busy = BusyIndicator("Running the checks", self)
        top = QHBoxLayout()
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(self.busy)
        top.addWidget(self.run_button)
        self.demo_label = wrap_label(DEMO_TEXT, self, rich=True)
        self.demo_label.setAccessibleName("Demo mode")
        set_tone(self.demo_label, "warn")
        self.summary = wrap_label("The checks have not run yet.", self)
        self.summary.setAccessibleName("Summary")
        self.probe_label = wrap_label("Self-probe: not run yet.", self)
        self.probe_label.setAccessibleName("Self-probe")
        self.message = wrap_label("", self, rich=True)
        self.message.setAccessibleName("Result of the last fix")
        self.message.hide()
        self.list_widget = QWidget(self)
        self.list_box = QVBoxLayout(self.list_widget)
        self.list_box.setContentsMargins(0, 0, 0, 0)
        self.list_box.setSpacing(6)
        self.list_box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.list_widget)
        scroll.setAccessibleName("Checklist")
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(self.demo_label)
        box.addWidget(self.summary)
        box.addWidget(self.probe_label)
        box.addWidget(self.message)
        box.addWidget(scroll, 1)

    def _connect_signals(self) -> None:
        self.run_button.clicked.connect(self.run)
        self.bridge.stateChanged.connect(self._on_state)

    def showEvent(self, event: QShowEvent) -> None:
        """Run the checks the first time the panel is shown."""
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.run()

    # -- running -------------------------------------------------------------------------------
    def run(self) -> None:
        """Run every check on the runtime; the rows update when the results arrive."""
        if self.running:
            return
        self._busy(True)
        self.summary.setText("Running the checks…")
        call_for(self, self.bridge, self.runtime, self.core.doctor(), self._show, self._failed)

    def _busy(self, on: bool) -> None:
        self.running = on
        self.busy.busy(on)
        self.run_button.setEnabled(not on)

    def _show(self, results: list[CheckResult]) -> None:
        self._busy(False)
        self.results = results
        for row in self.rows.values():
            self.list_box.removeWidget(row)
            row.deleteLater()
        self.rows = {}
        for index, result in enumerate(results):
            row = CheckRow(result, self.list_widget)
            row.fixRequested.connect(self.fix)
            self.list_box.insertWidget(index, row)
            row.show()  # at once, not on the next event loop turn
            self.rows[result.id] = row
        failing = [r for r in results if not r.passed]
        verdict = "Everything passed." if not failing else f"{len(failing)} need attention."
        self.summary.setText(f"{summary_line(results)}. {verdict}")
        set_tone(self.summary, "good" if not failing else "bad")
        self.run_button.setText("&Run again")
        self._show_mode()
        self.finished.emit(results)

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self.summary.setText("The checks could not run.")
        set_tone(self.summary, "bad")
        self._say(error_html(exc), "bad")
        self.finished.emit([])

    # -- fixes ---------------------------------------------------------------------------------
    def fix(self, action: str) -> None:
        """Perform a check's action: window actions go to the main window, others to the core."""
        if action in WINDOW_ACTIONS:
            self.actionRequested.emit(action)
            return
        if action == CONFIGURE_WEBHOOKS and not panel_kit.confirm(
            self,
            "Configure webhooks",
            "Point the account's Messaging Services and SMS numbers at this console's public "
            "URL? Their current URLs are saved first and can be restored.",
            "Configure",
        ):
            return
        self._busy(True)
        call_for(
            self,
            self.bridge,
            self.runtime,
            self.core.run_fix(action),
            lambda text: self._fixed(action, text),
            self._fix_failed,
        )

    def _fixed(self, action: str, text: str) -> None:
        self._busy(False)
        self._say(html.escape(text), "good")
        self.fixFinished.emit(action, text)
        self.run()

    def _fix_failed(self, exc: BaseException) -> None:
        self._busy(False)
        self._say(error_html(exc), "bad")

    def _say(self, rich: str, tone: str) -> None:
        self.message.setText(rich)
        set_tone(self.message, tone)
        self.message.show()

    # -- live state ----------------------------------------------------------------------------
    def _show_mode(self) -> None:
        self.demo_label.setVisible(self.core.state.mode == "demo")

    def _on_state(self, topic: str, state: object) -> None:
        if topic == "probe" and isinstance(state, ProbeResult):
            self.show_probe(state)
        elif topic == "core":
            self._show_mode()

    def show_probe(self, result: ProbeResult) -> None:
        """Show the newest self-probe in one line."""
        when = result.checked_at.astimezone().strftime("%H:%M:%S")
        if result.ok:
            latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
            text, tone = f"Self-probe ({when}): {result.public_url} reachable{latency}.", "good"
        else:
            text, tone = f"Self-probe ({when}): {result.error}", "bad"
        self.probe_label.setText(text)
        set_tone(self.probe_label, tone)
