"""The "messages over time" chart of the statistics panel (QtCharts), in the palette's colours."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCharts import (
    QAreaSeries,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import QApplication, QWidget

from console.ui.widgets.status_style import status_color

BUCKET_NAMES = {300: "5 minutes", 3600: "hour", 21600: "6 hours", 86400: "day"}


def nice_ceiling(value: int) -> int:
    """The smallest 1-2-5 step number (…, 10, 20, 50, 100, …) at or above ``value``, min 5."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= max(value, 5):
                return step * factor
        step *= 10


class MessagesChart(QChartView):
    """An area chart of message counts per time bucket."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.chart_ = QChart()
        super().__init__(self.chart_, parent)
        self.chart_.legend().hide()
        self.chart_.setMargins(QMargins(4, 4, 4, 4))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName("Messages over time")
        self.setMinimumHeight(180)
        self._palette: QPalette | None = None
        self.apply_palette()

    def show_counts(
        self, points: Sequence[tuple[datetime, int]], bucket_seconds: int, date_format: str
    ) -> None:
        """Plot ``points`` (bucket start, count); ``date_format`` is a Qt date format."""
        chart = self.chart_
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        line = QLineSeries()
        for ts, n in points:
            line.append(ts.timestamp() * 1000, n)
        area = QAreaSeries(line)
        line.setParent(area)  # the area draws the line: it must live as long as the area
        color = status_color("sent")
        area.setPen(QPen(color, 2))
        fill = QColor(color)
        fill.setAlpha(90)
        area.setBrush(fill)
        chart.addSeries(area)
        x_axis = QDateTimeAxis()
        x_axis.setFormat(date_format)
        x_axis.setTickCount(7)
        if points:
            x_axis.setRange(
                QDateTime.fromMSecsSinceEpoch(int(points[0][0].timestamp() * 1000)),
                QDateTime.fromMSecsSinceEpoch(int(points[-1][0].timestamp() * 1000)),
            )
        y_axis = QValueAxis()
        y_axis.setLabelFormat("%d")
        top = nice_ceiling(max([n for _, n in points] + [1]))
        y_axis.setRange(0, top)
        y_axis.setTickCount(6 if top % 5 == 0 else 5)
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        area.attachAxis(x_axis)
        area.attachAxis(y_axis)
        name = BUCKET_NAMES.get(bucket_seconds, f"{bucket_seconds} s")
        chart.setTitle(f"Messages per {name}")
        self.apply_palette(self._palette)

    def apply_palette(self, palette: QPalette | None = None) -> None:
        """Use ``palette``'s colours (default: the application's), for light and dark themes.

        A chart view keeps its own palette, so it does not hear of application palette
        changes: the panel around it passes its palette on.
        """
        if palette is not None:
            self._palette = palette
        pal = self._palette if self._palette is not None else QApplication.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        self.chart_.setBackgroundBrush(pal.color(QPalette.ColorRole.Base))
        self.chart_.setTitleBrush(text)
        self.setBackgroundBrush(pal.color(QPalette.ColorRole.Window))
        grid = QColor(text)
        grid.setAlpha(50)
        for axis in self.chart_.axes():
            axis.setLabelsColor(text)
            axis.setGridLineColor(grid)
            axis.setLinePenColor(grid)
