"""Statistics: counts per status, delivery rate, failures by error code, messages over time.

Figures come from :meth:`Reader.stats` on a worker thread (it reads every timestamp of the
period), refreshed when the period changes and, at most every few seconds, while deliveries
change and the panel is visible.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.domain.errors import explain
from console.runtime import Bridge
from console.store.queries import DeliveryFilter, Reader, Stats
from console.ui.models.delivery_columns import error_tooltip
from console.ui.models.worker import Worker, weak
from console.ui.widgets.messages_chart import MessagesChart
from console.ui.widgets.status_style import FILTER_ORDER, status_icon, style

# label, span (None: all time), bucket seconds, Qt date format of the time axis
PERIODS: tuple[tuple[str, timedelta | None, int, str], ...] = (
    ("Last hour", timedelta(hours=1), 300, "HH:mm"),
    ("Last 24 hours", timedelta(days=1), 3600, "HH:mm"),
    ("Last 7 days", timedelta(days=7), 21600, "ddd d"),
    ("Last 30 days", timedelta(days=30), 86400, "d MMM"),
    ("All time", None, 86400, "yyyy-MM-dd"),
)
REFRESH_MS = 3000


def bucket_series(stats: Stats, since: datetime | None, bucket: int) -> list[tuple[datetime, int]]:
    """Every bucket of the period (empty ones as 0), oldest first, in local time."""
    counts = {int(ts.timestamp()): n for ts, n in stats.buckets}
    if not counts and since is None:
        return []
    start_ts = int(since.timestamp()) if since is not None else min(counts)
    first = start_ts // bucket * bucket
    last = int(datetime.now(UTC).timestamp()) // bucket * bucket
    if counts:
        last = max(last, max(counts))
    if (last - first) // bucket > 400:  # all time over years: keep the chart readable
        first = last - 400 * bucket
    return [
        (datetime.fromtimestamp(ts, UTC).astimezone(), counts.get(ts, 0))
        for ts in range(first, last + bucket, bucket)
    ]


class StatsPanel(QWidget):
    """Delivery statistics for a chosen period."""

    updated = Signal()  # new figures are shown

    def __init__(
        self,
        reader: Reader,
        bridge: Bridge,
        parent: QWidget | None = None,
        *,
        refresh_ms: int = REFRESH_MS,
    ) -> None:
        super().__init__(parent)
        self._reader = reader
        self._bridge = bridge
        self._worker = Worker("stats", self)
        self._dirty = True
        self._busy = False
        self.stats: Stats | None = None
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(refresh_ms)

        self.period = QComboBox(self)
        self.period.setAccessibleName("Statistics period")
        for label, *_ in PERIODS:
            self.period.addItem(label)
        self.period.setCurrentIndex(1)
        self.figures: dict[str, QLabel] = {}
        grid = QGridLayout()
        for i, (key, title) in enumerate(
            (
                ("total", "Messages"),
                ("delivered", "Delivered"),
                ("failed", "Not delivered"),
                ("rate", "Delivery rate"),
                ("open", "In flight"),
            )
        ):
            caption = QLabel(title, self)
            value = QLabel("—", self)
            value.setAccessibleName(title)
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            grid.addWidget(value, 0, i)
            grid.addWidget(caption, 1, i)
            self.figures[key] = value

        self.by_status = self._table(("Status", "Count"), "Messages per status")
        self.by_error = self._table(("Error", "Meaning", "Count"), "Failures by error code")
        self.by_status.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.by_error.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.by_error.setWordWrap(False)
        self.chart_view = MessagesChart(self)
        self.chart = self.chart_view.chart_
        self.empty = QLabel("No messages in this period yet.", self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        head = QHBoxLayout()
        head.addWidget(QLabel("Period:", self))
        head.addWidget(self.period)
        head.addStretch(1)
        tables = QHBoxLayout()
        tables.addWidget(self.by_status, 2)
        tables.addWidget(self.by_error, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addLayout(grid)
        layout.addWidget(self.empty)
        layout.addWidget(self.chart_view, 3)
        layout.addLayout(tables, 2)
        self._connect_signals()
        self.chart_view.apply_palette(self.palette())

    def _connect_signals(self) -> None:
        self.period.currentIndexChanged.connect(self.refresh)
        self._bridge.deliveriesChanged.connect(self._deliveries_changed)
        self._throttle.timeout.connect(self._refresh_if_visible)

    def _table(self, titles: tuple[str, ...], name: str) -> QTableWidget:
        table = QTableWidget(0, len(titles), self)
        table.setHorizontalHeaderLabels(list(titles))
        table.setAccessibleName(name)
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    # -- refresh -------------------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Read the figures of the chosen period again (in the background)."""
        _label, span, bucket, _fmt = PERIODS[self.period.currentIndex()]
        since = datetime.now(UTC) - span if span is not None else None
        reader = self._reader
        self._dirty = False
        self._busy = True
        self._worker.submit(
            lambda: reader.stats(DeliveryFilter(since=since), bucket_seconds=bucket),
            weak(self._show_result, since, bucket),
            weak(self._failed),
        )

    def shutdown(self) -> None:
        """Stop background reads."""
        self._throttle.stop()
        self._worker.shutdown()

    @Slot(object)
    def _deliveries_changed(self, _records: object) -> None:
        self._dirty = True
        if not self._throttle.isActive():
            self._throttle.start()

    @Slot()
    def _refresh_if_visible(self) -> None:
        if self.isVisible() and self._dirty and not self._busy:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty and not self._busy:
            self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.chart_view.apply_palette(self.palette())

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.empty.setText(f"Could not read the statistics: {exc}")
        self.empty.setVisible(True)

    # -- display -------------------------------------------------------------------------------
    def _show_result(self, since: datetime | None, bucket: int, stats: Stats) -> None:
        self._busy = False
        self.stats = stats
        rate = stats.delivery_rate
        done = stats.delivered + stats.failed
        self.figures["total"].setText(f"{stats.total:,}")
        self.figures["delivered"].setText(f"{stats.delivered:,}")
        self.figures["failed"].setText(f"{stats.failed:,}")
        self.figures["failed"].setToolTip("Failed, undelivered or rejected")
        self.figures["rate"].setText("—" if rate is None else f"{rate:.1%}")
        self.figures["rate"].setToolTip(f"Delivered out of {done:,} messages with a final outcome")
        self.figures["open"].setText(f"{stats.total - done - self._other_final(stats):,}")
        self._fill_status(stats)
        self._fill_errors(stats)
        fmt = PERIODS[self.period.currentIndex()][3]
        self.chart_view.show_counts(bucket_series(stats, since, bucket), bucket, fmt)
        self.empty.setText("No messages in this period yet.")
        self.empty.setVisible(stats.total == 0)
        self.chart_view.setVisible(stats.total > 0)
        self.updated.emit()

    @staticmethod
    def _other_final(stats: Stats) -> int:
        return sum(stats.by_status.get(s, 0) for s in ("canceled", "received"))

    def _fill_status(self, stats: Stats) -> None:
        known = [s for s in FILTER_ORDER if stats.by_status.get(s)]
        others = sorted(s for s in stats.by_status if s not in FILTER_ORDER)
        rows = known + others
        self.by_status.setRowCount(len(rows))
        for i, status in enumerate(rows):
            name = QTableWidgetItem(status_icon(status), style(status).label)
            name.setToolTip(style(status).description)
            count = QTableWidgetItem(f"{stats.by_status[status]:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.by_status.setItem(i, 0, name)
            self.by_status.setItem(i, 1, count)

    def _fill_errors(self, stats: Stats) -> None:
        rows = sorted(stats.by_error.items(), key=lambda kv: (-kv[1], kv[0]))
        self.by_error.setRowCount(len(rows))
        for i, (code, n) in enumerate(rows):
            info = explain(code)
            items = (
                QTableWidgetItem(str(code)),
                QTableWidgetItem(info.title if info else ""),
                QTableWidgetItem(f"{n:,}"),
            )
            items[2].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for col, item in enumerate(items):
                item.setToolTip(error_tooltip(code))
                self.by_error.setItem(i, col, item)
