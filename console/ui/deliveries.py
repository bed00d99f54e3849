"""The deliveries panel: filter bar, the live table, next/previous failure, and export.

The table shows :class:`~console.ui.models.deliveries_model.DeliveriesModel` (SQL-paged, live);
export writes the deliveries that match the current filter, with their events, through
:func:`console.commands.export.write_export` on a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.commands.export import write_export
from console.domain.model import DeliveryRecord
from console.runtime import Bridge
from console.store.queries import DeliveryFilter, Reader
from console.ui.models.deliveries_model import DeliveriesModel
from console.ui.models.delivery_columns import COLUMNS, RECORD_ROLE, Column
from console.ui.models.worker import Worker, weak
from console.ui.widgets.column_menu import install_column_menu
from console.ui.widgets.empty_table import EmptyStateTableView
from console.ui.widgets.filter_bar import FilterBar
from console.ui.widgets.status_delegate import StatusBadgeDelegate
from console.ui.widgets.status_style import is_failure

log = logging.getLogger(__name__)

EXPORT_FILTERS = "CSV (*.csv);;JSON Lines (*.jsonl)"


def export_deliveries(reader: Reader, flt: DeliveryFilter, path: Path, fmt: str) -> int:
    """Write the deliveries matching ``flt`` with their events to ``path`` (csv or jsonl)."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}: choose csv or jsonl")
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        count = write_export(reader.iter_with_events(flt), fmt, out)
    tmp.replace(path)
    return count


def format_for(path: Path, chosen_filter: str = "") -> str:
    """The export format for a file name (its extension, else the dialog's chosen filter)."""
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson") or "jsonl" in chosen_filter:
        return "jsonl"
    return "csv"


NO_DELIVERIES = (
    "No deliveries yet.\n\nType a number and a message in Compose and press Ctrl+Enter: "
    "the message appears here and follows its status live (queued, sent, delivered or why "
    "it failed)."
)
NO_MATCH = "No delivery matches the filter. Clear the search or pick another status or period."


