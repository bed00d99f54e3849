"""The webhook inspector: every request the local server received, and why it passed or failed.

Top: a table (time, method, path, status, verdict in colour, short diagnosis), live from
``Bridge.requestsAdded``, filterable by text and to failures only. Bottom: the selected
request's summary (verdict, the URL the signature was checked against, the full diagnosis),
its headers (already redacted by the server), its body (form-decoded and raw) and the response.
Replay (Ctrl+R) re-posts the request to the local server through ``core.replay`` and shows the
new status; the replayed request appears in the table with the verdict 'replayed'. Only a request
that was accepted can be replayed (the console re-signs it): for a refused one the button is
disabled and its tooltip — and Ctrl+R — say why and what to do instead.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console.domain.model import Verdict, WebhookRequestRecord
from console.runtime import Bridge, Runtime
from console.ui.models.requests_model import (
    DIAGNOSIS,
    TIME,
    RequestFilter,
    RequestsModel,
    decoded_body,
    raw_body,
    verdict_text,
    verdict_tone,
)
from console.ui.models.roles import RECORD_ROLE
from console.ui.panel_kit import (
    BusyIndicator,
    ServicePanel,
    compact_rows,
    error_text,
    set_tone,
    tab_chain,
    tone_color,
    wrap_label,
)
from console.ui.panel_parts import buddy, empty_state, record_table, shortcut
from console.webhooks.replay import refusal

if TYPE_CHECKING:
    from console.core import Core

EMPTY_TEXT = (
    "No webhook requests yet. Every status callback and inbound message the local server "
    "receives is listed here with its signature verdict."
)
REPLAY_TIP = (
    "Post this request again to the local server (Ctrl+R): re-signed by the console with the "
    "Auth Token and marked as a replay, so its effect is never taken for a report from Twilio"
)
NOTHING_TO_REPLAY_TIP = "Select an accepted request to replay it (Ctrl+R)"
REPLAYED_NOTE = " — a replay re-signed by the console, not sent by Twilio"


class InspectorPanel(ServicePanel, QWidget):
    """Webhook requests and their details (see module doc)."""

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.model = RequestsModel(parent=self)
        self.proxy = RequestFilter(self)
        self.proxy.setSourceModel(self.model)
        self.current: WebhookRequestRecord | None = None
        self.last_replay_status: int | None = None
        self._replaying = False
        self._build()
        self._connect_signals()
        self.reload()

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by path, status, verdict or diagnosis")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter requests")
        self.failures_box = QCheckBox("Only &failures", self)
        self.failures_box.setAccessibleName("Show only failed requests")
        bar = QHBoxLayout()
        bar.addWidget(buddy("Fil&ter:", self.filter_edit, self))
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.failures_box)

        newest_first = (TIME, Qt.SortOrder.DescendingOrder)
        self.table = record_table(
            self, self.proxy, "Webhook requests", sort_by=newest_first, stretch=DIAGNOSIS
        )
        self.empty_label = empty_state(EMPTY_TEXT, "No requests", self.table, self.model, self)

        self.summary = QTextBrowser(self)
        self.summary.setAccessibleName("Request summary")
        self.summary.setOpenExternalLinks(False)
        self.headers_table = self._pairs_table("Request headers")
        self.form_table = self._pairs_table("Body fields")
        self.raw_edit = self._text_view("Raw body")
        self.response_edit = self._text_view("Response")
        body_split = QSplitter(Qt.Orientation.Vertical, self)
        body_split.addWidget(self.form_table)
        body_split.addWidget(self.raw_edit)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Request details")
        self.tabs.addTab(self.summary, "Summary")
        self.tabs.addTab(self.headers_table, "Headers")
        self.tabs.addTab(body_split, "Body")
        self.tabs.addTab(self.response_edit, "Response")

        self.replay_button = QPushButton("Re&play", self)
        self.replay_button.setAccessibleName("Replay request")
        self.replay_button.setToolTip(NOTHING_TO_REPLAY_TIP)
        self.replay_busy = BusyIndicator("Replaying", self)
        self.replay_label = wrap_label("", self)
        self.replay_label.setAccessibleName("Replay result")
        actions = QHBoxLayout()
        actions.addWidget(self.replay_label, 1)
        actions.addWidget(self.replay_busy)
        actions.addWidget(self.replay_button)

        top = QWidget(self)
        top_box = QVBoxLayout(top)
        top_box.setContentsMargins(0, 0, 0, 0)
        top_box.addLayout(bar)
        top_box.addWidget(self.table, 1)
        top_box.addWidget(self.empty_label, 1)
        bottom = QWidget(self)
        bottom_box = QVBoxLayout(bottom)
        bottom_box.setContentsMargins(0, 0, 0, 0)
        bottom_box.addWidget(self.tabs, 1)
        bottom_box.addLayout(actions)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([340, 300])
        root = QVBoxLayout(self)
        root.addWidget(splitter)
        tab_chain(self.filter_edit, self.failures_box, self.table, self.tabs, self.replay_button)
        self._show(None)

    def _pairs_table(self, name: str) -> QTableWidget:
        table = QTableWidget(0, 2, self)
        table.setHorizontalHeaderLabels(["Name", "Value"])
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        compact_rows(table)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAccessibleName(name)
        return table

    def _text_view(self, name: str) -> QPlainTextEdit:
        view = QPlainTextEdit(self)
        view.setReadOnly(True)
        view.setAccessibleName(name)
        return view

    def _connect_signals(self) -> None:
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.filter_edit.textChanged.connect(self.proxy.setFilterFixedString)
        self.failures_box.toggled.connect(self.proxy.set_failures_only)
        self.replay_button.clicked.connect(self.replay)
        here = Qt.ShortcutContext.WidgetWithChildrenShortcut
        shortcut(self, self.replay, "Ctrl+R", context=here)
        self.bridge.requestsAdded.connect(self._on_requests)

    # -- data ----------------------------------------------------------------------------------
    def reload(self) -> None:
        """Load the newest requests from the store."""
        self.model.set_records(self.core.reader.requests(limit=500))

    def _on_requests(self, records: tuple[WebhookRequestRecord, ...]) -> None:
        self.model.add_records(records)

    def select_request(self, request_id: int) -> bool:
        """Select a request by id (clears the filters if they hide it); False if not loaded."""
        row = self.model.row_of(request_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.filter_edit.clear()
            self.failures_box.setChecked(False)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        return True

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        record = rows[0].data(RECORD_ROLE) if rows else None
        self._show(record if isinstance(record, WebhookRequestRecord) else None)

    def changeEvent(self, event: QEvent) -> None:
        """Re-render the summary's colours when the theme changes."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._show(self.current)

    # -- details -------------------------------------------------------------------------------
    def _show(self, record: WebhookRequestRecord | None) -> None:
        self.current = record
        self._sync_replay_button()
        if record is None:
            self.summary.setHtml(f"<p>{html.escape('Select a request to see its details.')}</p>")
            for table in (self.headers_table, self.form_table):
                table.setRowCount(0)
            self.raw_edit.clear()
            self.response_edit.clear()
            return
        self.summary.setHtml(self._summary_html(record))
        self._fill(self.headers_table, list(record.headers))
        self._fill(self.form_table, decoded_body(record))
        self.raw_edit.setPlainText(raw_body(record))
        self.response_edit.setPlainText(f"HTTP {record.status_code}\n\n{record.response_body}")

    @staticmethod
    def _fill(table: QTableWidget, pairs: list[tuple[str, str]]) -> None:
        table.setRowCount(len(pairs))
        for row, (name, value) in enumerate(pairs):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(value))

    def _summary_html(self, r: WebhookRequestRecord) -> str:
        colour = tone_color(verdict_tone(r)).name()
        esc = html.escape
        target = esc(r.path + (f"?{r.query}" if r.query else ""))
        note = esc(REPLAYED_NOTE) if r.verdict is Verdict.REPLAYED else ""
        rows = [
            ("Received", esc(r.received_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))),
            ("Request", f"{esc(r.method)} {target}"),
            ("From", esc(r.remote or "unknown")),
            ("Status", f'<span style="color:{colour}"><b>{r.status_code}</b></span>'),
            (
                "Signature",
                f'<span style="color:{colour}"><b>{esc(verdict_text(r))}</b></span>{note}',
            ),
            ("Checked against", esc(r.checked_url or "—")),
            ("Answered in", f"{r.duration_ms:.1f} ms"),
        ]
        table = "".join(
            f"<tr><td><b>{name}</b>&nbsp;&nbsp;</td><td>{value}</td></tr>" for name, value in rows
        )
        diagnosis = ""
        if r.diagnosis:
            text = esc(r.diagnosis).replace("\n", "<br>")
            diagnosis = f'<h4>Diagnosis</h4><p style="color:{colour}">{text}</p>'
        return f"<table>{table}</table>{diagnosis}"

    # -- replay --------------------------------------------------------------------------------
    def _sync_replay_button(self) -> None:
        """Enable Replay for an accepted request; otherwise its tooltip says why not."""
        reason = None if self.current is None else refusal(self.current)
        self.replay_button.setEnabled(
            self.current is not None and reason is None and not self._replaying
        )
        if self.current is None:
            self.replay_button.setToolTip(NOTHING_TO_REPLAY_TIP)
        elif reason is not None:
            self.replay_button.setToolTip(f"Replay (Ctrl+R) is not available. {reason}")
        else:
            self.replay_button.setToolTip(REPLAY_TIP)

    def replay(self) -> None:
        """Replay the selected request to the local server (Ctrl+R); a refused request is not
        replayed, and the result line says why."""
        record = self.current
        if record is None or self._replaying:
            return
        reason = refusal(record)
        if reason is not None:
            self.replay_label.setText(reason)
            set_tone(self.replay_label, "bad")
            return
        self._replaying = True
        self._sync_replay_button()
        self.replay_busy.busy(True)
        self.replay_label.setText(f"Replaying request #{record.id}…")
        set_tone(self.replay_label, None)
        self.call(
            self.core.replay(record.id),
            lambda status: self._on_replayed(record, status),
            self._on_replay_error,
        )

    def _replay_done(self) -> None:
        self._replaying = False
        self.replay_busy.busy(False)
        self._sync_replay_button()

    def _on_replayed(self, record: WebhookRequestRecord, status: int) -> None:
        self._replay_done()
        self.last_replay_status = status
        was = f"(was {record.status_code})"
        self.replay_label.setText(
            f"Replayed request #{record.id}: the server answered HTTP {status} {was}; "
            "the replay is listed at the top with the verdict 'replayed'."
        )
        set_tone(self.replay_label, "good" if status < 400 else "bad")

    def _on_replay_error(self, exc: BaseException) -> None:
        self._replay_done()
        self.replay_label.setText(f"Replay failed: {error_text(exc)}")
        set_tone(self.replay_label, "bad")
