"""The application's look: Fusion style, following the system colour scheme or forced light/dark.

``theme`` is the setting's value: ``system`` follows the platform (and its changes), ``light``
and ``dark`` force a palette. The dark palette is complete (disabled, link, tooltip, placeholder
colours too) so no widget ends up with dark text on a dark background.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

THEMES = ("system", "light", "dark")


def dark_palette() -> QPalette:
    """A readable dark palette for the Fusion style."""
    p = QPalette()
    window, base, alt = QColor(0x2B, 0x2D, 0x31), QColor(0x1E, 0x1F, 0x22), QColor(0x26, 0x28, 0x2B)
    text, dim = QColor(0xE6, 0xE6, 0xE6), QColor(0x8A, 0x8D, 0x91)
    highlight = QColor(0x2F, 0x6F, 0xC4)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: QColor(0x3A, 0x3D, 0x41),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: dim,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(0x35, 0x37, 0x3B),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(0xFF, 0x6B, 0x6B),
        QPalette.ColorRole.Link: QColor(0x79, 0xC0, 0xFF),
        QPalette.ColorRole.LinkVisited: QColor(0xC2, 0x9B, 0xFF),
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: QColor(0xFF, 0xFF, 0xFF),
        QPalette.ColorRole.Light: QColor(0x45, 0x48, 0x4C),
        QPalette.ColorRole.Midlight: QColor(0x3A, 0x3D, 0x41),
        QPalette.ColorRole.Mid: QColor(0x2F, 0x31, 0x35),
        QPalette.ColorRole.Dark: QColor(0x17, 0x18, 0x1A),
        QPalette.ColorRole.Shadow: QColor(0x0C, 0x0C, 0x0D),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    disabled = QColor(0x7A, 0x7D, 0x81)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.HighlightedText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Base, window)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(0x44, 0x47, 0x4B))
    return p


def system_is_dark() -> bool:
    """Whether the platform asks for a dark colour scheme."""
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def effective_theme(theme: str) -> str:
    """``light`` or ``dark`` for a setting value (unknown values follow the system)."""
    if theme in ("light", "dark"):
        return theme
    return "dark" if system_is_dark() else "light"


def apply_theme(app: QApplication, theme: str) -> str:
    """Use Fusion with the palette ``theme`` asks for; returns ``light`` or ``dark``."""
    if theme not in THEMES:
        log.warning("unknown theme %r; following the system", theme)
    app.setStyle("Fusion")
    chosen = effective_theme(theme)
    style = app.style()
    app.setPalette(dark_palette() if chosen == "dark" else style.standardPalette())
    return chosen


def is_dark(palette: QPalette) -> bool:
    """Whether a palette's window background is dark."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128
