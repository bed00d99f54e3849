"""Fields of the compose panel: the recipient with its live check, the body with its counter.

``RecipientField`` checks the number as it is typed (E.164 via ``phonenumbers``), completes
recent recipients, and on trial accounts warns when the number is not a verified caller ID.
``Ucs2Highlighter`` marks every character that forces UCS-2 (anything outside the GSM 03.38
alphabet and its extension table). Qt positions are UTF-16 code units, so a character above
U+FFFF (most emoji) spans two. ``counter_text`` says what the body costs: encoding, segments,
what is left in the current segment, and the characters forcing UCS-2.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QCompleter, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from console.domain.phone import PhoneNumberError, format_display, normalize
from console.domain.segments import MAX_BODY_CHARS, SegmentInfo, analyze, is_gsm7
from console.ui.panel_kit import set_tone, wrap_label

# QPlainTextEdit.toPlainText() turns these into a space and a newline (both GSM-7), so they are
# not highlighted: the counter sees exactly what will be sent.
_PLAIN_EQUIVALENT: Final = frozenset("\u00a0\u2028")
_SHOWN_CHARS: Final = 8


def _shown(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return ch
    return f"U+{ord(ch):04X}"


class Ucs2Highlighter(QSyntaxHighlighter):
    """Tints the characters that force UCS-2 encoding."""

    def __init__(self, document: QTextDocument, color: QColor) -> None:
        super().__init__(document)
        self._format = QTextCharFormat()
        self._format.setBackground(color)
        self._format.setFontUnderline(True)

    def highlightBlock(self, text: str) -> None:
        """Format each non-GSM character of the block at its UTF-16 position."""
        pos = 0
        for ch in text:
            units = 2 if ord(ch) > 0xFFFF else 1
            if ch not in _PLAIN_EQUIVALENT and not is_gsm7(ch):
                self.setFormat(pos, units, self._format)
            pos += units


def counter_text(info: SegmentInfo) -> str:
    """One line: encoding, segments, what is left, and the characters that force UCS-2."""
    if info.length == 0:
        return "Empty message · GSM-7 · 160 characters fit in one segment"
    if info.too_long:
        return (
            f"{info.length:,} characters: Twilio accepts at most {MAX_BODY_CHARS:,} "
            f"(error 21617) — shorten the message by {info.length - MAX_BODY_CHARS:,}"
        )
    unit = "characters" if info.encoding == "GSM-7" else "UTF-16 units"
    seg = "segment" if info.segments == 1 else "segments"
    text = f"{info.encoding} · {info.segments} {seg} · {info.remaining} {unit} left" + (
        " in this segment" if info.segments > 1 else ""
    )
    if info.ucs2_chars:
        chars = " ".join(_shown(c) for c in info.ucs2_chars[:_SHOWN_CHARS])
        more = " …" if len(info.ucs2_chars) > _SHOWN_CHARS else ""
        text += f" · UCS-2 forced by: {chars}{more}"
    return text


class BodyEdit(QPlainTextEdit):
    """A plain-text body editor with UCS-2 highlighting; Tab moves the focus on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText("Type the message…")
        self.highlighter = Ucs2Highlighter(self.document(), QColor(210, 153, 34, 110))

    def info(self) -> SegmentInfo:
        """The segment analysis of the current text."""
        return analyze(self.toPlainText())


class RecipientField(QWidget):
    """The To field: live E.164 check, recent recipients, the trial verified-number warning."""

    changed = Signal()  # the number's validity may have changed

    def __init__(self, region: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._region = region
        self.e164: str | None = None
        self._verified: set[str] | None = None  # trial accounts only
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("+14155550100, or pick a recent recipient")
        self.edit.setClearButtonEnabled(True)
        self.edit.setAccessibleName("To")
        self.edit.setAccessibleDescription("The recipient's phone number, checked as you type")
        self.recent = QStringListModel(self)
        completer = QCompleter(self.recent, self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.edit.setCompleter(completer)
        self.hint = wrap_label("", self)
        self.hint.setAccessibleName("To check")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.edit)
        box.addWidget(self.hint)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self.check)
        self.check()

    def set_verified(self, numbers: set[str] | None) -> None:
        """The verified caller IDs of a trial account (None: no such restriction)."""
        self._verified = numbers
        self.check()

    def check(self) -> None:
        """Validate the typed number and say what is wrong or what will be used."""
        text = self.edit.text()
        self.e164 = None
        if not text.strip():
            self._hint("Type a number with its country code, e.g. +14155550100.", None)
        else:
            try:
                self.e164 = normalize(text, self._region())
            except PhoneNumberError as exc:
                self._hint(exc.reason, "bad")
            else:
                shown = format_display(self.e164)
                if self._verified is not None and self.e164 not in self._verified:
                    self._hint(
                        f"{shown} is not a verified number: a trial account can only send to "
                        "verified numbers (error 21608). Verify it in Trial numbers.",
                        "warn",
                    )
                else:
                    self._hint(f"✓ {shown}  ({self.e164})", "good")
        self.changed.emit()

    def _hint(self, text: str, tone: str | None) -> None:
        self.hint.setText(text)
        set_tone(self.hint, tone)
