"""The deliveries table model: millions of rows, paged from SQL, updated live without resets.

* **Paging**: the model knows the row count and fetches rows on demand, one page (a slice in
  the current SQL order) at a time, keeping a small LRU of pages. Sorting and filtering are done
  by SQL on the :class:`~console.store.queries.Reader` (indexed), never by a proxy over every
  row. A reload (new filter, new order) runs on a worker thread; the GUI keeps showing the old
  rows until the new count and first page are ready, then the model resets once.
* **Live**: :meth:`on_deliveries_changed` (the bridge's coalesced batches) emits ``dataChanged``
  for rows it holds, inserts rows that belong above the first row (``beginInsertRows`` at 0,
  e.g. new messages when sorted newest first) or after the last one, and counts the rest as
  *unplaced* (the view offers a refresh) — never a reset per event.
* While new rows are committed faster than the bridge delivers them, an SQL offset would point
  past rows the model has not inserted yet; for the newest-first order the page fetch adds the
  number of such rows (a cheap indexed count) so the cached rows stay aligned.
"""

from __future__ import annotations

import concurrent.futures
import logging
import weakref
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import takewhile
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)

from console.domain.model import DeliveryRecord
from console.runtime import Bridge
from console.store.queries import DeliveryFilter, Reader
from console.ui.models.delivery_columns import COLUMNS, Column, cell, matches
from console.ui.models.delivery_reads import (
    Scan,
    Snapshot,
    placement,
    read_snapshot,
    scan,
    sort_key,
    unseen_newer,
)
from console.ui.models.page_cache import PageCache, ranges
from console.ui.models.worker import Worker, weak

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_PAGES = 30
Index = QModelIndex | QPersistentModelIndex


