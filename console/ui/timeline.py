"""The timeline of the selected delivery: every event, why it failed and what to do, raw payloads.

Top: the delivery (recipient, sender, status, SID) and, for a failure, the catalog's explanation
and fix. Middle: every event (time, source, status, error, signature verdict), appended live from
``bridge.eventsAdded``. Bottom: the selected event's explanation, signature verdict and raw
payload as pretty JSON.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import parse_qsl

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, Qt, Slot
from PySide6.QtGui import QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.errors import explain
from console.domain.model import DeliveryRecord, EventRecord, Verdict
from console.runtime import Bridge
from console.store.queries import Reader
from console.ui.models.delivery_columns import display_number, local_time
from console.ui.models.timeline_model import EventColumn, TimelineModel, event_time, source_label
from console.ui.panel_kit import wrap_label
from console.ui.widgets.status_delegate import StatusBadgeDelegate
from console.ui.widgets.status_style import is_failure, style

SIGNATURE_TEXT: dict[Verdict | None, str] = {
    Verdict.VALID: "Signature valid: signed by Twilio with this account's Auth Token.",
    Verdict.INVALID: "Signature INVALID: the request did not match this account's Auth Token "
    "and public URL. It was refused; see the Webhook inspector for the diagnosis.",
    Verdict.MISSING: "No X-Twilio-Signature header: not sent by Twilio. It was refused.",
    Verdict.SKIPPED: "Signature not checked (validation is turned off in Settings).",
    Verdict.REPLAYED: "Replayed from the webhook inspector (re-signed by the console): a logged "
    "request the console sent again, not a report signed by Twilio.",
    None: "No signature: this observation did not come through a webhook.",
}


def pretty_payload(payload: str) -> str:
    """A payload as indented JSON (form-encoded bodies are shown as JSON too)."""
    text = payload.strip()
    if not text:
        return ""
    try:
        value = json.loads(text)
    except ValueError:
        pairs = parse_qsl(text, keep_blank_values=True) if "=" in text else []
        if not pairs:
            return payload
        value = dict(pairs)
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def explanation_html(code: int | None, message: str | None = None, link: str = "") -> str:
    """The catalog's explanation of an error code as rich text (empty without a code).

    ``link`` is the link colour (``#rrggbb``) to use; rich text keeps the colour it was laid
    out with, so the caller passes its palette's.
    """
    info = explain(code)
    if info is None:
        return ""
    said = ""
    if message and message.strip() and message.strip() != info.title:
        said = f"<br><i>Twilio said:</i> {escape(message.strip())}"
    retry = "Sending again later can succeed." if info.retryable else "Do not simply resend."
    if "resend" in info.action.lower():
        retry = ""  # the action already says what resending would do
    colour = f' style="color:{link}"' if link else ""
    return (
        f"<b>{info.code} — {escape(info.title)}</b> "
        f'(<a href="{escape(info.url)}"{colour}>Twilio\'s page</a>)<br>'
        f"{escape(info.cause)}<br>"
        f"<b>What to do:</b> {escape(info.action)}{' ' + retry if retry else ''}{said}"
    )


class TimelinePanel(QWidget):
    """The selected delivery's events and explanations (see module doc)."""

    def __init__(self, reader: Reader, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._reader = reader
        self._bridge = bridge
        self._delivery: DeliveryRecord | None = None
        self.model = TimelineModel(self)

        self.empty = QLabel("Select a delivery to see every event it went through.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.summary = QLabel(self)
        self.summary.setAccessibleName("Selected delivery")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.explanation = wrap_label("", self, rich=True)
        self.explanation.setAccessibleName("Why the message failed")
        self.explanation.setFrameShape(QFrame.Shape.StyledPanel)
        self.explanation.setObjectName("failureExplanation")

        self.events = QTableView(self)
        self.events.setAccessibleName("Events of the selected delivery")
        self.events.setModel(self.model)
        self.events.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.events.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.events.setWordWrap(False)
        self.events.verticalHeader().setVisible(False)
        self.events.setItemDelegateForColumn(EventColumn.STATUS, StatusBadgeDelegate(self.events))
        header = self.events.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((0, 100), (1, 110), (2, 120), (4, 80)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(EventColumn.ERROR, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)

        self.detail = wrap_label("", self, rich=True)
        self.detail.setAccessibleName("Selected event")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setMinimumWidth(200)
        self.payload = QPlainTextEdit(self)
        self.payload.setAccessibleName("Raw payload")
        self.payload.setReadOnly(True)
        self.payload.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.payload.setPlaceholderText("The raw payload of the selected event")
        self.payload.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        content = QWidget(self)
        top = QVBoxLayout(content)
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.summary)
        top.addWidget(self.explanation)
        # events across the full width; below them the selected event: its text, its payload
        self.splitter = QSplitter(Qt.Orientation.Vertical, content)
        self.splitter.addWidget(self.events)
        lower = QSplitter(Qt.Orientation.Horizontal, self.splitter)
        lower.addWidget(self.detail)
        lower.addWidget(self.payload)
        lower.setStretchFactor(0, 1)
        lower.setStretchFactor(1, 1)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        top.addWidget(self.splitter, 1)

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.stack)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._bridge.eventsAdded.connect(self._events_added)
        self._bridge.deliveriesChanged.connect(self._deliveries_changed)
        self.events.selectionModel().currentRowChanged.connect(self._event_selected)
        self.model.rowsInserted.connect(self._follow_latest)

    # -- public API ----------------------------------------------------------------------------
    @property
    def delivery(self) -> DeliveryRecord | None:
        """The delivery shown."""
        return self._delivery

    @Slot(object)
    def show_delivery(self, delivery: DeliveryRecord | None) -> None:
        """Show ``delivery``'s events (None: the empty state)."""
        self._delivery = delivery
        if delivery is None:
            self.model.set_events(None, [])
            self.stack.setCurrentWidget(self.empty)
            return
        self.model.set_events(delivery.id, self._reader.events(delivery.id))
        self._show_summary(delivery)
        self.stack.setCurrentIndex(1)
        self._select_row(self.model.rowCount() - 1)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        changed = (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)
        if event.type() in changed and self._delivery is not None:
            # rich text keeps the link colour of the palette it was laid out with
            self._show_summary(self._delivery)
            current = self.events.currentIndex()
            self._show_event(self.model.event(current.row()) if current.isValid() else None)

    # -- internals -----------------------------------------------------------------------------
    def _show_summary(self, d: DeliveryRecord) -> None:
        sender = display_number(d.from_ or d.messaging_service_sid or "")
        parts = [
            f"<b>{escape(display_number(d.to))}</b> from {escape(sender)}",
            f"status <b>{escape(style(d.status).label)}</b>",
            f"SID {escape(d.sid or 'not assigned yet')}",
            f"{d.segments} segment{'s' if d.segments != 1 else ''}"
            + (f" ({escape(d.encoding)})" if d.encoding else ""),
            f"created {escape(local_time(d.created_at))}",
        ]
        if d.price:
            parts.append(f"price {escape(d.price)} {escape(d.price_unit or '')}")
        body = escape(d.body or "")
        self.summary.setText(" · ".join(parts) + (f"<br>“{body}”" if body else ""))
        html = explanation_html(d.error_code, d.error_message, self._link_colour())
        if not html and is_failure(d.status):
            html = (
                f"<b>{escape(style(d.status).label.capitalize())}</b> without an error "
                "code. Open the latest event below for what Twilio reported."
            )
        self.explanation.setText(html)
        self.explanation.setVisible(bool(html))

    def _link_colour(self) -> str:
        return self.palette().color(QPalette.ColorRole.Link).name()

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        if index.isValid():
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.events.selectionModel().setCurrentIndex(index, flags)
        else:
            self._show_event(None)

    @Slot(object)
    def _events_added(self, events: tuple[EventRecord, ...]) -> None:
        if self._delivery is not None:
            self.model.add_events(events)

    @Slot(object)
    def _deliveries_changed(self, records: tuple[DeliveryRecord, ...]) -> None:
        if self._delivery is None:
            return
        for rec in records:
            if rec.id == self._delivery.id:
                previous, self._delivery = self._delivery, rec
                self._show_summary(rec)
                if rec.sid != previous.sid:
                    # getting its SID adopts events recorded earlier under that SID (a callback
                    # that beat the API answer): they are not in eventsAdded, so read them
                    self.model.add_events(self._reader.events(rec.id))

    @Slot(QModelIndex, int, int)
    def _follow_latest(self, _parent: QModelIndex, _first: int, last: int) -> None:
        current = self.events.currentIndex()
        if not current.isValid() or current.row() == _first - 1:
            self._select_row(last)

    @Slot(QModelIndex, QModelIndex)
    def _event_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_event(self.model.event(current.row()) if current.isValid() else None)

    def _show_event(self, ev: EventRecord | None) -> None:
        if ev is None:
            self.detail.setText("")
            self.payload.setPlainText("")
            return
        head = (
            f"<b>{escape(source_label(ev))}</b> at "
            f"{escape(event_time(ev))}: <b>{escape(ev.status)}</b>"
        )
        if not ev.applied:
            head += " — a status the console does not know; kept, not applied."
        parts = [f"<p>{head}</p>", f"<p>{escape(SIGNATURE_TEXT.get(ev.signature, ''))}</p>"]
        shown_above = self._delivery is not None and self._delivery.error_code == ev.error_code
        if ev.error_code and not shown_above:
            parts.append(
                f"<p>{explanation_html(ev.error_code, ev.error_message, self._link_colour())}</p>"
            )
        elif ev.error_code:
            parts.append(f"<p>Error {ev.error_code}: explained above.</p>")
        self.detail.setText("".join(parts))
        self.payload.setPlainText(pretty_payload(ev.payload))
