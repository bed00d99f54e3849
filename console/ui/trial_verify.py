"""The two boxes of the trial panel that verify a number: the form, and the code to type.

``VerifyForm`` takes the number (checked as it is typed: valid, and not verified already) and
an optional name. ``CodeBox`` shows the 6-digit code Twilio's call asks for, large and
copyable. Asking Twilio to call stays with the panel (:mod:`console.ui.trial_panel`).
"""

from __future__ import annotations

from collections.abc import Collection

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.domain.phone import PhoneNumberError, format_display, normalize
from console.gateway.resources import Verification
from console.ui.panel_kit import set_tone, wrap_label
from console.ui.panel_parts import buddy


class VerifyForm(QGroupBox):
    """The number to verify (checked as typed), its name, and the Verify button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Verify a number", parent)
        self.number_edit = QLineEdit(self)
        self.number_edit.setPlaceholderText("+14155550100")
        self.number_edit.setAccessibleName("Number to verify")
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. Support phone (optional)")
        self.name_edit.setAccessibleName("Name of the number")
        self.number_hint = wrap_label("", self)
        self.number_hint.setAccessibleName("Number check")
        self.verify_button = QPushButton("&Verify a number", self)
        self.verify_button.setAccessibleName("Verify a number")
        self.verify_button.setToolTip("Twilio calls the number; the person types the code shown")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(buddy("&Number:", self.number_edit, self), self.number_edit)
        form.addRow("", self.number_hint)
        form.addRow(buddy("N&ame:", self.name_edit, self), self.name_edit)
        form.addRow("", self.verify_button)

    def number(self, region: str, verified: Collection[str]) -> str | None:
        """The typed number in E.164 when it can be verified; else None, and the hint says why."""
        text = self.number_edit.text()
        self.number_hint.setVisible(bool(text.strip()))
        if not text.strip():
            self.number_hint.setText("")
            return None
        try:
            number = normalize(text, region)
        except PhoneNumberError as exc:
            self.number_hint.setText(exc.reason)
            set_tone(self.number_hint, "bad")
            return None
        if number in verified:
            self.number_hint.setText(f"{format_display(number)} is already verified.")
            set_tone(self.number_hint, "warn")
            return None
        self.number_hint.setText(f"✓ {format_display(number)}")
        set_tone(self.number_hint, "good")
        return number


class CodeBox(QGroupBox):
    """The verification code to type on the phone, with what to do and a Copy button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Verification code", parent)
        self.instruction = wrap_label("", self)
        self.instruction.setAccessibleName("Verification instruction")
        self.code_edit = QLineEdit(self)
        self.code_edit.setReadOnly(True)
        self.code_edit.setAccessibleName("Verification code")
        self.code_edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(28)
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.code_edit.setFont(font)
        self.copy_button = QPushButton("&Copy code", self)
        self.copy_button.setAccessibleName("Copy verification code")
        code_row = QHBoxLayout()
        code_row.addWidget(self.code_edit, 1)
        code_row.addWidget(self.copy_button)
        box = QVBoxLayout(self)
        box.addWidget(self.instruction)
        box.addLayout(code_row)
        self.copy_button.clicked.connect(self.copy_code)
        self.hide()

    def show_code(self, verification: Verification) -> None:
        """Show the code of a started verification and what to do with it."""
        shown = format_display(verification.phone_number)
        self.instruction.setText(
            f"Twilio is calling {shown} now: type this code on the phone. The number appears "
            "in the list once the call is completed (press Refresh)."
        )
        self.code_edit.setText(verification.validation_code)
        self.show()

    def copy_code(self) -> None:
        """Put the verification code on the clipboard."""
        if self.code_edit.text():
            QGuiApplication.clipboard().setText(self.code_edit.text())