class DeliveriesPanel(QWidget):
    """Filter bar + deliveries table + status line; tells which delivery is selected."""

    currentDeliveryChanged = Signal(object)  # DeliveryRecord | None
    message = Signal(str)  # a short note for the window's status bar
    exported = Signal(int, str)  # count, path
    exportFailed = Signal(str)

    def __init__(
        self,
        reader: Reader,
        bridge: Bridge,
        profiles: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._reader = reader
        self._bridge = bridge
        self._current: DeliveryRecord | None = None
        self._searching = False  # an F8 search is reading rows in the background
        self._reveal: int | None = None  # a delivery to select once its row arrives
        self._worker = Worker("export", self)
        self.model = DeliveriesModel(reader, self)
        self.filter_bar = FilterBar(profiles, self)

        self.table = EmptyStateTableView(NO_DELIVERIES, self)
        self.table.setAccessibleName("Deliveries")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setItemDelegateForColumn(Column.STATUS, StatusBadgeDelegate(self.table))
        vheader = self.table.verticalHeader()
        vheader.setVisible(False)
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(max(24, self.fontMetrics().height() + 8))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        for i, spec in enumerate(COLUMNS):
            header.resizeSection(i, spec.width)
            header.setSectionHidden(i, not spec.shown)
        header.setToolTip("Click to sort; right-click to choose the columns")
        install_column_menu(self.table)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(Column.BODY, QHeaderView.ResizeMode.Stretch)
        header.setSortIndicator(Column.CREATED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)

        self.count_label = QLabel("Loading…", self)
        self.count_label.setAccessibleName("Number of deliveries shown")
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setAccessibleName("Refresh the deliveries")
        self.refresh_button.setToolTip("Read the table again (F5)")
        self.new_label = QLabel("", self)
        self.new_label.setVisible(False)

        top = QHBoxLayout()
        top.addWidget(self.count_label)
        top.addStretch(1)
        top.addWidget(self.new_label)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.addWidget(self.filter_bar)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self._connect_signals()
        self.model.reload()

    @Slot(object)
    def _filter_hint(self, flt: DeliveryFilter) -> None:
        self.table.set_hint(NO_DELIVERIES if flt == DeliveryFilter() else NO_MATCH)

    def _connect_signals(self) -> None:
        self.model.connect_bridge(self._bridge)
        self.filter_bar.filterChanged.connect(self.model.set_filter)
        self.filter_bar.filterChanged.connect(self._filter_hint)
        self.model.countChanged.connect(self._show_count)
        self.model.unplacedChanged.connect(self._show_unplaced)
        self.model.reloaded.connect(self._after_reload)
        self.model.rowsInserted.connect(self._rows_arrived)
        self.model.loadFailed.connect(self.message)
        self.model.loadFailed.connect(self._search_void)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_indicator_changed)
        selection = self.table.selectionModel()
        selection.currentRowChanged.connect(self._current_row_changed)

    # -- public API ----------------------------------------------------------------------------
    @property
    def current(self) -> DeliveryRecord | None:
        """The selected delivery."""
        return self._current

    @Slot()
    def refresh(self) -> None:
        """Read the table again with the current filter (also re-evaluates relative periods)."""
        self.model.set_filter(self.filter_bar.current_filter())

    @Slot()
    def focus_search(self) -> None:
        """Put the cursor in the search field."""
        self.filter_bar.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.search.selectAll()

    @Slot()
    def next_failure(self) -> None:
        """Select the next failed, undelivered or rejected message below the current row."""
        self._jump_to_failure(forward=True)

    @Slot()
    def previous_failure(self) -> None:
        """Select the previous failure above the current row."""
        self._jump_to_failure(forward=False)

    def reveal(self, delivery_id: int) -> bool:
        """Select the delivery's row; True if it is in the table now.

        A delivery just sent reaches the table a moment later (through the bridge): until then
        nothing is selected — never the previous row, which would disagree with the timeline —
        and its row is selected when it arrives.
        """
        row = self.model.row_of_id(delivery_id)
        if row is not None:
            self._reveal = None
            self.select_row(row)
            return True
        self._reveal = delivery_id
        self.table.selectionModel().clear()
        self._current = None
        return False

    @Slot(QModelIndex, int, int)
    def _rows_arrived(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        self._select_revealed()

    def _select_revealed(self) -> None:
        """Select the delivery waiting to be revealed, if its row is in the table now."""
        row = self.model.row_of_id(self._reveal) if self._reveal is not None else None
        if row is not None:
            self._reveal = None
            self.select_row(row)

    def select_row(self, row: int) -> None:
        """Select ``row`` and scroll it into view."""
        index = self.model.index(row, 0)
        if not index.isValid():
            return
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)

    def export_to(self, path: Path, fmt: str) -> None:
        """Export the deliveries matching the current filter (with events), in the background."""
        flt, reader = self.model.filter, self._reader
        self.message.emit(f"Exporting to {path}…")
        self._worker.submit(
            lambda: export_deliveries(reader, flt, path, fmt),
            weak(self._export_done, path),
            weak(self._export_failed, path),
        )

    @Slot()
    def ask_export(self) -> None:
        """Ask for a file and export the visible deliveries to it."""
        name, chosen = QFileDialog.getSaveFileName(
            self, "Export visible deliveries", str(Path.home() / "deliveries.csv"), EXPORT_FILTERS
        )
        if name:
            path = Path(name)
            self.export_to(path, format_for(path, chosen))

    def header_state(self) -> QByteArray:
        """Column widths, order, visibility and sort (to restore next time)."""
        return self.table.horizontalHeader().saveState()

    def restore_header_state(self, state: QByteArray) -> bool:
        """Restore what :meth:`header_state` saved; False if it does not fit these columns."""
        header = self.table.horizontalHeader()
        if not header.restoreState(state) or header.count() != len(COLUMNS):
            return False
        if COLUMNS[header.sortIndicatorSection()].sort_key is None:
            header.setSortIndicator(Column.CREATED, Qt.SortOrder.DescendingOrder)
        return True

    def shutdown(self) -> None:
        """Stop background work (the window is closing)."""
        self.model.shutdown()
        self._worker.shutdown()

    # -- internals -----------------------------------------------------------------------------
    def _jump_to_failure(self, *, forward: bool) -> None:
        if self._searching:
            self.message.emit("Still looking for the next failed message…")
            return
        start = self.table.currentIndex().row() if self.table.currentIndex().isValid() else -1
        if not forward and start < 0:
            start = self.model.count
        self._searching = True
        self.model.find_row(
            start, forward, lambda r: is_failure(r.status), weak(self._failure_found, forward)
        )

    @Slot()
    def _search_void(self) -> None:
        self._searching = False  # a reload (done or failed) drops the search in flight

    def _failure_found(self, forward: bool, row: int | None) -> None:
        self._searching = False
        if row is None:
            where = "below" if forward else "above"
            self.message.emit(f"No failed message {where} this row (within 10,000 rows).")
            return
        self.select_row(row)

    @Slot(int)
    def _show_count(self, count: int) -> None:
        noun = "delivery" if count == 1 else "deliveries"
        filtered = self.model.filter != DeliveryFilter()
        self.count_label.setText(f"{count:,} {noun}" + (" match the filter" if filtered else ""))

    @Slot(int)
    def _show_unplaced(self, count: int) -> None:
        self.new_label.setVisible(count > 0)
        self.new_label.setText(f"{count:,} new — refresh to place them in this order")

    @Slot()
    def _after_reload(self) -> None:
        self._search_void()
        if self._reveal is not None:
            self._select_revealed()
            return
        if self._current is None:
            return
        target = self._current.id
        row = self.model.row_of_id(target)
        if row is not None:
            self.select_row(row)
        elif self.model.count <= 5000:
            self.model.find_row(
                -1, True, lambda r: r.id == target, weak(self._reselect, target), limit=5000
            )

    def _reselect(self, target: int, row: int | None) -> None:
        """Select the row of the delivery that was current before a reload, once found."""
        if row is not None and self._current is not None and self._current.id == target:
            self.select_row(row)

    @Slot(int, Qt.SortOrder)
    def _sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if COLUMNS[column].sort_key is None:
            header = self.table.horizontalHeader()
            _sort, desc = self.model.sort_by
            order = Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column(), order)
            header.blockSignals(False)
            self.message.emit(f"The {COLUMNS[column].title} column cannot be sorted.")

    @Slot(QModelIndex, QModelIndex)
    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rec = current.data(RECORD_ROLE) if current.isValid() else None
        if isinstance(rec, DeliveryRecord) and rec.id != self._reveal:
            self._reveal = None  # the user chose another row meanwhile
        if isinstance(rec, DeliveryRecord):
            if self._current is not None and rec.id == self._current.id and rec == self._current:
                return
            self._current = rec
            self.currentDeliveryChanged.emit(rec)

    def _export_done(self, path: Path, count: int) -> None:
        self.message.emit(f"Exported {count:,} deliveries to {path}")
        self.exported.emit(count, str(path))

    def _export_failed(self, path: Path, exc: BaseException) -> None:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        text = f"Export to {path} failed: {reason}. Choose another folder or file name."
        log.warning("%s", text)
        self.message.emit(text)
        self.exportFailed.emit(text)
