"""The inspector's request table model: Qt model rules, live insertion, bound, sort role, filter."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from console.domain.model import Verdict
from console.ui.models.requests_model import (
    DIAGNOSIS,
    STATUS,
    TIME,
    VERDICT,
    RequestFilter,
    RequestsModel,
    decoded_body,
    raw_body,
    short_diagnosis,
)
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE, tint
from tests.gui.helpers_panels import request_record


def test_model_passes_the_model_tester_while_rows_arrive(qtmodeltester: Any) -> None:
    model = RequestsModel(limit=5)
    model.set_records([request_record(1), request_record(2)])
    qtmodeltester.check(model)
    # the tester keeps watching: live insertions and trimming must keep the model consistent
    assert model.add_records([request_record(3), request_record(4, status=403)]) == 2
    assert model.add_records([request_record(4), request_record(5), request_record(6)]) == 2
    assert model.rowCount() == 5
    assert [model.record(i).id for i in range(5)] == [6, 5, 4, 3, 2]


def test_live_batches_insert_newest_first_without_duplicates() -> None:
    model = RequestsModel()
    model.set_records([request_record(2), request_record(1)])
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    assert model.add_records([request_record(3), request_record(1), request_record(4)]) == 2
    assert inserted == [(0, 1)]  # one insertion per batch
    assert [model.record(i).id for i in range(model.rowCount())] == [4, 3, 2, 1]
    assert model.row_of(3) == 1
    assert model.row_of(99) is None


def test_cells_show_verdict_status_and_short_diagnosis() -> None:
    long = "Signature mismatch: Twilio signed https://a.example/x but " + "x" * 200
    rec = request_record(7, status=403, verdict=Verdict.INVALID, diagnosis=long)
    model = RequestsModel()
    model.set_records([rec])
    assert model.index(0, STATUS).data() == "403"
    assert model.index(0, VERDICT).data() == "invalid"
    shown = model.index(0, DIAGNOSIS).data()
    assert shown.endswith("…") and len(shown) <= 90
    assert model.index(0, DIAGNOSIS).data(Qt.ItemDataRole.ToolTipRole) == long
    assert model.index(0, VERDICT).data(Qt.ItemDataRole.BackgroundRole) == tint("bad")
    assert model.index(0, STATUS).data(SORT_ROLE) == 403
    assert model.index(0, TIME).data(SORT_ROLE) == 7
    assert model.index(0, 0).data(RECORD_ROLE) is rec
    assert short_diagnosis(request_record(1)) == ""
    assert model.index(5, 0).data() is None
    assert model.data(QModelIndex()) is None


def test_filter_by_text_and_failures_only(qtmodeltester: Any) -> None:
    model = RequestsModel()
    model.set_records(
        [
            request_record(1),
            request_record(2, status=403, verdict=Verdict.MISSING, diagnosis="No signature"),
            request_record(3, path="/webhooks/twilio/inbound"),
        ]
    )
    proxy = RequestFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)
    proxy.set_failures_only(True)
    assert proxy.rowCount() == 1
    assert proxy.index(0, 0).data(RECORD_ROLE).id == 2
    proxy.set_failures_only(False)
    proxy.setFilterFixedString("inbound")
    assert proxy.rowCount() == 1
    assert proxy.index(0, 0).data(RECORD_ROLE).id == 3


def test_body_views_decode_forms_and_pretty_print_json() -> None:
    form = request_record(1, body="MessageSid=SM1&Body=hi+there%21&Empty=")
    assert decoded_body(form) == [("MessageSid", "SM1"), ("Body", "hi there!"), ("Empty", "")]
    js = request_record(2, body='{"a": 1, "b": [1, 2]}')
    assert decoded_body(js) == []
    assert raw_body(js).startswith("{\n")
    broken = request_record(3, body="{not json")
    assert raw_body(broken) == "{not json"
