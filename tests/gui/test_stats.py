"""Statistics panel: counts per status, delivery rate, failures by code, messages over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCharts import QAreaSeries
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.runtime import Bridge
from console.store.queries import Reader, Stats
from console.ui.stats_panel import PERIODS, StatsPanel, bucket_series
from console.ui.theme import dark_palette
from console.ui.widgets.messages_chart import nice_ceiling
from tests.gui.conftest import LiveStore

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def panel(qtbot: QtBot, reader: Reader, bridge: Bridge) -> StatsPanel:
    widget = StatsPanel(reader, bridge, refresh_ms=20)
    qtbot.addWidget(widget)
    widget.resize(800, 600)
    with qtbot.waitSignal(widget.updated):
        widget.show()
    return widget


def table_rows(widget: StatsPanel, which: str) -> list[list[str]]:
    table = widget.by_status if which == "status" else widget.by_error
    rows = []
    for r in range(table.rowCount()):
        items = [table.item(r, c) for c in range(table.columnCount())]
        rows.append([item.text() if item is not None else "" for item in items])
    return rows


def test_figures_tables_and_chart(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    sids = []
    for i in range(5):
        rec = live.accept(live.add(f"+1415555010{i}").id)
        assert rec.sid is not None
        sids.append(rec.sid)
    for sid in sids[:3]:
        live.callback(sid, "delivered")
    live.callback(sids[3], "undelivered", 30003)
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.figures["total"].text() == "5"
    assert widget.figures["delivered"].text() == "3"
    assert widget.figures["failed"].text() == "1"
    assert widget.figures["rate"].text() == "75.0%"
    assert widget.figures["open"].text() == "1"
    assert table_rows(widget, "status") == [
        ["queued", "1"],
        ["delivered", "3"],
        ["undelivered", "1"],
    ]
    assert table_rows(widget, "error") == [["30003", "Handset unreachable", "1"]]
    assert widget.chart_view.isVisibleTo(widget) and not widget.empty.isVisibleTo(widget)
    series = widget.chart.series()
    assert len(series) == 1 and isinstance(series[0], QAreaSeries)
    upper = series[0].upperSeries()
    assert upper is not None and sum(p.y() for p in upper.points()) == 5


def test_refreshes_while_deliveries_change(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.figures["total"].text() == "0" and widget.empty.isVisibleTo(widget)
    assert widget.figures["rate"].text() == "—"
    rec = live.accept(live.add().id)
    assert rec.sid is not None
    with qtbot.waitSignal(widget.updated, timeout=5000):
        live.callback(rec.sid, "failed", 30008)
    qtbot.waitUntil(lambda: widget.figures["failed"].text() == "1")
    assert widget.figures["rate"].text() == "0.0%"


def test_period_choice_rereads(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    live.add()
    widget = panel(qtbot, gui_reader, bridge)
    for index, (label, *_rest) in enumerate(PERIODS):
        with qtbot.waitSignal(widget.updated):
            widget.period.setCurrentIndex(index)
        assert widget.figures["total"].text() == "1", label
        assert "Messages per" in widget.chart.title()


def test_bucket_series_fills_empty_buckets() -> None:
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    stats = Stats({}, {}, 3, 0, 0, [(hour - timedelta(hours=2), 2), (hour, 1)])
    series = bucket_series(stats, now - timedelta(hours=3), 3600)
    assert [n for _, n in series][-3:] == [2, 0, 1]
    assert sum(n for _, n in series) == 3
    assert bucket_series(Stats({}, {}, 0, 0, 0, []), None, 3600) == []
    assert [nice_ceiling(v) for v in (0, 7, 10, 31, 120, 999)] == [5, 10, 10, 50, 200, 1000]


def test_chart_follows_the_palette(
    qtbot: QtBot, qapp: QApplication, gui_reader: Reader, bridge: Bridge
) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    palette = qapp.palette()
    try:
        qapp.setPalette(dark_palette())  # widgets hear of it through posted events
        qtbot.waitUntil(lambda: is_dark_color(widget.chart.backgroundBrush().color()))
        qapp.setPalette(QPalette(QColor("#f0f0f0")))
        qtbot.waitUntil(lambda: not is_dark_color(widget.chart.backgroundBrush().color()))
    finally:
        qapp.setPalette(palette)


def is_dark_color(color: QColor) -> bool:
    return color.lightness() < 128
