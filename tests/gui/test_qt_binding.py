"""The installed Qt binding does not leak references to None (PySide6 6.12.0 did, fatally)."""

from __future__ import annotations

import sys

from PySide6.QtGui import QImage, QPainter


def test_void_calls_do_not_release_none(qapp: object) -> None:
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        before = sys.getrefcount(None)
        for _ in range(200):
            painter.save()
            painter.restore()
        after = sys.getrefcount(None)
    finally:
        painter.end()
    assert before - after < 50, "each void Qt call released a reference to None"
