"""The deliveries filter bar: status multi-select, text search, period and profile.

Emits :attr:`FilterBar.filterChanged` with a :class:`~console.store.queries.DeliveryFilter`
whenever the operator changes something (typing is debounced).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QWidget,
)

from console.store.queries import DeliveryFilter
from console.ui.widgets.status_style import FAILURE_STATUSES, FILTER_ORDER, status_icon, style

_PERIODS: tuple[tuple[str, timedelta | None], ...] = (
    ("Any time", None),
    ("Last hour", timedelta(hours=1)),
    ("Last 24 hours", timedelta(days=1)),
    ("Last 7 days", timedelta(days=7)),
    ("Last 30 days", timedelta(days=30)),
)
CUSTOM_PERIOD = "Custom range…"
ALL_PROFILES = "All profiles"


def _utc(value: QDateTime) -> datetime:
    """A local QDateTime as an aware UTC datetime."""
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)


class FilterBar(QWidget):
    """The controls above the deliveries table."""

    filterChanged = Signal(object)  # DeliveryFilter

    def __init__(self, profiles: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)

        # a push button with a menu: its arrow gets room of its own (a tool button's drew over
        # the text)
        self.status_button = QPushButton(self)
        self.status_button.setAccessibleName("Status filter")
        self.status_button.setToolTip("Show only some statuses")
        self.status_menu = QMenu(self.status_button)
        self.status_actions: dict[str, QAction] = {}
        for status in FILTER_ORDER:
            action = self.status_menu.addAction(status_icon(status), style(status).label)
            action.setCheckable(True)
            self.status_actions[status] = action
        self.status_menu.addSeparator()
        self.failures_action = self.status_menu.addAction("Only failures")
        self.clear_action = self.status_menu.addAction("Any status")
        self.status_button.setMenu(self.status_menu)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search number, text or SID  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search deliveries")
        self.search.setMinimumWidth(220)

        self.period = QComboBox(self)
        self.period.setAccessibleName("Period")
        for label, _ in _PERIODS:
            self.period.addItem(label)
        self.period.addItem(CUSTOM_PERIOD)
        now = QDateTime.currentDateTime()
        self.since_edit = QDateTimeEdit(now.addDays(-1), self)
        self.until_edit = QDateTimeEdit(now.addSecs(3600), self)
        for edit, name in ((self.since_edit, "From"), (self.until_edit, "Until")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setAccessibleName(f"{name} date and time")
            edit.setVisible(False)

        self.profile = QComboBox(self)
        self.profile.setAccessibleName("Profile")
        self.set_profiles(profiles)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search, 3)
        layout.addWidget(self.status_button)
        layout.addWidget(self.period)
        self.range_label = QLabel("–", self)
        self.range_label.setVisible(False)
        layout.addWidget(self.since_edit)
        layout.addWidget(self.range_label)
        layout.addWidget(self.until_edit)
        layout.addWidget(self.profile)
        self._update_status_text()
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._emit_now)
        self._debounce.timeout.connect(self._emit)
        for action in self.status_actions.values():
            action.toggled.connect(self._status_toggled)
        self.failures_action.triggered.connect(self.show_failures)
        self.clear_action.triggered.connect(lambda: self.set_statuses(()))
        self.period.currentIndexChanged.connect(self._period_changed)
        self.since_edit.dateTimeChanged.connect(self._emit)
        self.until_edit.dateTimeChanged.connect(self._emit)
        self.profile.currentIndexChanged.connect(self._emit)

    # -- public API ----------------------------------------------------------------------------
    def set_profiles(self, profiles: Sequence[str]) -> None:
        """The profiles the operator can pick (plus "All profiles")."""
        current = self.profile.currentText()
        self.profile.blockSignals(True)
        self.profile.clear()
        self.profile.addItem(ALL_PROFILES)
        for name in profiles:
            self.profile.addItem(name)
        index = self.profile.findText(current)
        self.profile.setCurrentIndex(max(0, index))
        self.profile.blockSignals(False)
        self.profile.setVisible(len(profiles) > 1)

    def statuses(self) -> frozenset[str]:
        """The statuses ticked (empty: any)."""
        return frozenset(s for s, a in self.status_actions.items() if a.isChecked())

    def set_statuses(self, statuses: Sequence[str] | frozenset[str]) -> None:
        """Tick exactly ``statuses`` and apply."""
        for status, action in self.status_actions.items():
            action.blockSignals(True)
            action.setChecked(status in statuses)
            action.blockSignals(False)
        self._update_status_text()
        self._emit()

    @Slot()
    def show_failures(self) -> None:
        """Only failed, undelivered and rejected messages."""
        self.set_statuses(FAILURE_STATUSES)

    def current_filter(self) -> DeliveryFilter:
        """The filter the controls describe now."""
        since: datetime | None = None
        until: datetime | None = None
        if self.period.currentText() == CUSTOM_PERIOD:
            since = _utc(self.since_edit.dateTime())
            until = _utc(self.until_edit.dateTime())
        else:
            span = _PERIODS[self.period.currentIndex()][1]
            if span is not None:
                since = datetime.now(UTC) - span
        profile = self.profile.currentText()
        return DeliveryFilter(
            statuses=self.statuses(),
            text=self.search.text().strip(),
            since=since,
            until=until,
            profile=None if profile in ("", ALL_PROFILES) else profile,
        )

    # -- internals -----------------------------------------------------------------------------
    @Slot()
    def _status_toggled(self) -> None:
        self._update_status_text()
        self._emit()

    def _update_status_text(self) -> None:
        chosen = [style(s).label for s in FILTER_ORDER if s in self.statuses()]
        if not chosen:
            text = "Status: any"
        elif set(self.statuses()) == FAILURE_STATUSES:
            text = "Status: failures"
        elif len(chosen) <= 2:
            text = "Status: " + ", ".join(chosen)
        else:
            text = f"Status: {len(chosen)} chosen"
        self.status_button.setText(text)

    @Slot(int)
    def _period_changed(self, _index: int) -> None:
        custom = self.period.currentText() == CUSTOM_PERIOD
        for widget in (self.since_edit, self.until_edit, self.range_label):
            widget.setVisible(custom)
        self._emit()

    @Slot()
    def _emit_now(self) -> None:
        self._debounce.stop()
        self._emit()

    @Slot()
    def _emit(self) -> None:
        self._debounce.stop()
        self.filterChanged.emit(self.current_filter())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            self._emit_now()
            return
        super().keyPressEvent(event)
