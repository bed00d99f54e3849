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
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
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
from console.ui.models.worker import Worker, weak

log = logging.getLogger(__name__)

PAGE_SIZE = 200
MAX_PAGES = 30
Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """What a reload read: the count, the first page, the last row and the highest id."""

    flt: DeliveryFilter
    sort: str
    descending: bool
    count: int
    first: list[DeliveryRecord]
    last: DeliveryRecord | None
    max_id: int


@dataclass(slots=True)
class _Page:
    """Cached rows of one page; ``complete`` once every row of it was read from SQL."""

    rows: list[DeliveryRecord | None]
    complete: bool


def sort_key(rec: DeliveryRecord, sort: str) -> tuple[Any, int]:
    """The SQL order of ``rec`` under ``sort`` (NULL error codes first, like SQLite; id ties)."""
    values: dict[str, Any] = {
        "created_at": rec.created_at,
        "updated_at": rec.updated_at,
        "to": rec.to,
        "status": rec.status_rank,
        "error_code": rec.error_code if rec.error_code is not None else -1,
        "segments": rec.segments,
        "id": rec.id,
    }
    return values[sort], rec.id


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
        self._max_pages = max_pages
        self._filter = DeliveryFilter()
        self._sort = "created_at"
        self._descending = True
        self._count = 0
        self._pages: OrderedDict[int, _Page] = OrderedDict()
        self._row_of: dict[int, int] = {}
        self._top: DeliveryRecord | None = None
        self._bottom: DeliveryRecord | None = None
        self._max_id = 0
        self._unplaced = 0
        self._generation = 0
        self._pending: concurrent.futures.Future[_Snapshot] | None = None
        self._buffer: list[tuple[str, Any]] = []

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
        """Read the count and the first page again, off the GUI thread."""
        self._generation += 1
        generation = self._generation
        flt, sort, desc, size = self._filter, self._sort, self._descending, self._page_size
        reader = self._reader

        side = self._side

        def job() -> _Snapshot:
            newest = reader.deliveries(DeliveryFilter(), sort="id", descending=True, limit=1)
            # a free-text filter scans the whole table: count, first and last row in parallel
            counted = side.submit(reader.count_deliveries, flt)
            tail = side.submit(reader.deliveries, flt, sort=sort, descending=not desc, limit=1)
            first = reader.deliveries(flt, sort=sort, descending=desc, limit=size)
            count = counted.result()
            if len(first) < size:
                tail.cancel()
                last = first[-1] if first else None
            else:
                last = next(iter(tail.result()), None)
            max_id = newest[0].id if newest else 0
            return _Snapshot(flt, sort, desc, max(count, len(first)), first, last, max_id)

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
        return self._row_of.get(delivery_id)

    def find_row(
        self,
        start: int,
        forward: bool,
        predicate: Callable[[DeliveryRecord], bool],
        limit: int = 10_000,
    ) -> int | None:
        """The nearest row after (or before) ``start`` whose record satisfies ``predicate``.

        Looks at most ``limit`` rows far; cached rows are used as they are, other rows are read
        in slices of 500 without filling the cache.
        """
        step = 1 if forward else -1
        row, checked = start + step, 0
        while 0 <= row < self._count and checked < limit:
            rec = self._cached(row)
            if rec is not None:
                if predicate(rec):
                    return row
                row, checked = row + step, checked + 1
                continue
            first = row if forward else max(0, row - 499)
            size = min(500, self._count - first) if forward else row - first + 1
            chunk = self._read(first, size)
            before = row
            while first <= row < first + len(chunk) and checked < limit:
                if predicate(self._cached(row) or chunk[row - first]):
                    return row
                row, checked = row + step, checked + 1
            if row == before:
                return None  # the slice came back short: the table shrank meanwhile
        return None

    def shutdown(self) -> None:
        """Stop the background reads (the window is closing)."""
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
        for row in sorted((self._row_of[i] for i in ids if i in self._row_of), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            self._take(row)
            self._count -= 1
            self.endRemoveRows()
            self.countChanged.emit(self._count)
        if self._count == 0:
            self._top = self._bottom = None
        elif (first := self._cached(0)) is not None:
            self._top = first

    def _apply_records(self, records: tuple[DeliveryRecord, ...]) -> None:
        known_max = self._max_id
        changed: list[int] = []
        top: list[DeliveryRecord] = []
        bottom: list[DeliveryRecord] = []
        unplaced = 0
        for rec in records:
            row = self._row_of.get(rec.id)
            if row is not None:
                self._put(row, rec)
                changed.append(row)
                continue
            if rec.id <= known_max:
                continue  # an existing row not in view: read fresh when it is shown
            self._max_id = max(self._max_id, rec.id)
            if not matches(self._filter, rec):
                continue
            place = self._placement(rec)
            if place == "top":
                top.append(rec)
            elif place == "bottom":
                bottom.append(rec)
            else:
                unplaced += 1
        for first, last in _ranges(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        if self._count and self._cached(0) is not None:
            self._top = self._cached(0)
        if top:
            top.sort(key=lambda r: sort_key(r, self._sort), reverse=self._descending)
            self._insert_top(top)
        if bottom:
            bottom.sort(key=lambda r: sort_key(r, self._sort), reverse=self._descending)
            self._append(bottom)
        if unplaced:
            self._unplaced += unplaced
            self.unplacedChanged.emit(self._unplaced)

    def _placement(self, rec: DeliveryRecord) -> str:
        if self._count == 0 or self._top is None:
            return "top"
        key = sort_key(rec, self._sort)
        before_top = key > sort_key(self._top, self._sort)
        after_bottom = self._bottom is not None and key < sort_key(self._bottom, self._sort)
        if not self._descending:
            before_top = key < sort_key(self._top, self._sort)
            after_bottom = self._bottom is not None and key > sort_key(self._bottom, self._sort)
        if before_top:
            return "top"
        return "bottom" if after_bottom else "middle"

    def _insert_top(self, recs: list[DeliveryRecord]) -> None:
        k = len(recs)
        self.beginInsertRows(QModelIndex(), 0, k - 1)
        self._shift(0, k)
        for i, rec in enumerate(recs):
            self._put(i, rec)
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
            self._put(first + i, rec)
        self._bottom = recs[-1]
        self.endInsertRows()
        self.countChanged.emit(self._count)

    # -- reloads ---------------------------------------------------------------------------------
    def _apply_snapshot(self, generation: int, snap: _Snapshot) -> None:
        if generation != self._generation:
            return
        self._pending = None
        self.beginResetModel()
        self._pages.clear()
        self._row_of.clear()
        self._count = snap.count
        self._max_id = snap.max_id
        self._top = snap.first[0] if snap.first else None
        self._bottom = snap.last
        self._unplaced = 0
        for i, rec in enumerate(snap.first):
            self._put(i, rec)
        if self._pages:
            self._pages[0].complete = True
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

    # -- page cache ------------------------------------------------------------------------------
    def _cached(self, row: int) -> DeliveryRecord | None:
        page = self._pages.get(row // self._page_size)
        return None if page is None else page.rows[row % self._page_size]

    def _get(self, row: int) -> DeliveryRecord | None:
        if not 0 <= row < self._count:
            return None
        number, slot = divmod(row, self._page_size)
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            if page.rows[slot] is not None or page.complete:
                return page.rows[slot]
        page = self._load_page(number)
        return page.rows[slot]

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

    def _load_page(self, number: int) -> _Page:
        first = number * self._page_size
        records = self._read(first, self._page_size)
        page = self._pages.get(number) or _Page([None] * self._page_size, False)
        self._pages[number] = page
        for i, rec in enumerate(records):
            if first + i >= self._count:
                break
            self._put(first + i, rec)
        page.complete = True
        self._evict()
        return page

    def _unseen_newer(self) -> int:
        """Rows committed above the first row that the bridge has not delivered yet."""
        if self._sort != "created_at" or not self._descending or self._top is None:
            return 0
        top = self._top
        since = (
            top.created_at
            if self._filter.since is None
            else max(self._filter.since, top.created_at)
        )
        newer = self._reader.count_deliveries(replace(self._filter, since=since))
        shown = 0
        while shown < self._count:
            rec = self._cached(shown)
            if rec is None or rec.created_at < top.created_at:
                break
            shown += 1
        return max(0, newer - max(shown, 1))

    def _put(self, row: int, rec: DeliveryRecord) -> None:
        number, slot = divmod(row, self._page_size)
        page = self._pages.get(number)
        if page is None:
            page = _Page([None] * self._page_size, False)
            self._pages[number] = page
        old = page.rows[slot]
        if old is not None and self._row_of.get(old.id) == row:
            del self._row_of[old.id]
        page.rows[slot] = rec
        self._row_of[rec.id] = row

    def _evict(self) -> None:
        while len(self._pages) > self._max_pages:
            number, page = self._pages.popitem(last=False)
            for i, rec in enumerate(page.rows):
                if rec is not None and self._row_of.get(rec.id) == number * self._page_size + i:
                    del self._row_of[rec.id]

    def _take(self, row: int) -> None:
        """Remove ``row`` from the cache, moving the rows below it up by one."""
        rec = self._cached(row)
        if rec is not None:
            self._row_of.pop(rec.id, None)
            self._pages[row // self._page_size].rows[row % self._page_size] = None
        self._shift(row + 1, -1)

    def _shift(self, from_row: int, delta: int) -> None:
        """Move every cached row at or after ``from_row`` by ``delta`` rows."""
        size = self._page_size
        old_pages, self._pages = self._pages, OrderedDict()
        self._row_of = {}
        for number, page in old_pages.items():
            for slot, rec in enumerate(page.rows):
                if rec is None:
                    continue
                row = number * size + slot
                if row >= from_row:
                    row += delta
                if row >= 0:
                    self._put(row, rec)
        count = self._count + delta
        for number, page in self._pages.items():
            last = min(size, count - number * size)
            page.complete = all(page.rows[i] is not None for i in range(max(0, last)))
        self._evict()


def _ranges(rows: list[int]) -> Iterable[tuple[int, int]]:
    """Consecutive runs in sorted ``rows`` as (first, last) pairs."""
    start = prev = None
    for row in rows:
        if start is None:
            start = prev = row
        elif prev is not None and row <= prev + 1:
            prev = row
        else:
            assert prev is not None
            yield start, prev
            start = prev = row
    if start is not None and prev is not None:
        yield start, prev


__all__ = ["PAGE_SIZE", "Column", "DeliveriesModel", "sort_key"]
