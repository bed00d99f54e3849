"""DeliveriesModel: SQL paging, SQL sorting and filtering, live targeted updates, no resets."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QModelRoleData, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from console.domain.model import DeliveryRecord
from console.runtime import Bridge
from console.store.queries import DeliveryFilter, Reader
from console.ui.models.deliveries_model import DeliveriesModel
from console.ui.models.delivery_columns import RECORD_ROLE, SORT_ROLE, STATUS_ROLE, Column
from tests.gui.conftest import LiveStore


def loaded_model(
    qtbot: QtBot, reader: Reader, bridge: Bridge, page_size: int = 200, max_pages: int = 30
) -> DeliveriesModel:
    model = DeliveriesModel(reader, page_size=page_size, max_pages=max_pages)
    model.connect_bridge(bridge)
    with qtbot.waitSignal(model.reloaded):
        model.reload()
    return model


def test_pages_through_many_rows_and_passes_the_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    created = live.add_many(130)
    model = loaded_model(qtbot, gui_reader, bridge, page_size=20, max_pages=3)
    assert model.rowCount() == 130
    # newest first: row 0 is the last one recorded, row 129 the first
    assert model.index(0, 0).data(RECORD_ROLE).id == created[-1].id
    assert model.index(129, 0).data(RECORD_ROLE).id == created[0].id
    # the far rows came from pages read on demand; the cache stays small
    assert model.cached_pages <= 3
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]  # pytest-qt is untyped


def test_roles_give_raw_values_records_and_explanations(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    rec = live.accept(live.add("+14155550123", "Your code is 1234").id)
    assert rec.sid is not None
    live.callback(rec.sid, "undelivered", 30007)
    model = loaded_model(qtbot, gui_reader, bridge)
    status = model.index(0, Column.STATUS)
    assert status.data() == "undelivered"
    assert status.data(STATUS_ROLE) == "undelivered"
    assert not status.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert status.data(SORT_ROLE) == 70  # the rank, not the text
    error = model.index(0, Column.ERROR)
    assert error.data().startswith("30007 · ")
    assert "What to do:" in error.data(Qt.ItemDataRole.ToolTipRole)
    assert error.data(SORT_ROLE) == 30007
    assert model.index(0, Column.TO).data() == "+1 415-555-0123"
    record = model.index(0, Column.BODY).data(RECORD_ROLE)
    assert isinstance(record, DeliveryRecord) and record.body == "Your code is 1234"


def test_sorting_and_filtering_happen_in_sql(
    qtbot: QtBot, qtmodeltester: ModelTester, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    a = live.accept(live.add("+14155550001").id)
    b = live.accept(live.add("+14155550002").id)
    c = live.accept(live.add("+14155550003", body="needle here").id)
    assert a.sid and b.sid and c.sid
    live.callback(a.sid, "delivered")
    live.callback(b.sid, "failed", 30003)
    model = loaded_model(qtbot, gui_reader, bridge)
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]  # pytest-qt is untyped
    with qtbot.waitSignal(model.reloaded):
        model.sort(Column.STATUS, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, Column.STATUS).data() for r in range(3)] == [
        "delivered",
        "failed",
        "queued",
    ]
    with qtbot.waitSignal(model.reloaded):
        model.sort(Column.TO, Qt.SortOrder.AscendingOrder)
    assert model.index(0, 0).data(RECORD_ROLE).id == a.id
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(DeliveryFilter(statuses=frozenset({"failed"})))
    assert model.rowCount() == 1 and model.index(0, 0).data(RECORD_ROLE).id == b.id
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(DeliveryFilter(text="needle"))
    assert model.rowCount() == 1 and model.index(0, 0).data(RECORD_ROLE).id == c.id
    # a column SQL cannot sort by is left alone
    model.sort(Column.BODY, Qt.SortOrder.AscendingOrder)
    assert model.sort_by == ("to", False) and not model.loading


def test_live_updates_are_targeted_and_never_reset(
    qtbot: QtBot, qtmodeltester: ModelTester, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    first = live.accept(live.add("+14155550001").id)
    assert first.sid is not None
    model = loaded_model(qtbot, gui_reader, bridge)
    qtmodeltester.check(model)  # type: ignore[no-untyped-call]  # pytest-qt is untyped
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, _roles: changed.append((tl.row(), br.row())))
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))

    with qtbot.waitSignal(model.dataChanged):
        live.callback(first.sid, "delivered")
    assert changed == [(0, 0)]
    assert model.index(0, Column.STATUS).data() == "delivered"

    with qtbot.waitSignal(model.rowsInserted):
        second = live.add("+14155550002")
    assert inserted[-1] == (0, 0)
    assert model.rowCount() == 2
    assert model.index(0, 0).data(RECORD_ROLE).id == second.id
    assert model.index(1, Column.STATUS).data() == "delivered"  # moved down, kept its data

    batch = live.add_many(25)
    qtbot.waitUntil(lambda: model.rowCount() == 27)
    assert model.index(0, 0).data(RECORD_ROLE).id == batch[-1].id
    assert model.index(26, 0).data(RECORD_ROLE).id == first.id
    assert resets == []


def test_new_rows_in_another_order_are_offered_for_refresh(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    for n in ("+14155550001", "+14155550009"):
        live.add(n)
    model = loaded_model(qtbot, gui_reader, bridge)
    with qtbot.waitSignal(model.reloaded):
        model.sort(Column.TO, Qt.SortOrder.AscendingOrder)
    with qtbot.waitSignal(model.unplacedChanged) as blocker:
        live.add("+14155550005")  # belongs between the two: the model cannot place it
    assert blocker.args == [1]
    with qtbot.waitSignal(model.rowsInserted):
        live.add("+14155550000")  # sorts before the first row: inserted on top
    assert model.index(0, Column.TO).data() == "+1 415-555-0000"
    with qtbot.waitSignal(model.reloaded):
        model.reload()
    assert model.rowCount() == 4 and model.unplaced == 0


def test_filtered_out_changes_are_ignored_and_matching_ones_inserted(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    live.add("+14155550001")
    model = loaded_model(qtbot, gui_reader, bridge)
    with qtbot.waitSignal(model.reloaded):
        model.set_filter(DeliveryFilter(text="urgent"))
    assert model.rowCount() == 0
    with qtbot.waitSignal(model.rowsInserted):
        live.add("+14155550002", body="not this one")
        live.add("+14155550003", body="URGENT: call back")
    assert model.rowCount() == 1
    assert model.index(0, Column.TO).data() == "+1 415-555-0003"


class Found:
    """Collects what find_row reports."""

    def __init__(self) -> None:
        self.rows: list[int | None] = []

    def __call__(self, row: int | None) -> None:
        self.rows.append(row)


def find(qtbot: QtBot, model: DeliveriesModel, start: int, forward: bool) -> int | None:
    found = Found()
    model.find_row(start, forward, lambda r: r.status == "failed", found)
    qtbot.waitUntil(lambda: len(found.rows) == 1)
    return found.rows[0]


def test_find_row_reads_rows_outside_the_cache_off_the_gui_thread(
    qtbot: QtBot,
    live: LiveStore,
    gui_reader: Reader,
    bridge: Bridge,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recs = live.add_many(60)
    target = live.accept(recs[5].id)
    assert target.sid is not None
    live.callback(target.sid, "failed", 30003)
    model = loaded_model(qtbot, gui_reader, bridge, page_size=10, max_pages=2)
    readers: list[str] = []
    real = gui_reader.deliveries

    def deliveries(*args: Any, **kwargs: Any) -> list[DeliveryRecord]:
        readers.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(gui_reader, "deliveries", deliveries)
    assert find(qtbot, model, -1, True) == 54
    assert readers and threading.main_thread().name not in readers
    assert find(qtbot, model, 54, True) is None
    assert find(qtbot, model, 60, False) == 54


def test_a_reload_voids_a_search_in_flight(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    live.add_many(60)
    model = loaded_model(qtbot, gui_reader, bridge, page_size=10, max_pages=2)
    found = Found()
    model.find_row(-1, True, lambda r: r.to == "+14155550000", found)
    with qtbot.waitSignal(model.reloaded):
        model.reload()
    assert find(qtbot, model, 60, False) is None  # a later search still answers…
    assert found.rows == []  # …but the one started before the reload never does


def test_multi_data_answers_like_data(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    rec = live.accept(live.add("+14155550123").id)
    assert rec.sid is not None
    live.callback(rec.sid, "failed", 30008)
    model = loaded_model(qtbot, gui_reader, bridge)
    roles = [
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.FontRole,
        SORT_ROLE,
        STATUS_ROLE,
    ]
    items = {role: QModelRoleData(role) for role in roles}  # reused, as Qt's delegates do
    for column in range(model.columnCount()):
        index = model.index(0, column)
        for role, item in items.items():
            model.multiData(index, item)
            assert item.data() == index.data(role), (column, role)
    assert items[Qt.ItemDataRole.TextAlignmentRole].data() is None  # cleared after Seg.


def test_a_reload_asked_for_after_shutdown_is_ignored(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    model = loaded_model(qtbot, gui_reader, bridge)
    model.shutdown()
    model.set_filter(DeliveryFilter(text="late"))  # a search typed just before closing
    assert not model.loading
