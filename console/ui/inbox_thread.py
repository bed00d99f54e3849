"""The right side of the inbox: the selected conversation, its opt-out state and the reply box.

``ThreadPane`` shows what the inbox tells it (:meth:`ThreadPane.show_state`: which number,
whether it opted out, whether a call is in flight) and keeps the Reply button enabled only
when there is something to send to someone who may receive it. Sending, opting out and
loading stay with the inbox (:mod:`console.ui.inbox`).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.phone import format_display
from console.ui.models.thread_model import ThreadModel
from console.ui.panel_kit import BusyIndicator, set_tone, wrap_label
from console.ui.panel_parts import error_label


class ThreadPane(QWidget):
    """One conversation with its opt-out state and reply box (see module doc)."""

    def __init__(self, model: ThreadModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._can_reply = False
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
        self.thread_view.setModel(model)
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
        self.error_label = error_label("Reply error", self)
        reply_row = QHBoxLayout()
        reply_row.addWidget(self.reply_edit, 1)
        reply_col = QVBoxLayout()
        reply_col.addWidget(self.reply_button)
        reply_col.addWidget(self.reply_busy)
        reply_col.addStretch(1)
        reply_row.addLayout(reply_col)

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(top)
        box.addWidget(self.opt_out_label)
        box.addWidget(self.thread_view, 1)
        box.addWidget(self.error_label)
        box.addLayout(reply_row)
        self.reply_edit.textChanged.connect(self._update_reply)

    def show_state(self, number: str | None, opted_out: bool, busy: bool) -> None:
        """Show the conversation with ``number`` (None: none selected) and what can be done."""
        self.header_label.setText(format_display(number) if number else "No conversation")
        if number is None:
            self.opt_out_label.setText("Select a conversation on the left to read and reply.")
            set_tone(self.opt_out_label, None)
        elif opted_out:
            self.opt_out_label.setText(
                f"{format_display(number)} has opted out (replied STOP): Twilio refuses "
                "messages to it (error 21610) until it replies START."
            )
            set_tone(self.opt_out_label, "bad")
        else:
            self.opt_out_label.setText("Subscribed: replies can be sent.")
            set_tone(self.opt_out_label, "good")
        self.opt_out_button.setText("Clear opt-&out" if opted_out else "Mark opted &out")
        self.opt_out_button.setEnabled(number is not None and not busy)
        self.reply_edit.setEnabled(number is not None and not opted_out)
        self._can_reply = number is not None and not opted_out and not busy
        self._update_reply()

    def _update_reply(self) -> None:
        self.reply_button.setEnabled(
            self._can_reply and bool(self.reply_edit.toPlainText().strip())
        )
