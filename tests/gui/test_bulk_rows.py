"""Bulk send input parsing, personalisation and the rows model (no services needed)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from console.ui.bulk_run import eta_text
from console.ui.models.bulk_model import CHECK, OUTCOME, TO, BulkRowsModel, build_entries
from console.ui.models.bulk_rows import parse_recipients, placeholders, render
from console.ui.models.roles import RECORD_ROLE, tint


def test_header_csv_names_placeholders_and_finds_the_number_column() -> None:
    rec = parse_recipients(
        "Name,Phone Number,Order #\nAda,+14155550100,12\n\nGrace,+14155550101,\n"
    )
    assert rec.header
    assert rec.columns == ("name", "phone_number", "order")
    assert rec.to_column == "phone_number"
    assert rec.rows[1] == {"name": "Grace", "phone_number": "+14155550101", "order": ""}
    assert rec.lines == (2, 4)


def test_plain_lists_and_semicolons_without_header() -> None:
    rec = parse_recipients("+14155550100\n+14155550101\n")
    assert not rec.header and rec.to_column == "to"
    assert [r["to"] for r in rec.rows] == ["+14155550100", "+14155550101"]
    rec = parse_recipients("+14155550100;Ada;x\n+14155550101;Grace;y\n")
    assert rec.columns == ("to", "name", "col3")
    assert rec.rows[0]["name"] == "Ada"
    assert parse_recipients("  \n").rows == ()


def test_render_fills_known_placeholders_and_reports_missing_ones() -> None:
    assert placeholders("Hi {name}, {name}! {order}") == ("name", "order")
    text, missing = render("Hi {name}, order {order} {x}", {"name": "Ada", "order": "7"})
    assert text == "Hi Ada, order 7 {x}"
    assert missing == ("x",)


def test_rows_model_checks_each_row(qtmodeltester: Any) -> None:
    rec = parse_recipients("phone,name\n+14155550100,Ada\nnot a number,Bob\n4155550101,\n")
    entries = build_entries(rec, "Hello {name} {order}", "US")
    assert all(e.problem for e in entries)  # {order} has no column
    entries = build_entries(rec, "Hello {name}", "US")
    model = BulkRowsModel()
    model.set_entries(entries)
    qtmodeltester.check(model)
    assert model.ready_rows() == [0, 2]
    assert model.index(0, TO).data() == "+1 415-555-0100"
    assert model.index(1, CHECK).data().startswith("not a number is not a phone number")
    assert model.index(0, CHECK).data() == "ready"
    assert model.index(2, 0).data(RECORD_ROLE).body == "Hello "
    assert model.total_segments() == 2
    changed: list[int] = []
    model.dataChanged.connect(lambda tl, _br: changed.append(tl.row()))
    model.update(2, outcome="canceled")
    model.update(2, outcome="canceled")  # no change, no signal
    assert changed == [2]
    assert model.index(2, OUTCOME).data() == "canceled"
    assert model.index(2, OUTCOME).data(Qt.ItemDataRole.BackgroundRole) == tint("bad")


def test_eta_text() -> None:
    assert eta_text(4.4) == "about 4 s"
    assert eta_text(125) == "about 2 min 5 s"
    assert eta_text(3 * 3600 + 120) == "about 3 h 2 min"


def test_the_same_message_to_the_same_number_twice_is_refused_on_its_second_row() -> None:
    rec = parse_recipients("phone,name\n+14155550100,Ada\n(415) 555-0100,Ada\n+14155550100,Bo\n")
    entries = build_entries(rec, "Hello {name}", "US")
    assert [e.ready for e in entries] == [True, False, True]  # Bo's message differs
    assert entries[1].problem is not None and f"in row {entries[0].line}" in entries[1].problem
