"""The inbox: inbound messages as conversations per number, with reply and opt-out in place.

Left: one row per number that wrote in (number, last message, count, opted-out badge), newest
first. Right: the selected conversation, interleaving what they wrote with what was sent to
them (with live status), a reply box (Ctrl+Enter) and the number's opt-out state. A STOP from
the number marks it opted out; the operator can also change the state, after a confirmation.
Everything stays live through the bridge's ``inboundAdded``, ``optOutsChanged`` and
``deliveriesChanged`` signals.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.domain.model import DeliveryRecord, InboundRecord, OptOutRecord
from console.domain.phone import format_display
from console.runtime import Bridge, Runtime
from console.ui import panel_kit
from console.ui.models.conversations_model import LAST, Conversation, ConversationsModel
from console.ui.models.roles import SORT_ROLE
from console.ui.models.thread_model import ThreadModel
from console.ui.panel_kit import (
    BusyIndicator,
    call_for,
    compact_rows,
    error_html,
    set_tone,
    tab_chain,
    wrap_label,
)

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)

EMPTY_TEXT = (
    "No messages received yet. When someone texts one of your numbers, or replies to a "
    "message you sent, the conversation appears here."
)


class InboxPanel(QWidget):
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
        self.list_view = QTableView(self)
        self.list_view.setModel(self.proxy)
        self.list_view.setAccessibleName("Conversations")
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list_view.setSortingEnabled(True)
        self.list_view.sortByColumn(LAST, Qt.SortOrder.DescendingOrder)
        compact_rows(self.list_view)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.list_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(LAST, QHeaderView.ResizeMode.Stretch)
        self.empty_label = wrap_label(EMPTY_TEXT, self)
        self.empty_label.setAccessibleName("Inbox is empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        left = QWidget(self)
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        title = QLabel("&Conversations", left)
        title.setBuddy(self.list_view)
        left_box.addWidget(title)
        left_box.addWidget(self.list_view, 1)
        left_box.addWidget(self.empty_label, 1)

        self.header_label = QLabel("Select a conversation", self)
        self.header_label.setAccessibleName("Conversation with")
        font = self.header_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.header_label.setFont(font)
        self.opt_out_label = wrap_label("", self)
        self.opt_out_label.setAccessibleName("Opt-out state")
        self.opt_out_button = QPushButton("Mark opted &out", self)
        self.opt_out_button.setAccessibleName("Change opt-out state")
        self.opt_busy = BusyIndicator("Changing the opt-out state", self)
        top = QHBoxLayout()
        top.addWidget(self.header_label, 1)
        top.addWidget(self.opt_busy)
        top.addWidget(self.opt_out_button)

        self.thread_view = QListView(self)
        self.thread_view.setModel(self.thread_model)
        self.thread_view.setAccessibleName("Messages")
        self.thread_view.setWordWrap(True)
        self.thread_view.setUniformItemSizes(False)
        self.thread_view.setSpacing(3)
        self.thread_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.thread_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

        self.reply_edit = QPlainTextEdit(self)
        self.reply_edit.setTabChangesFocus(True)
        self.reply_edit.setPlaceholderText("Reply… (Ctrl+Enter sends)")
        self.reply_edit.setAccessibleName("Reply")
        self.reply_edit.setMaximumHeight(80)
        self.reply_button = QPushButton("&Reply", self)
        self.reply_button.setAccessibleName("Send reply")
        self.reply_button.setToolTip("Send the reply (Ctrl+Enter)")
        self.reply_busy = BusyIndicator("Sending the reply", self)
        self.error_label = wrap_label("", self, rich=True)
        self.error_label.setAccessibleName("Reply error")
        self.error_label.hide()
        reply_row = QHBoxLayout()
        reply_row.addWidget(self.reply_edit, 1)
        reply_col = QVBoxLayout()
        reply_col.addWidget(self.reply_button)
        reply_col.addWidget(self.reply_busy)
        reply_col.addStretch(1)
        reply_row.addLayout(reply_col)

        right = QWidget(self)
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(0, 0, 0, 0)
        right_box.addLayout(top)
        right_box.addWidget(self.opt_out_label)
        right_box.addWidget(self.thread_view, 1)
        right_box.addWidget(self.error_label)
        right_box.addLayout(reply_row)

        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(right)
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
        self.reply_edit.textChanged.connect(self._update_buttons)
        self.opt_out_button.clicked.connect(self.toggle_opt_out)
        shortcut = QShortcut(QKeySequence("Ctrl+Return"), self.reply_edit)
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
        shortcut.activated.connect(self.reply)
        enter = QShortcut(QKeySequence("Ctrl+Enter"), self.reply_edit)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.reply)
        self.bridge.inboundAdded.connect(self._on_inbound)
        self.bridge.optOutsChanged.connect(self._on_opt_outs)
        self.bridge.deliveriesChanged.connect(self._on_deliveries)
        self.conversations.rowsInserted.connect(self._update_empty)
        self.conversations.modelReset.connect(self._update_empty)

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

    def _update_empty(self) -> None:
        empty = self.conversations.rowCount() == 0
        self.empty_label.setVisible(empty)
        self.list_view.setVisible(not empty)

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
        has = self.number is not None
        self.header_label.setText(format_display(self.number) if self.number else "No conversation")
        if self.number is None:
            self.opt_out_label.setText("Select a conversation on the left to read and reply.")
            set_tone(self.opt_out_label, None)
        elif self._opted_out:
            self.opt_out_label.setText(
                f"{format_display(self.number)} has opted out (replied STOP): Twilio refuses "
                "messages to it (error 21610) until it replies START."
            )
            set_tone(self.opt_out_label, "bad")
        else:
            self.opt_out_label.setText("Subscribed: replies can be sent.")
            set_tone(self.opt_out_label, "good")
        self.opt_out_button.setText("Clear opt-&out" if self._opted_out else "Mark opted &out")
        self.opt_out_button.setEnabled(has and not self._busy)
        self.reply_edit.setEnabled(has and not self._opted_out)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ok = self.number is not None and not self._opted_out and not self._busy
        self.reply_button.setEnabled(ok and bool(self.reply_edit.toPlainText().strip()))

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
        call_for(
            self,
            self.bridge,
            self.runtime,
            self.core.reply(self.number, body),
            self._on_replied,
            self._on_error,
        )

    def _on_replied(self, record: DeliveryRecord) -> None:
        self._set_busy(False, self.reply_busy)
        self.reply_edit.clear()
        self.thread_model.update_deliveries([record])
        self.thread_view.scrollToBottom()

    def _on_error(self, exc: BaseException) -> None:
        self._set_busy(False, self.reply_busy)
        self._set_busy(False, self.opt_busy)
        self.error_label.setText(error_html(exc))
        set_tone(self.error_label, "bad")
        self.error_label.show()

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
        call_for(
            self,
            self.bridge,
            self.runtime,
            self.core.set_opt_out(number, new_state),
            lambda _none: self._on_opt_out_set(number),
            self._on_error,
        )

    def _on_opt_out_set(self, number: str) -> None:
        self._set_busy(False, self.opt_busy)
        if number == self.number:
            self._opted_out = self.core.reader.is_opted_out(number)
            self._show_conversation()
