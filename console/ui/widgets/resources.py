"""Where the console's bundled resources (icons, app icon) live, in a checkout or a bundle."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

APP_ICON = "sms-console.svg"
APP_ICON_PNG = "sms-console.png"


@cache
def resource_dir() -> Path:
    """``resources/``: next to the package in a checkout, under ``sys._MEIPASS`` in a bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[3] / "resources"


def icon_path(name: str) -> Path:
    """The path of ``resources/icons/<name>.svg``."""
    return resource_dir() / "icons" / f"{name}.svg"


@cache
def icon(name: str) -> QIcon:
    """A (cached) icon from ``resources/icons``; an empty icon if the file is missing."""
    path = icon_path(name)
    return QIcon(str(path)) if path.is_file() else QIcon()


@cache
def app_icon() -> QIcon:
    """The application icon (SVG, with the PNG rendering for builds without the SVG plugin)."""
    result = QIcon()
    for name in (APP_ICON, APP_ICON_PNG):
        path = resource_dir() / name
        if path.is_file():
            result.addFile(str(path))
    return result