class DeliveriesModel(QAbstractTableModel):
    """Deliveries matching a filter, in an SQL order, paged and live (see module doc)."""

    reloaded = Signal()  # a reload (filter, order, refresh) was applied
    loadFailed = Signal(str)  # a reload failed; the text says why
    countChanged = Signal(int)
    unplacedChanged = Signal(int)  # changes that belong in the middle of this order

    def __init__(
        self,
        reader: Reader,
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
    ) -> None:
        super().__init__(parent)
        self._reader = reader
        self._worker = Worker("deliveries-model", self)
        self._side = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="deliveries-scan")
        weakref.finalize(self, self._side.shutdown, wait=False, cancel_futures=True)
        self._page_size = page_size
        self._cache = PageCache(page_size, max_pages)
        self._filter = DeliveryFilter()
        self._sort = "created_at"
        self._descending = True
        self._count = 0
        self._top: DeliveryRecord | None = None
        self._bottom: DeliveryRecord | None = None
        self._max_id = 0
        self._unplaced = 0
        self._generation = 0
        self._pending: concurrent.futures.Future[Snapshot] | None = None
        self._buffer: list[tuple[str, Any]] = []
        self._closed = False

    # -- public API ----------------------------------------------------------------------------
    @property
    def filter(self) -> DeliveryFilter:
        """The current filter."""
        return self._filter

    @property
    def sort_by(self) -> tuple[str, bool]:
        """The SQL sort key and whether it is descending."""
        return self._sort, self._descending

    @property
    def count(self) -> int:
        """How many rows the model has."""
        return self._count

    @property
    def unplaced(self) -> int:
        """New deliveries since the last reload that this order cannot place without one."""
        return self._unplaced

    @property
    def loading(self) -> bool:
        """Whether a reload is in flight."""
        return self._pending is not None

    def connect_bridge(self, bridge: Bridge) -> None:
        """Follow the store's live changes."""
        bridge.deliveriesChanged.connect(self.on_deliveries_changed)
        bridge.deliveriesRemoved.connect(self.on_deliveries_removed)

    def set_filter(self, flt: DeliveryFilter) -> None:
        """Show the deliveries matching ``flt`` (reloads)."""
        self._filter = flt
        self.reload()

    def set_sort(self, key: str, descending: bool) -> None:
        """Order by the SQL sort key ``key`` (reloads)."""
        self._sort, self._descending = key, descending
        self.reload()

    def reload(self) -> None:
        """Read the count and the first page again, off the GUI thread (none after shutdown:
        a filter typed just before the window closed may still ask)."""
        if self._closed:
            return
        self._generation += 1
        generation = self._generation
        flt, sort, desc, size = self._filter, self._sort, self._descending, self._page_size
        reader, side = self._reader, self._side

        def job() -> Snapshot:
            return read_snapshot(reader, side, flt, sort, desc, size)

        if self._pending is not None:
            self._pending.cancel()
        self._pending = self._worker.submit(
            job, weak(self._apply_snapshot, generation), weak(self._reload_failed, generation)
        )

    def record(self, row: int) -> DeliveryRecord | None:
        """The delivery shown in ``row`` (fetching its page if needed)."""
        return self._get(row)

    def row_of_id(self, delivery_id: int) -> int | None:
        """The row of a delivery, if the model holds it in its cache."""
        return self._cache.row_of(delivery_id)

    def find_row(
        self,
        start: int,
        forward: bool,
        predicate: Callable[[DeliveryRecord], bool],
        on_found: Callable[[int | None], None],
        limit: int = 10_000,
    ) -> None:
        """Find the nearest row after (or before) ``start`` whose record satisfies ``predicate``
        and call ``on_found`` with it (None: no such row within ``limit`` rows).

        Cached rows are looked at here; when the answer is among them, ``on_found`` runs at
        once. The rest is read in slices on the model's worker thread, never on the GUI thread
        (``predicate`` must be a pure function of the record), and ``on_found`` runs later on
        the GUI thread — unless the model reloaded meanwhile, which makes the search void.
        """
        step = 1 if forward else -1
        row, checked = start + step, 0
        while 0 <= row < self._count and checked < limit:
            rec = self._cache.cached(row)
            if rec is None:
                break
            if predicate(rec):
                on_found(row)
                return
            row, checked = row + step, checked + 1
        else:
            on_found(None)
            return
        search = Scan(
            flt=self._filter,
            sort=self._sort,
            descending=self._descending,
            count=self._count,
            row=row,
            forward=forward,
            checked=checked,
            limit=limit,
            shift=self._shift(),
        )
        reader = self._reader
        self._worker.submit(
            lambda: scan(reader, search, predicate),
            weak(self._found, self._generation, on_found),
            weak(self._search_failed, self._generation, on_found),
        )

    def _found(
        self, generation: int, on_found: Callable[[int | None], None], row: int | None
    ) -> None:
        if generation == self._generation:
            on_found(row)

    def _search_failed(
        self, generation: int, on_found: Callable[[int | None], None], exc: BaseException
    ) -> None:
        log.error("searching the deliveries failed: %s", exc)
        self._found(generation, on_found, None)

    def shutdown(self) -> None:
        """Stop the background reads (the window is closing)."""
        self._closed = True
        self._worker.shutdown()
        self._side.shutdown(wait=False, cancel_futures=True)

    # -- Qt model interface ----------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() >= len(COLUMNS):
            return None
        rec = self._get(index.row())
        return None if rec is None else cell(rec, index.column(), role)

    def multiData(
        self,
        index: Index,
        roleDataSpan: QModelRoleDataSpan | QModelRoleData,  # Qt's parameter name
    ) -> None:
        """Every role a view asks for a cell, in one call.

        Qt's delegates fetch about seven roles per cell; answering them together halves the
        time a repaint takes while background threads compete for the GIL (one Python entry
        per cell instead of seven), which is what keeps the table smooth during a storm.
        """
        if not index.isValid() or index.column() >= len(COLUMNS):
            return
        rec = self._get(index.row())
        if rec is None:
            return
        column = index.column()
        items: Iterable[QModelRoleData] = (
            [roleDataSpan]
            if isinstance(roleDataSpan, QModelRoleData)
            else cast("Iterable[QModelRoleData]", roleDataSpan)  # a sequence at run time
        )
        for item in items:
            value = cell(rec, column, item.role())
            if value is None:
                item.clearData()  # the caller reuses its span: clear what an earlier cell set
            else:
                item.setData(value)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section].title
        if role == Qt.ItemDataRole.ToolTipRole:
            spec = COLUMNS[section]
            return spec.tooltip if spec.sort_key else f"{spec.tooltip} (not sortable)"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column].sort_key
        desc = order == Qt.SortOrder.DescendingOrder
        if key is None or (key, desc) == (self._sort, self._descending):
            return
        self.set_sort(key, desc)

    def sort_column(self) -> int:
        """The column of the current order."""
        return next(i for i, c in enumerate(COLUMNS) if c.sort_key == self._sort)

    # -- live changes --------------------------------------------------------------------------
    @Slot(object)
    def on_deliveries_changed(self, records: Iterable[DeliveryRecord]) -> None:
        """Apply a batch of changed or new deliveries (targeted updates and inserts)."""
        if self._pending is not None:
            self._buffer.append(("changed", tuple(records)))
            return
        self._apply_records(tuple(records))

    @Slot(object)
    def on_deliveries_removed(self, ids: Iterable[int]) -> None:
        """Drop deliveries merged into another (a callback's stand-in adopted by its send)."""
        if self._pending is not None:
            self._buffer.append(("removed", tuple(ids)))
            return
        rows = [row for i in ids if (row := self._cache.row_of(i)) is not None]
        for row in sorted(rows, reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            self._cache.take(row, self._count)
            self._count -= 1
            self.endRemoveRows()
            self.countChanged.emit(self._count)
        if self._count == 0:
            self._top = self._bottom = None
        elif (first := self._cache.cached(0)) is not None:
            self._top = first

    def _apply_records(self, records: tuple[DeliveryRecord, ...]) -> None:
        known_max = self._max_id
        changed: list[int] = []
        top: list[DeliveryRecord] = []
        bottom: list[DeliveryRecord] = []
        unplaced = 0
        for rec in records:
            row = self._cache.row_of(rec.id)
            if row is not None:
                self._cache.put(row, rec)
                changed.append(row)
                continue
            if rec.id <= known_max:
                continue  # an existing row not in view: read fresh when it is shown
            self._max_id = max(self._max_id, rec.id)
            if not matches(self._filter, rec):
                continue
            top_rec = self._top if self._count else None
            place = placement(rec, top_rec, self._bottom, self._sort, self._descending)
            if place == "top":
                top.append(rec)
            elif place == "bottom":
                bottom.append(rec)
            else:
                unplaced += 1
        for first, last in ranges(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        if self._count and self._cache.cached(0) is not None:
            self._top = self._cache.cached(0)
        if top:
            top.sort(key=lambda r: sort_key(r, self._sort), reverse=self._descending)
            self._insert_top(top)
        if bottom:
            bottom.sort(key=lambda r: sort_key(r, self._sort), reverse=self._descending)
            self._append(bottom)
        if unplaced:
            self._unplaced += unplaced
            self.unplacedChanged.emit(self._unplaced)

    def _insert_top(self, recs: list[DeliveryRecord]) -> None:
        k = len(recs)
        self.beginInsertRows(QModelIndex(), 0, k - 1)
        self._cache.shift(0, k, self._count + k)
        for i, rec in enumerate(recs):
            self._cache.put(i, rec)
        self._count += k
        self._top = recs[0]
        if self._bottom is None:
            self._bottom = recs[-1]
        self.endInsertRows()
        self.countChanged.emit(self._count)

    def _append(self, recs: list[DeliveryRecord]) -> None:
        first = self._count
        self.beginInsertRows(QModelIndex(), first, first + len(recs) - 1)
        self._count += len(recs)
        for i, rec in enumerate(recs):
            self._cache.put(first + i, rec)
        self._bottom = recs[-1]
        self.endInsertRows()
        self.countChanged.emit(self._count)

    # -- reloads ---------------------------------------------------------------------------------
    def _apply_snapshot(self, generation: int, snap: Snapshot) -> None:
        if generation != self._generation:
            return
        self._pending = None
        self.beginResetModel()
        self._cache.clear()
        self._count = snap.count
        self._max_id = snap.max_id
        self._top = snap.first[0] if snap.first else None
        self._bottom = snap.last
        self._unplaced = 0
        if snap.first:
            self._cache.fill(0, snap.first, snap.count)
        self.endResetModel()
        self.countChanged.emit(self._count)
        self.unplacedChanged.emit(0)
        self.reloaded.emit()
        self._replay()

    def _reload_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._pending = None
        log.error("reading the deliveries failed", exc_info=exc)
        self.loadFailed.emit(f"Could not read the deliveries: {exc}")
        self._replay()

    def _replay(self) -> None:
        buffered, self._buffer = self._buffer, []
        for kind, items in buffered:
            if kind == "changed":
                self._apply_records(items)
            else:
                self.on_deliveries_removed(items)

    # -- pages ---------------------------------------------------------------------------------
    @property
    def cached_pages(self) -> int:
        """How many pages of rows the model holds."""
        return len(self._cache)

    def _get(self, row: int) -> DeliveryRecord | None:
        if not 0 <= row < self._count:
            return None
        known, rec = self._cache.lookup(row)
        if known:
            return rec
        number = row // self._page_size
        self._cache.fill(number, self._read(number * self._page_size, self._page_size), self._count)
        return self._cache.cached(row)

    def _read(self, first_row: int, limit: int) -> list[DeliveryRecord]:
        try:
            return self._reader.deliveries(
                self._filter,
                sort=self._sort,
                descending=self._descending,
                offset=first_row + self._unseen_newer(),
                limit=limit,
            )
        except Exception:
            log.exception("reading deliveries %d..%d failed", first_row, first_row + limit)
            return []

    def _unseen_newer(self) -> int:
        """Rows committed above the first row that the bridge has not delivered yet."""
        shift = self._shift()
        return 0 if shift is None else unseen_newer(self._reader, self._filter, *shift)

    def _shift(self) -> tuple[datetime, int] | None:
        """What :func:`unseen_newer` needs (the first row's time, the leading rows shown at or
        after it), or None when the order needs no offset repair."""
        if self._sort != "created_at" or not self._descending or self._top is None:
            return None
        created = self._top.created_at
        shown = sum(1 for _ in takewhile(lambda r: r.created_at >= created, self._cache.leading()))
        return created, shown


__all__ = ["PAGE_SIZE", "Column", "DeliveriesModel", "sort_key"]
