"""Small pieces the operator panels share: error text, tone colours, a busy indicator, confirms.

``error_html`` turns any failure a service raises (``SendRefused``, ``GatewayError``,
``KeyringUnavailable``, …) into what the operator reads: what happened, the catalog's cause and
what to do, with a link to Twilio's page when the error has a code.
"""

from __future__ import annotations

import html
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QSizePolicy, QWidget

from console.domain.errors import ErrorInfo, explain

_TONES: Final = {  # (on a light background, on a dark background)
    "good": ("#1a7f37", "#56d364"),
    "bad": ("#c62828", "#ff7b72"),
    "warn": ("#9a6700", "#e3b341"),
    "info": ("#0b5cad", "#79c0ff"),
}


def is_dark(widget: QWidget) -> bool:
    """Whether the widget's window background is dark (picks readable tone colours)."""
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def tone_color(widget: QWidget, tone: str) -> QColor:
    """A text colour for a tone (good, bad, warn, info) readable on the widget's background."""
    light, dark = _TONES.get(tone, ("#57606a", "#8b949e"))
    return QColor(dark if is_dark(widget) else light)


def set_tone(label: QLabel, tone: str | None) -> None:
    """Colour a label's text for a tone (``None``: the palette's normal text colour)."""
    if tone is None:
        label.setStyleSheet("")
    else:
        label.setStyleSheet(f"color: {tone_color(label, tone).name()};")


def _error_info(exc: BaseException) -> ErrorInfo | None:
    info = getattr(exc, "info", None)
    if isinstance(info, ErrorInfo):
        return info
    code = getattr(exc, "code", None)
    return explain(code) if isinstance(code, int) else None


def error_text(exc: BaseException) -> str:
    """Plain text of a failure: what happened and what to do."""
    info = _error_info(exc)
    message = str(exc).strip() or type(exc).__name__
    if info is None:
        return message
    detail = getattr(exc, "detail", "") or ""
    head = f"{info.title} (error {info.code})"
    if message.startswith("Twilio "):  # GatewayError: its text already says what to do
        return f"{head}: {message}"
    body = detail or message or info.cause
    return f"{head}: {body} What to do: {info.action}"


def error_html(exc: BaseException) -> str:
    """Rich text of a failure for a label: title, cause, what to do and Twilio's page."""
    info = _error_info(exc)
    message = html.escape(str(exc).strip() or type(exc).__name__)
    if info is None:
        return message
    detail = html.escape(getattr(exc, "detail", "") or "")
    parts = [f"<b>{html.escape(info.title)} (error {info.code})</b>"]
    if message.startswith("Twilio "):
        parts.append(message)
    else:
        parts.append(detail or message or html.escape(info.cause))
        parts.append(f"<b>What to do:</b> {html.escape(info.action)}")
    parts.append(f'<a href="{html.escape(info.url)}">Twilio\'s page on error {info.code}</a>')
    return "<br>".join(parts)


class BusyIndicator(QProgressBar):
    """An indeterminate progress bar shown while a call to the runtime is in flight."""

    def __init__(self, what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)
        self.setTextVisible(False)
        self.setMaximumWidth(80)
        self.setMaximumHeight(12)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(what)
        self.setToolTip(what)
        self.hide()

    def busy(self, on: bool) -> None:
        """Show (running) or hide the indicator."""
        self.setVisible(on)


def wrap_label(text: str = "", parent: QWidget | None = None, *, rich: bool = False) -> QLabel:
    """A word-wrapping label whose text can be selected (and links opened when rich)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    flags = Qt.TextInteractionFlag
    if rich:
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setOpenExternalLinks(True)
    else:
        label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(
        flags.TextSelectableByMouse | flags.LinksAccessibleByMouse | flags.LinksAccessibleByKeyboard
    )
    return label


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask a yes/no question whose yes button is named after the action."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes
