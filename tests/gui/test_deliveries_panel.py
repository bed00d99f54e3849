"""Deliveries panel: filters, failure navigation, selection across sorts, columns, export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.runtime import Bridge
from console.store.queries import DeliveryFilter, Reader
from console.ui.deliveries import NO_DELIVERIES, NO_MATCH, DeliveriesPanel, format_for
from console.ui.models.delivery_columns import RECORD_ROLE, Column
from console.ui.widgets.column_menu import column_menu
from tests.gui.conftest import LiveStore

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def panel(qtbot: QtBot, reader: Reader, bridge: Bridge) -> DeliveriesPanel:
    widget = DeliveriesPanel(reader, bridge, ("default", "support"))
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    with qtbot.waitSignal(widget.model.reloaded):
        widget.show()
    return widget


def seed(live: LiveStore) -> dict[str, int]:
    """Five messages: two failures among deliveries; returns ids by recipient suffix."""
    ids = {}
    for suffix, status, code in (
        ("01", "delivered", None),
        ("02", "undelivered", 30003),
        ("03", "delivered", None),
        ("04", "failed", 30008),
        ("05", "delivered", None),
    ):
        rec = live.accept(live.add(f"+141555501{suffix}", f"hello {suffix}").id)
        assert rec.sid is not None
        live.callback(rec.sid, status, code)
        ids[suffix] = rec.id
    return ids


def current_id(widget: DeliveriesPanel) -> int:
    return int(widget.table.currentIndex().data(RECORD_ROLE).id)


def test_filter_bar_drives_sql_filters(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    ids = seed(live)
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.count_label.text() == "5 deliveries"
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.show_failures()
    assert widget.filter_bar.status_button.text() == "Status: failures"
    shown = {getattr(widget.model.record(r), "id", None) for r in range(widget.model.count)}
    assert shown == {ids["02"], ids["04"]}
    assert widget.count_label.text() == "2 deliveries match the filter"
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.status_actions["delivered"].setChecked(True)
    assert widget.model.count == 5
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.set_statuses(())
    with qtbot.waitSignal(widget.filter_bar.filterChanged, timeout=2000) as changed:
        QTest.keyClicks(widget.filter_bar.search, "hello 03")  # debounced: one filter
    assert changed.args[0] == DeliveryFilter(text="hello 03")
    qtbot.waitUntil(lambda: widget.model.count == 1 and not widget.model.loading)
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.profile.setCurrentText("support")
    assert widget.model.count == 0
    assert widget.filter_bar.current_filter().profile == "support"
    widget.filter_bar.period.setCurrentText("Custom range…")
    assert widget.filter_bar.since_edit.isVisible()
    assert widget.filter_bar.current_filter().since is not None


def test_f8_walks_the_failures_and_selection_survives_sorting(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    ids = seed(live)
    widget = panel(qtbot, gui_reader, bridge)
    shown: list[object] = []
    widget.currentDeliveryChanged.connect(shown.append)
    widget.next_failure()
    assert current_id(widget) == ids["04"]  # newest first
    widget.next_failure()
    assert current_id(widget) == ids["02"]
    with qtbot.waitSignal(widget.message) as note:
        widget.next_failure()
    assert "No failed message below" in note.args[0]
    widget.previous_failure()
    assert current_id(widget) == ids["04"]
    assert [getattr(r, "id", None) for r in shown] == [ids["04"], ids["02"], ids["04"]]
    with qtbot.waitSignal(widget.model.reloaded):
        widget.table.sortByColumn(Column.TO, Qt.SortOrder.AscendingOrder)
    assert widget.model.sort_by == ("to", False)
    assert current_id(widget) == ids["04"]
    assert widget.table.currentIndex().row() == 3


def test_unsortable_columns_keep_the_order(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    seed(live)
    widget = panel(qtbot, gui_reader, bridge)
    with qtbot.waitSignal(widget.message) as note:
        widget.table.horizontalHeader().setSortIndicator(Column.BODY, Qt.SortOrder.AscendingOrder)
    assert "cannot be sorted" in note.args[0]
    header = widget.table.horizontalHeader()
    assert header.sortIndicatorSection() == Column.CREATED
    assert widget.model.sort_by == ("created_at", True) and not widget.model.loading


def test_columns_can_be_hidden_and_restored(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    header = widget.table.horizontalHeader()
    assert header.isSectionHidden(Column.SID) and not header.isSectionHidden(Column.ERROR)
    menu = column_menu(header)
    sid_action = next(a for a in menu.actions() if a.text() == "SID")
    sid_action.setChecked(True)
    assert not header.isSectionHidden(Column.SID)
    state = widget.header_state()
    other = panel(qtbot, gui_reader, bridge)
    assert other.restore_header_state(state)
    assert not other.table.horizontalHeader().isSectionHidden(Column.SID)


def test_live_rows_arrive_in_the_panel(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.count_label.text() == "0 deliveries"
    with qtbot.waitSignal(widget.model.rowsInserted):
        live.add("+14155550199")
    assert widget.count_label.text() == "1 delivery"
    assert widget.model.index(0, Column.TO).data() == "+1 415-555-0199"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_writes_the_visible_deliveries_with_events(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge, tmp_path: Path, fmt: str
) -> None:
    ids = seed(live)
    widget = panel(qtbot, gui_reader, bridge)
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.show_failures()
    out = tmp_path / f"failures.{fmt}"
    assert format_for(out) == fmt
    with qtbot.waitSignal(widget.exported, timeout=10_000) as done:
        widget.export_to(out, fmt)
    assert done.args == [2, str(out)]
    if fmt == "csv":
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        events = [json.loads(r["events"]) for r in rows]
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        events = [r["events"] for r in rows]
    assert sorted(r["status"] for r in rows) == ["failed", "undelivered"]
    failures = {gui_reader.delivery(ids[k]) for k in ("02", "04")}
    assert {r["sid"] for r in rows} == {d.sid for d in failures if d is not None}
    assert all(len(e) == 2 for e in events)  # the API answer and the callback
    assert not list(tmp_path.glob(".*part"))


def test_export_failure_says_what_to_do(
    qtbot: QtBot, gui_reader: Reader, bridge: Bridge, tmp_path: Path
) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    with qtbot.waitSignal(widget.exportFailed, timeout=10_000) as failed:
        widget.export_to(tmp_path / "missing-dir" / "out.csv", "csv")
    assert "Choose another folder" in failed.args[0]


def test_an_empty_table_says_what_to_do(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.model.count == 0
    assert widget.table.hint() == NO_DELIVERIES
    picture = widget.table.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    background = picture.pixel(2, 2)
    painted = sum(
        picture.pixel(x, y) != background
        for y in range(0, picture.height(), 2)
        for x in range(0, picture.width(), 2)
    )
    assert painted > 100, "the hint is painted in the empty table"
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.show_failures()
    assert widget.table.hint() == NO_MATCH
    with qtbot.waitSignal(widget.model.reloaded):
        widget.filter_bar.set_statuses(())
    assert widget.table.hint() == NO_DELIVERIES


def test_f8_finds_a_failure_beyond_the_loaded_rows(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    old = live.accept(live.add("+14155550177", "the old failure").id)
    assert old.sid is not None
    live.callback(old.sid, "failed", 30006)
    live.add_many(249)  # newer, so the failure is the last of 250 rows, past the first page
    widget = panel(qtbot, gui_reader, bridge)
    assert widget.model.row_of_id(old.id) is None  # not read yet: the search must read it
    widget.next_failure()
    qtbot.waitUntil(lambda: widget.table.currentIndex().isValid())
    assert current_id(widget) == old.id and widget.table.currentIndex().row() == 249
    with qtbot.waitSignal(widget.message) as note:
        widget.next_failure()
    assert "No failed message below" in note.args[0]


def test_a_delivery_revealed_before_its_row_arrives_is_selected_when_it_does(
    qtbot: QtBot, live: LiveStore, gui_reader: Reader, bridge: Bridge
) -> None:
    ids = seed(live)
    widget = panel(qtbot, gui_reader, bridge)
    widget.select_row(0)
    assert current_id(widget) == ids["05"]
    new = live.add("+14155550199", "just sent")  # the bridge brings its row a moment later
    assert widget.reveal(new.id) is False
    assert not widget.table.selectionModel().hasSelection()  # not the old row meanwhile
    assert widget.current is None
    with qtbot.waitSignal(widget.currentDeliveryChanged) as shown:
        pass
    assert shown.args[0].id == new.id and current_id(widget) == new.id
    assert widget.reveal(ids["02"]) is True and current_id(widget) == ids["02"]
