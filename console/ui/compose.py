"""The compose panel: one message to one recipient, checked live before it is sent.

To is validated and shown in E.164 as it is typed (recent recipients complete it); the sender
comes from the active profile's numbers and Messaging Services; the body shows its encoding,
segments and what is left, with the characters that force UCS-2 highlighted. Trial accounts get
the template picker and a verified-recipient check. Send (Ctrl+Enter) goes through
``core.send`` on the runtime; refusals and Twilio errors are explained inline, and the sent
message's status follows live from the bridge.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.errors import explain
from console.domain.model import DeliveryRecord
from console.domain.phone import format_display
from console.domain.status import FINAL
from console.domain.trial import TrialTemplate
from console.runtime import Bridge, Runtime
from console.ui.bulk import BulkSendDialog
from console.ui.compose_fields import BodyEdit, RecipientField, counter_text
from console.ui.models.roles import status_tone
from console.ui.panel_kit import (
    BusyIndicator,
    ServicePanel,
    is_trial,
    set_tone,
    tab_chain,
    wrap_label,
)
from console.ui.panel_parts import (
    DEFAULT_SENDER,
    add_senders,
    buddy,
    chosen_sender,
    error_label,
    sender_combo,
    shortcut,
    show_error,
)

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)

FINAL_STATUSES = frozenset(s.value for s in FINAL)  # the domain's own list, never a copy


class ComposePanel(ServicePanel, QWidget):
    """Compose and send one message (see module doc)."""

    sent = Signal(object)  # DeliveryRecord, as core.send returned it

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self._trial = False
        self._sending = False
        self.last_sent: DeliveryRecord | None = None
        self._build()
        self._connect_signals()
        self.refresh()

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.recipient = RecipientField(lambda: self.core.settings.default_region, self)
        self.to_edit, self.to_hint = self.recipient.edit, self.recipient.hint

        self.from_combo = sender_combo(self)
        self.from_combo.setAccessibleDescription("The number or Messaging Service that sends")
        self.senders_busy = BusyIndicator("Loading senders", self)
        from_row = QHBoxLayout()
        from_row.addWidget(self.from_combo, 1)
        from_row.addWidget(self.senders_busy)

        self.template_combo = QComboBox(self)
        self.template_combo.setAccessibleName("Trial template")
        self.template_combo.setAccessibleDescription(
            "Trial accounts may only send one of Twilio's predefined templates"
        )
        self.template_label = buddy("T&emplate:", self.template_combo, self)

        self.body_edit = BodyEdit(self)
        self.body_edit.setAccessibleName("Message")
        self.body_edit.setAccessibleDescription("The message text; Ctrl+Enter sends")
        self.body_edit.setMinimumHeight(110)
        self.counter = wrap_label(counter_text(self.body_edit.info()), self)
        self.counter.setAccessibleName("Message cost")

        self.trial_note = wrap_label("", self)
        self.trial_note.setAccessibleName("Trial account note")
        self.trial_note.hide()

        self.bulk_button = QPushButton("&Bulk send…", self)
        self.bulk_button.setAccessibleName("Open bulk send")
        self.bulk_button.setToolTip(
            "Send one personalised message to many recipients (Ctrl+Shift+B)"
        )
        self.bulk_dialog: BulkSendDialog | None = None
        self.send_button = QPushButton("&Send", self)
        self.send_button.setAccessibleName("Send message")
        self.send_button.setToolTip("Send the message (Ctrl+Enter)")
        self.send_button.setDefault(False)
        self.send_busy = BusyIndicator("Sending", self)
        self.result_label = wrap_label("", self)
        self.result_label.setAccessibleName("Send result")
        self.error_label = error_label("Send error", self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy("&To:", self.to_edit, self), self.recipient)
        form.addRow(buddy("&From:", self.from_combo, self), from_row)
        form.addRow(self.template_label, self.template_combo)
        form.addRow(buddy("&Message:", self.body_edit, self), self.body_edit)
        form.addRow("", self.counter)

        buttons = QHBoxLayout()
        buttons.addWidget(self.bulk_button)
        buttons.addWidget(self.result_label, 1)
        buttons.addWidget(self.send_busy)
        buttons.addWidget(self.send_button)

        root = QVBoxLayout(self)
        root.addWidget(self.trial_note)
        root.addLayout(form)
        root.addWidget(self.error_label)
        root.addLayout(buttons)
        root.addStretch(1)

        self._show_templates(())
        tab_chain(
            self.to_edit,
            self.from_combo,
            self.template_combo,
            self.body_edit,
            self.send_button,
            self.bulk_button,
        )
        self._update_counter()

    def _connect_signals(self) -> None:
        self.recipient.changed.connect(self._update_send_enabled)
        self.body_edit.textChanged.connect(self._update_counter)
        self.template_combo.activated.connect(self._apply_template)
        self.send_button.clicked.connect(self.send)
        here = Qt.ShortcutContext.WidgetWithChildrenShortcut
        shortcut(self, self.send, "Ctrl+Return", "Ctrl+Enter", context=here)
        self.bulk_button.clicked.connect(self.open_bulk)  # Ctrl+Shift+B: the window's action
        self.bridge.deliveriesChanged.connect(self._on_deliveries)
        self.bridge.stateChanged.connect(self._on_state)

    def open_bulk(self) -> BulkSendDialog:
        """Show the bulk send dialog: one per panel, kept so that a running job can be followed
        again; reopened after its job ended, it starts a new batch."""
        if self.bulk_dialog is None:
            self.bulk_dialog = BulkSendDialog(self.core, self.runtime, self.bridge, self)
        elif self.bulk_dialog.isHidden() and self.bulk_dialog.ended:
            self.bulk_dialog.new_batch()
        self.bulk_dialog.show()
        self.bulk_dialog.raise_()
        self.bulk_dialog.activateWindow()
        return self.bulk_dialog

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload recent recipients, senders, and the account's trial rules."""
        self.recipient.recent.setStringList(self.core.reader.recent_recipients())
        self.senders_busy.busy(True)
        self.call(self.core.senders(), self._on_senders, self._on_load_error)
        self.call(self.core.account_summary(), self._on_account, self._on_load_error)

    def _on_senders(self, senders: list[Any]) -> None:
        self.senders_busy.busy(False)
        current = self.from_combo.currentData()
        self.from_combo.clear()
        self.from_combo.addItem(DEFAULT_SENDER, None)
        add_senders(self.from_combo, senders)
        for i in range(self.from_combo.count()):
            data = self.from_combo.itemData(i)
            if data is not None and current is not None and data[0] == current[0]:
                self.from_combo.setCurrentIndex(i)

    def _on_load_error(self, exc: BaseException) -> None:
        self.senders_busy.busy(False)
        log.warning("compose could not load account details: %s", exc)
        show_error(self.error_label, exc)

    def _on_account(self, summary: Any) -> None:
        self._trial = is_trial(summary)
        self._show_templates(self.core.trial_templates() if self._trial else ())
        if self._trial:
            self.call(self.core.verified_numbers(), self._on_verified, self._on_load_error)
        else:
            self.recipient.set_verified(None)

    def _on_verified(self, caller_ids: list[Any]) -> None:
        self.recipient.set_verified({c.phone_number for c in caller_ids})

    def _on_state(self, topic: str, state: object) -> None:
        if topic == "core":
            account = getattr(state, "account", None)
            if is_trial(account) != self._trial:
                self._on_account(account)

    def _show_templates(self, templates: tuple[TrialTemplate, ...]) -> None:
        self.template_combo.clear()
        self.template_combo.addItem("Choose a template…", None)
        for t in templates:
            self.template_combo.addItem(t.label, t)
        shown = bool(templates)
        self.template_combo.setVisible(shown)
        self.template_label.setVisible(shown)
        self.trial_note.setVisible(shown)
        self.trial_note.setText(
            "Trial account: messages go only to verified numbers (see Trial numbers) and must "
            "use one of Twilio's templates; free text is refused with error 572006."
        )

    def _apply_template(self, index: int) -> None:
        template = self.template_combo.itemData(index)
        if isinstance(template, TrialTemplate):
            self.body_edit.setPlainText(template.body)
            self.body_edit.setFocus()

    # -- live checks ---------------------------------------------------------------------------
    def _update_counter(self) -> None:
        info = self.body_edit.info()
        self.counter.setText(counter_text(info))
        set_tone(self.counter, "bad" if info.too_long else ("warn" if info.ucs2_chars else None))
        self._update_send_enabled()

    def _update_send_enabled(self) -> None:
        info = self.body_edit.info()
        ok = self.recipient.e164 is not None and info.length > 0 and not info.too_long
        self.send_button.setEnabled(ok and not self._sending)

    # -- sending -------------------------------------------------------------------------------
    def send(self) -> None:
        """Send the message on the runtime (Ctrl+Enter); nothing happens while one is in flight."""
        if not self.send_button.isEnabled() or self.recipient.e164 is None:
            return
        from_, service = chosen_sender(self.from_combo)
        body = self.body_edit.toPlainText()
        self._set_sending(True)
        self.error_label.hide()
        self.result_label.setText(f"Sending to {format_display(self.recipient.e164)}…")
        set_tone(self.result_label, None)
        self.call(
            self.core.send(self.recipient.e164, body, from_=from_, messaging_service_sid=service),
            self._on_sent,
            self._on_send_error,
        )

    def _set_sending(self, on: bool) -> None:
        self._sending = on
        self.send_busy.busy(on)
        self._update_send_enabled()

    def _on_sent(self, record: DeliveryRecord) -> None:
        self._set_sending(False)
        self.last_sent = record
        self.body_edit.clear()
        self.template_combo.setCurrentIndex(0)
        self.recipient.recent.setStringList(self.core.reader.recent_recipients())
        self._show_status(record)
        self.sent.emit(record)

    def _on_send_error(self, exc: BaseException) -> None:
        self._set_sending(False)
        self.result_label.setText("Not sent.")
        set_tone(self.result_label, "bad")
        show_error(self.error_label, exc)

    def _on_deliveries(self, records: tuple[DeliveryRecord, ...]) -> None:
        if self.last_sent is None:
            return
        for rec in records:
            if rec.id == self.last_sent.id:
                self.last_sent = rec
                self._show_status(rec)

    def _show_status(self, rec: DeliveryRecord) -> None:
        to = format_display(rec.to)
        text = f"Message #{rec.id} to {to}: {rec.status}"
        if rec.error_code is not None:
            info = explain(rec.error_code)
            text += f" — error {rec.error_code}" + (
                f" ({info.title}). What to do: {info.action}" if info else ""
            )
        elif rec.status not in FINAL_STATUSES:
            text += " (follow it in Deliveries)"
        self.result_label.setText(text)
        tone = status_tone(rec.status)
        set_tone(self.result_label, tone if tone in ("good", "bad") else None)
