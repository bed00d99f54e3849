"""The inbox: inbound messages as conversations per number, with reply and opt-out in place.

Left: one row per number that wrote in (number, last message, count, opted-out badge), newest
first. Right: the selected conversation, interleaving what they wrote with what was sent to
them (with live status), a reply box (Ctrl+Enter) and the number's opt-out state. A STOP from
the number marks it opted out; the operator can also change the state, after a confirmation.
Everything stays live through the bridge's ``inboundAdded``, ``optOutsChanged`` and
``deliveriesChanged`` signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from console.domain.model import DeliveryRecord, InboundRecord, OptOutRecord
from console.domain.phone import format_display
from console.runtime import Bridge, Runtime
from console.ui import panel_kit
from console.ui.inbox_thread import ThreadPane
from console.ui.models.conversations_model import LAST, Conversation, ConversationsModel
from console.ui.models.roles import SORT_ROLE
from console.ui.models.thread_model import ThreadModel
from console.ui.panel_kit import BusyIndicator, ServicePanel, tab_chain
from console.ui.panel_parts import buddy, empty_state, record_table, shortcut, show_error

if TYPE_CHECKING:
    from console.core import Core

EMPTY_TEXT = (
    "No messages received yet. When someone texts one of your numbers, or replies to a "
    "message you sent, the conversation appears here."
)


class InboxPanel(ServicePanel, QWidget):
    """Conversations per number with their threads (see module doc)."""

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.number: str | None = None
        self._opted_out = False
        self._busy = False
        self.conversations = ConversationsModel(self)
        self.thread_model = ThreadModel(self)
        self._build()
        self._connect_signals()
        self.reload()

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.conversations)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)
        newest_first = (LAST, Qt.SortOrder.DescendingOrder)
        self.list_view = record_table(
            self, self.proxy, "Conversations", sort_by=newest_first, stretch=LAST
        )
        self.empty_label = empty_state(
            EMPTY_TEXT, "Inbox is empty", self.list_view, self.conversations, self
        )
        left = QWidget(self)
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(buddy("&Conversations", self.list_view, left))
        left_box.addWidget(self.list_view, 1)
        left_box.addWidget(self.empty_label, 1)

        self.pane = ThreadPane(self.thread_model, self)
        pane = self.pane
        self.header_label, self.opt_out_label = pane.header_label, pane.opt_out_label
        self.opt_out_button, self.opt_busy = pane.opt_out_button, pane.opt_busy
        self.thread_view, self.error_label = pane.thread_view, pane.error_label
        self.reply_edit, self.reply_button = pane.reply_edit, pane.reply_button
        self.reply_busy = pane.reply_busy

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(pane)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 580])
        root = QVBoxLayout(self)
        root.addWidget(splitter)
        tab_chain(
            self.list_view,
            self.opt_out_button,
            self.thread_view,
            self.reply_edit,
            self.reply_button,
        )
        self._show_conversation()

    def _connect_signals(self) -> None:
        self.list_view.selectionModel().selectionChanged.connect(self._on_selection)
        self.reply_button.clicked.connect(self.reply)
        self.opt_out_button.clicked.connect(self.toggle_opt_out)
        shortcut(self.reply_edit, self.reply, "Ctrl+Return", "Ctrl+Enter")
        self.bridge.inboundAdded.connect(self._on_inbound)
        self.bridge.optOutsChanged.connect(self._on_opt_outs)
        self.bridge.deliveriesChanged.connect(self._on_deliveries)

    # -- loading -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Reload every conversation from the store (reads are short and local)."""
        reader = self.core.reader
        opted = {o.number: o.opted_out for o in reader.opt_outs()}
        self.conversations.set_conversations(
            Conversation(number, last, count, opted.get(number, False))
            for number, last, count in reader.conversations()
        )
        if self.number is not None:
            self.select_number(self.number)

    def select_number(self, number: str) -> bool:
        """Select the conversation with ``number``; False when there is none."""
        row = self.conversations.row_of(number)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.conversations.index(row, 0))
        self.list_view.selectRow(index.row())
        return True

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.list_view.selectionModel().selectedRows()
        if not rows:
            return
        source = self.proxy.mapToSource(rows[0])
        self.number = self.conversations.conversation(source.row()).number
        reader = self.core.reader
        self.thread_model.set_thread(
            self.number, reader.inbound_from(self.number), reader.deliveries_to(self.number)
        )
        self._opted_out = reader.is_opted_out(self.number)
        self.error_label.hide()
        self._show_conversation()
        self.thread_view.scrollToBottom()

    def _show_conversation(self) -> None:
        self.pane.show_state(self.number, self._opted_out, self._busy)

    # -- live ----------------------------------------------------------------------------------
    def _on_inbound(self, records: tuple[InboundRecord, ...]) -> None:
        new_numbers = {r.from_ for r in records if self.conversations.row_of(r.from_) is None}
        opted = {n: self.core.reader.is_opted_out(n) for n in new_numbers}
        self.conversations.add_inbound(records, opted)
        self.thread_model.add_inbound(records)
        if self.number is None and self.conversations.rowCount() > 0:
            self.list_view.selectRow(0)

    def _on_opt_outs(self, records: tuple[OptOutRecord, ...]) -> None:
        self.conversations.set_opt_outs(records)
        for rec in records:
            if rec.number == self.number:
                self._opted_out = rec.opted_out
                self._show_conversation()

    def _on_deliveries(self, records: tuple[DeliveryRecord, ...]) -> None:
        self.thread_model.update_deliveries(records)

    # -- actions -------------------------------------------------------------------------------
    def _set_busy(self, on: bool, indicator: BusyIndicator) -> None:
        self._busy = on
        indicator.busy(on)
        self._show_conversation()

    def reply(self) -> None:
        """Send the reply text to the selected number (Ctrl+Enter)."""
        body = self.reply_edit.toPlainText()
        if self.number is None or not self.reply_button.isEnabled():
            return
        self._set_busy(True, self.reply_busy)
        self.error_label.hide()
        self.call(self.core.reply(self.number, body), self._on_replied, self._on_error)

    def _on_replied(self, record: DeliveryRecord) -> None:
        self._set_busy(False, self.reply_busy)
        self.reply_edit.clear()
        self.thread_model.update_deliveries([record])
        self.thread_view.scrollToBottom()

    def _on_error(self, exc: BaseException) -> None:
        self._set_busy(False, self.reply_busy)
        self._set_busy(False, self.opt_busy)
        show_error(self.error_label, exc)

    def toggle_opt_out(self) -> None:
        """Mark the selected number opted out (or back in), after a confirmation."""
        if self.number is None:
            return
        shown = format_display(self.number)
        if self._opted_out:
            question = (
                f"Clear the opt-out of {shown}? Only do this if the person asked to receive "
                "messages again (for example by replying START)."
            )
            action = "Clear opt-out"
        else:
            question = (
                f"Mark {shown} as opted out? The console will refuse to send to it until the "
                "opt-out is cleared."
            )
            action = "Mark opted out"
        if not panel_kit.confirm(self, "Opt-out", question, action):
            return
        number, new_state = self.number, not self._opted_out
        self._set_busy(True, self.opt_busy)
        self.call(
            self.core.set_opt_out(number, new_state),
            lambda _none: self._on_opt_out_set(number),
            self._on_error,
        )

    def _on_opt_out_set(self, number: str) -> None:
        self._set_busy(False, self.opt_busy)
        if number == self.number:
            self._opted_out = self.core.reader.is_opted_out(number)
            self._show_conversation()
