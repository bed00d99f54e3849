"""Small pieces the operator panels share: error text, tone colours, calls, a busy indicator.

``error_html`` turns any failure a service raises (``SendRefused``, ``GatewayError``,
``KeyringUnavailable``, …) into what the operator reads: what happened, the catalog's cause and
what to do, with a link to Twilio's page when the error has a code.
"""

from __future__ import annotations

import concurrent.futures
import html
import itertools
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final, TypeVar

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QTableView,
    QWidget,
)

from console.domain.errors import ErrorInfo, explain
from console.runtime import Bridge, Runtime
from console.ui import theme

if TYPE_CHECKING:
    from console.core import Core

log = logging.getLogger(__name__)
T = TypeVar("T")

_TONES: Final = {  # (on a light background, on a dark background)
    "good": ("#1a7f37", "#56d364"),
    "bad": ("#c62828", "#ff7b72"),
    "warn": ("#9a6700", "#e3b341"),
    "info": ("#0b5cad", "#79c0ff"),
}


def is_dark() -> bool:
    """Whether the application's window background is dark (picks readable tone colours).

    The application palette is used: a toned label's own palette is pinned by its style sheet
    and would still describe the previous theme.
    """
    return theme.is_dark(QGuiApplication.palette())


def tone_color(tone: str) -> QColor:
    """A text colour for a tone (good, bad, warn, info) readable on the current background."""
    light, dark = _TONES.get(tone, ("#57606a", "#8b949e"))
    return QColor(dark if is_dark() else light)


class _ToneKeeper(QObject):
    """Re-colours every toned label when the application palette changes (theme switch)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: weakref.WeakSet[QLabel] = weakref.WeakSet()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """On an application palette change, apply each label's tone again."""
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            for label in list(self.labels):
                if shiboken6.isValid(label):
                    _apply_tone(label)
        return False


_KEEPER: list[_ToneKeeper] = []  # one filter on the application, made on first use


def _keeper() -> _ToneKeeper:
    if not _KEEPER:
        keeper = _ToneKeeper()
        app = QGuiApplication.instance()
        if app is not None:
            app.installEventFilter(keeper)
        _KEEPER.append(keeper)
    return _KEEPER[0]


def _apply_tone(label: QLabel) -> None:
    tone = label.property("tone")
    sheet = f"color: {tone_color(str(tone)).name()};" if tone else ""
    if label.styleSheet() != sheet:  # an unchanged sheet must not re-polish (no event loop)
        label.setStyleSheet(sheet)


def set_tone(label: QLabel, tone: str | None) -> None:
    """Colour a label's text for a tone (``None``: the palette's normal text colour).

    The colour follows later theme switches: it is chosen again when the palette changes.
    """
    _keeper().labels.add(label)
    label.setProperty("tone", tone or "")
    _apply_tone(label)


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


def call_for(
    owner: QObject,
    bridge: Bridge,
    runtime: Runtime,
    coro: Coroutine[Any, Any, T],
    on_result: Callable[[T], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
) -> concurrent.futures.Future[T]:
    """``bridge.call`` whose callbacks are dropped once ``owner`` has been destroyed.

    A panel closed while its call was in flight must not be touched when the answer arrives.
    """

    def result(value: T) -> None:
        if on_result is not None and shiboken6.isValid(owner):
            on_result(value)

    def error(exc: BaseException) -> None:
        if on_error is not None and shiboken6.isValid(owner):
            on_error(exc)
        else:
            log.info("a call of a closed panel failed: %s", exc)

    return bridge.call(runtime, coro, result, error)


class ServicePanel:
    """A panel built on the services: it holds ``core``, ``runtime`` and ``bridge``.

    A mixin for widgets (``class InboxPanel(ServicePanel, QWidget)``): :meth:`call` is
    :func:`call_for` with the panel as the owner.
    """

    core: Core
    runtime: Runtime
    bridge: Bridge

    def call(
        self,
        coro: Coroutine[Any, Any, T],
        on_result: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> concurrent.futures.Future[T]:
        """Run one of the core's coroutines on the runtime; the callbacks run on the GUI thread,
        and not at all once the panel has been destroyed."""
        assert isinstance(self, QObject), "ServicePanel is a mixin for widgets"
        return call_for(self, self.bridge, self.runtime, coro, on_result, on_error)


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 row', '2 rows' (``plural`` for nouns that take more than an s), with thousands marks."""
    return f"{count:,} {noun if count == 1 else (plural or noun + 's')}"


def is_trial(account: object) -> bool:
    """Whether an account summary (None: not known yet) describes a trial account."""
    return account is not None and getattr(account, "type", "") == "Trial"


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
    # Expanding: in a form layout a wrapping label would otherwise be squeezed to a narrow column
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    flags = Qt.TextInteractionFlag
    if rich:  # links (Twilio's error pages) can be reached with Tab and opened with Enter
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(
            flags.TextSelectableByMouse
            | flags.LinksAccessibleByMouse
            | flags.LinksAccessibleByKeyboard
        )
    else:
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(flags.TextSelectableByMouse)
    return label


def compact_rows(table: QTableView) -> None:
    """One line of text per row, with a little air (the default rows are tall)."""
    header = table.verticalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header.setDefaultSectionSize(table.fontMetrics().height() + 10)
    header.hide()
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideMiddle)


def tab_chain(*widgets: QWidget) -> None:
    """Tab moves through ``widgets`` in the order given."""
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def confirm(parent: QWidget, title: str, text: str, action: str) -> bool:
    """Ask a yes/no question whose yes button is named after the action."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes
