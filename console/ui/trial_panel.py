"""Trial numbers: the verified caller IDs a trial account may text, and verifying new ones.

A trial account sends only to verified numbers (at most five, shared with Voice). "Verify"
asks Twilio to call the number and shows the 6-digit code, large and copyable, with the
instruction to type it on the phone. Remove asks for a confirmation first. On a full account
the panel explains that verification is not needed and its controls are disabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from console.domain.phone import format_display
from console.domain.trial import MAX_VERIFIED_CALLER_IDS
from console.gateway.resources import CallerId, Verification
from console.runtime import Bridge, Runtime
from console.ui import panel_kit
from console.ui.models.caller_ids_model import NUMBER, CallerIdsModel
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE
from console.ui.panel_kit import (
    BusyIndicator,
    ServicePanel,
    is_trial,
    set_tone,
    tab_chain,
    wrap_label,
)
from console.ui.panel_parts import buddy, error_label, record_table, shortcut, show_error
from console.ui.trial_verify import CodeBox, VerifyForm

if TYPE_CHECKING:
    from console.core import Core


class TrialPanel(ServicePanel, QWidget):
    """Verified caller IDs and verification (see module doc)."""

    def __init__(
        self, core: Core, runtime: Runtime, bridge: Bridge, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.core, self.runtime, self.bridge = core, runtime, bridge
        self.model = CallerIdsModel(self)
        self.trial: bool | None = None  # unknown until the account summary arrives
        self._busy = False
        self.verification: Verification | None = None
        self._build()
        self._connect_signals()
        self.refresh()

    # -- construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.account_label = wrap_label("Checking the account type…", self)
        self.account_label.setAccessibleName("Account type")
        self.limit_label = wrap_label("", self)
        self.limit_label.setAccessibleName("Trial limit")

        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(self.model)
        proxy.setSortRole(SORT_ROLE)
        self.table = record_table(
            self,
            proxy,
            "Verified numbers",
            sort_by=(NUMBER, Qt.SortOrder.AscendingOrder),
            elide=Qt.TextElideMode.ElideMiddle,
        )
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(120)

        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setAccessibleName("Remove verified number")
        self.refresh_button = QPushButton("Re&fresh", self)
        self.refresh_button.setAccessibleName("Refresh verified numbers")
        self.busy = BusyIndicator("Talking to Twilio", self)
        row = QHBoxLayout()
        row.addWidget(self.busy)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.remove_button)

        self.verify_group = form = VerifyForm(self)
        self.number_edit, self.name_edit = form.number_edit, form.name_edit
        self.number_hint, self.verify_button = form.number_hint, form.verify_button
        self.code_group = code = CodeBox(self)
        self.instruction, self.code_edit = code.instruction, code.code_edit
        self.copy_button = code.copy_button
        self.error_label = error_label("Error", self)

        title = buddy("&Verified numbers", self.table, self)
        root = QVBoxLayout(self)
        root.addWidget(self.account_label)
        root.addWidget(title)
        root.addWidget(self.table, 1)
        root.addWidget(self.limit_label)
        root.addLayout(row)
        root.addWidget(self.verify_group)
        root.addWidget(self.code_group)
        root.addWidget(self.error_label)
        root.addStretch(0)
        tab_chain(
            self.table,
            self.refresh_button,
            self.remove_button,
            self.number_edit,
            self.name_edit,
            self.verify_button,
            self.copy_button,
        )
        self._update()

    def _connect_signals(self) -> None:
        self.refresh_button.clicked.connect(self.refresh)
        self.remove_button.clicked.connect(self.remove_selected)
        self.verify_button.clicked.connect(self.verify)
        self.number_edit.textChanged.connect(self._update)
        self.number_edit.returnPressed.connect(self.verify)
        self.name_edit.returnPressed.connect(self.verify)
        self.table.selectionModel().selectionChanged.connect(self._update)
        shortcut(self.table, self.remove_selected, QKeySequence.StandardKey.Delete)
        self.bridge.stateChanged.connect(self._on_state)

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the account type and, on a trial account, the verified numbers."""
        self._set_busy(True)
        self.call(self.core.account_summary(), self._on_account, self._on_error)

    def _on_account(self, summary: Any) -> None:
        self.trial = is_trial(summary)
        if self.trial:
            name = getattr(summary, "friendly_name", "") or "This account"
            self.account_label.setText(
                f"{name} is a trial account: it can send only to verified numbers, at most "
                f"{MAX_VERIFIED_CALLER_IDS} (shared with Voice), and only Twilio's templates."
            )
            set_tone(self.account_label, None)
            self.call(self.core.verified_numbers(), self._on_numbers, self._on_error)
        else:
            self._set_busy(False)
            self.model.set_caller_ids([])
            self.account_label.setText(
                "This is a full (upgraded) account: it can send to any number, so verifying "
                "numbers is not needed. These tools apply to trial accounts only."
                if summary is not None
                else "The account could not be read yet; verification needs a trial account."
            )
            set_tone(self.account_label, "info")
            self._update()

    def _on_numbers(self, caller_ids: list[CallerId]) -> None:
        self._set_busy(False)
        self.model.set_caller_ids(caller_ids)
        self._update()

    def _on_state(self, topic: str, state: object) -> None:
        if topic != "core":
            return
        account = getattr(state, "account", None)
        if account is not None and is_trial(account) != self.trial:
            self.refresh()

    def _on_error(self, exc: BaseException) -> None:
        self._set_busy(False)
        show_error(self.error_label, exc)

    # -- state ---------------------------------------------------------------------------------
    @property
    def working(self) -> bool:
        """Whether a call to the runtime is in flight."""
        return self._busy

    def _set_busy(self, on: bool) -> None:
        self._busy = on
        self.busy.busy(on)
        if on:
            self.error_label.hide()
        self._update()

    def _number(self) -> str | None:
        return self.verify_group.number(self.core.settings.default_region, self.model.numbers())

    def _update(self) -> None:
        trial = bool(self.trial)
        count = self.model.rowCount()
        full = count >= MAX_VERIFIED_CALLER_IDS
        if trial:
            self.limit_label.setText(
                f"{count} of {MAX_VERIFIED_CALLER_IDS} verified numbers used"
                + (": remove one to verify another." if full else ".")
            )
            set_tone(self.limit_label, "warn" if full else None)
        else:
            self.limit_label.setText("")
        selected = bool(self.table.selectionModel().selectedRows())
        number = self._number()
        self.table.setEnabled(trial)
        self.verify_group.setEnabled(trial and not full)
        self.refresh_button.setEnabled(not self._busy)
        self.remove_button.setEnabled(trial and selected and not self._busy)
        self.verify_button.setEnabled(trial and not full and number is not None and not self._busy)

    # -- actions -------------------------------------------------------------------------------
    def verify(self) -> None:
        """Ask Twilio to call the number; show the code to type when it answers."""
        number = self._number()
        if number is None or not self.verify_button.isEnabled():
            return
        self._set_busy(True)
        self.call(
            self.core.verify(number, self.name_edit.text().strip()),
            self._on_verification,
            self._on_error,
        )

    def _on_verification(self, verification: Verification) -> None:
        self._set_busy(False)
        self.verification = verification
        self.code_group.show_code(verification)
        self.number_edit.clear()
        self.name_edit.clear()
        self.copy_button.setFocus()

    def remove_selected(self) -> None:
        """Remove the selected verified number after a confirmation."""
        rows = self.table.selectionModel().selectedRows()
        if not rows or not self.remove_button.isEnabled():
            return
        caller = rows[0].data(RECORD_ROLE)
        if not isinstance(caller, CallerId):
            return
        shown = format_display(caller.phone_number)
        if not panel_kit.confirm(
            self,
            "Remove verified number",
            f"Remove {shown} from the verified numbers? The trial account will no longer be "
            "able to text it until it is verified again.",
            "Remove",
        ):
            return
        self._set_busy(True)
        self.call(
            self.core.remove_verified(caller.sid),
            lambda _none: self.refresh(),
            self._on_error,
        )
