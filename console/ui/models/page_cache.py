"""The rows a paged table model holds: a few pages of records by position, least recently used out.

Plain Python (no Qt, no SQL): :class:`PageCache` maps row numbers to records in fixed-size
pages, knows the row of every cached record, shifts rows when some are inserted above or
removed, and forgets the least recently used pages beyond its limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from console.domain.model import DeliveryRecord


@dataclass(slots=True)
class _Page:
    """Cached rows of one page; ``complete`` once every row of it was read from SQL."""

    rows: list[DeliveryRecord | None]
    complete: bool


class PageCache:
    """Records by row, in pages of ``page_size``, at most ``max_pages`` of them."""

    def __init__(self, page_size: int, max_pages: int) -> None:
        self.page_size = page_size
        self.max_pages = max_pages
        self._pages: OrderedDict[int, _Page] = OrderedDict()
        self._row_of: dict[int, int] = {}

    def __len__(self) -> int:
        """How many pages are cached."""
        return len(self._pages)

    def clear(self) -> None:
        """Forget everything."""
        self._pages.clear()
        self._row_of.clear()

    def cached(self, row: int) -> DeliveryRecord | None:
        """The record of ``row`` if cached (does not count as a use)."""
        page = self._pages.get(row // self.page_size)
        return None if page is None else page.rows[row % self.page_size]

    def row_of(self, delivery_id: int) -> int | None:
        """The row of a cached delivery."""
        return self._row_of.get(delivery_id)

    def lookup(self, row: int) -> tuple[bool, DeliveryRecord | None]:
        """(known, record): known when the row is cached or its page was read in full."""
        number, slot = divmod(row, self.page_size)
        page = self._pages.get(number)
        if page is None:
            return False, None
        self._pages.move_to_end(number)
        rec = page.rows[slot]
        return rec is not None or page.complete, rec

    def fill(self, number: int, records: Sequence[DeliveryRecord], count: int) -> None:
        """Store page ``number`` as read from SQL (rows at or past ``count`` are dropped)."""
        first = number * self.page_size
        for i, rec in enumerate(records[: max(0, count - first)]):
            self.put(first + i, rec)
        self._page(number).complete = True
        self._evict()

    def put(self, row: int, rec: DeliveryRecord) -> None:
        """Cache ``rec`` as the record of ``row``."""
        page = self._page(row // self.page_size)
        slot = row % self.page_size
        old = page.rows[slot]
        if old is not None and self._row_of.get(old.id) == row:
            del self._row_of[old.id]
        page.rows[slot] = rec
        self._row_of[rec.id] = row

    def take(self, row: int, count: int) -> None:
        """Remove ``row`` (of ``count`` rows), moving the rows below it up by one."""
        rec = self.cached(row)
        if rec is not None:
            self._row_of.pop(rec.id, None)
            self._pages[row // self.page_size].rows[row % self.page_size] = None
        self.shift(row + 1, -1, count - 1)

    def shift(self, from_row: int, delta: int, count: int) -> None:
        """Move every cached row at or after ``from_row`` by ``delta``; ``count`` rows after."""
        size = self.page_size
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
                    self.put(row, rec)
        for number, page in self._pages.items():
            last = min(size, count - number * size)
            page.complete = all(page.rows[i] is not None for i in range(max(0, last)))
        self._evict()

    def leading(self) -> Iterator[DeliveryRecord]:
        """The cached records from row 0 down to the first gap."""
        row = 0
        while (rec := self.cached(row)) is not None:
            yield rec
            row += 1

    def _page(self, number: int) -> _Page:
        page = self._pages.get(number)
        if page is None:
            page = _Page([None] * self.page_size, False)
            self._pages[number] = page
        return page

    def _evict(self) -> None:
        while len(self._pages) > self.max_pages:
            number, page = self._pages.popitem(last=False)
            for i, rec in enumerate(page.rows):
                if rec is not None and self._row_of.get(rec.id) == number * self.page_size + i:
                    del self._row_of[rec.id]


def ranges(rows: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Consecutive runs in ascending ``rows`` as (first, last) pairs."""
    start = prev = -2
    for row in rows:
        if start < 0:
            start = prev = row
        elif row <= prev + 1:
            prev = row
        else:
            yield start, prev
            start = prev = row
    if start >= 0:
        yield start, prev
