"""The SQL reads behind the deliveries table: a reload snapshot, the live order, offset repair.

Plain functions over a :class:`~console.store.queries.Reader` (no Qt): they run on worker
threads for reloads and searches (:func:`scan`), and on the GUI thread for single pages.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from console.domain.model import DeliveryRecord
from console.store.queries import DeliveryFilter, Reader


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a reload read: the count, the first page, the last row and the highest id."""

    flt: DeliveryFilter
    sort: str
    descending: bool
    count: int
    first: list[DeliveryRecord]
    last: DeliveryRecord | None
    max_id: int


def read_snapshot(
    reader: Reader,
    side: concurrent.futures.Executor,
    flt: DeliveryFilter,
    sort: str,
    descending: bool,
    size: int,
) -> Snapshot:
    """Count, first page and last row of ``flt`` in this order, and the newest id overall.

    The newest id is read first: anything the bridge delivers later with a higher id is new to
    the snapshot. Count and last row run on ``side`` while the first page is read, since a
    free-text filter makes each of them scan the whole table.
    """
    newest = reader.deliveries(DeliveryFilter(), sort="id", descending=True, limit=1)
    counted = side.submit(reader.count_deliveries, flt)
    tail = side.submit(reader.deliveries, flt, sort=sort, descending=not descending, limit=1)
    first = reader.deliveries(flt, sort=sort, descending=descending, limit=size)
    count = counted.result()
    if len(first) < size:
        tail.cancel()
        last = first[-1] if first else None
    else:
        last = next(iter(tail.result()), None)
    max_id = newest[0].id if newest else 0
    return Snapshot(flt, sort, descending, max(count, len(first)), first, last, max_id)


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


def placement(
    rec: DeliveryRecord,
    top: DeliveryRecord | None,
    bottom: DeliveryRecord | None,
    sort: str,
    descending: bool,
) -> str:
    """Where a new row goes: ``top`` (before the first row), ``bottom`` (after the last) or
    ``middle`` (somewhere in between: only a reload can place it)."""
    if top is None:
        return "top"
    key, first = sort_key(rec, sort), sort_key(top, sort)
    if (key > first) if descending else (key < first):
        return "top"
    if bottom is not None:
        last = sort_key(bottom, sort)
        if (key < last) if descending else (key > last):
            return "bottom"
    return "middle"


def unseen_newer(reader: Reader, flt: DeliveryFilter, top_created: datetime, shown: int) -> int:
    """Rows committed at or after the first row's time, minus the ``shown`` ones among them.

    Used in the newest-first order: rows the bridge has not delivered yet sit above the model's
    first row in SQL, so a page's offset must skip them to stay aligned.
    """
    since = top_created if flt.since is None else max(flt.since, top_created)
    newer = reader.count_deliveries(replace(flt, since=since))
    return max(0, newer - max(shown, 1))


@dataclass(frozen=True, slots=True)
class Scan:
    """A search through the rows of one order, from ``row`` on, read in slices from SQL.

    ``shift`` is what :func:`unseen_newer` needs to keep offsets aligned with the model's rows
    (the first row's time and how many leading rows are shown), or None when no repair applies.
    """

    flt: DeliveryFilter
    sort: str
    descending: bool
    count: int
    row: int
    forward: bool
    checked: int
    limit: int
    shift: tuple[datetime, int] | None = None
    slice_size: int = 500


def scan(reader: Reader, s: Scan, predicate: Callable[[DeliveryRecord], bool]) -> int | None:
    """The first row from ``s.row`` (walking forward or back) whose record satisfies
    ``predicate``, looking at most ``s.limit`` rows in all; None if there is none."""
    offset = unseen_newer(reader, s.flt, *s.shift) if s.shift is not None else 0
    step = 1 if s.forward else -1
    row, checked = s.row, s.checked
    while 0 <= row < s.count and checked < s.limit:
        first = row if s.forward else max(0, row - s.slice_size + 1)
        size = min(s.slice_size, s.count - first) if s.forward else row - first + 1
        chunk = reader.deliveries(
            s.flt, sort=s.sort, descending=s.descending, offset=first + offset, limit=size
        )
        before = row
        while first <= row < first + len(chunk) and checked < s.limit:
            if predicate(chunk[row - first]):
                return row
            row, checked = row + step, checked + 1
        if row == before:
            return None  # the slice came back short: the table shrank meanwhile
    return None
