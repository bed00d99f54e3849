"""The deliveries table's page cache and live placement rules (plain Python, no Qt)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from console.domain.model import DeliveryRecord, SendState
from console.ui.models.delivery_reads import placement, sort_key
from console.ui.models.page_cache import PageCache, ranges

T0 = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)


def rec(i: int, **changes: object) -> DeliveryRecord:
    base = DeliveryRecord(
        id=i,
        sid=f"SM{i}",
        to=f"+1415555{i:04d}",
        from_=None,
        messaging_service_sid=None,
        body=None,
        profile="default",
        account_sid=None,
        segments=1,
        encoding="GSM-7",
        status="sent",
        status_rank=40,
        send_state=SendState.ACCEPTED,
        error_code=None,
        error_message=None,
        price=None,
        price_unit=None,
        batch_id=None,
        created_at=T0 + timedelta(seconds=i),
        updated_at=T0,
        final_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]  # test values by keyword


def test_pages_fill_evict_and_know_their_rows() -> None:
    cache = PageCache(page_size=10, max_pages=2)
    cache.fill(0, [rec(i) for i in range(10)], count=25)
    cache.fill(2, [rec(i) for i in range(20, 25)], count=25)
    assert cache.lookup(3) == (True, rec(3))
    assert cache.lookup(24) == (True, rec(24))
    assert cache.lookup(12) == (False, None)  # page 1 never read
    cache.fill(1, [rec(i) for i in range(10, 20)], count=25)  # evicts the least recent: page 0
    assert len(cache) == 2 and cache.row_of(3) is None
    assert cache.row_of(24) == 24 and cache.row_of(15) == 15
    cache.fill(3, [], count=25)
    assert cache.lookup(30) == (True, None)  # read in full: nothing there


def test_shift_moves_rows_and_keeps_pages_honest() -> None:
    cache = PageCache(page_size=10, max_pages=5)
    cache.fill(0, [rec(i) for i in range(10)], count=15)
    cache.fill(1, [rec(i) for i in range(10, 15)], count=15)
    cache.shift(0, 3, count=18)
    for new in range(3):
        cache.put(new, rec(100 + new))
    assert [r.id for r in cache.leading()][:5] == [100, 101, 102, 0, 1]
    assert cache.row_of(14) == 17 and cache.row_of(9) == 12
    assert cache.lookup(17) == (True, rec(14))
    cache.take(0, count=18)  # remove the first row: everything moves up
    assert cache.row_of(101) == 0 and cache.row_of(14) == 16 and cache.row_of(100) is None


def test_placement_of_new_rows() -> None:
    top, bottom = rec(50), rec(10)
    newest = rec(60)
    older = rec(5)
    middle = rec(30)
    assert placement(newest, top, bottom, "created_at", True) == "top"
    assert placement(older, top, bottom, "created_at", True) == "bottom"
    assert placement(middle, top, bottom, "created_at", True) == "middle"
    assert placement(older, bottom, top, "created_at", False) == "top"
    assert placement(newest, bottom, top, "created_at", False) == "bottom"
    assert placement(middle, None, None, "to", False) == "top"  # an empty table
    no_error, error = rec(1), rec(2, error_code=30003)
    assert sort_key(no_error, "error_code") < sort_key(error, "error_code")  # NULL first
    assert list(ranges([1, 2, 3, 7, 9, 10])) == [(1, 3), (7, 7), (9, 10)]
    assert list(ranges([])) == []
