"""The verified caller IDs model."""

from __future__ import annotations

from typing import Any

from console.gateway.resources import CallerId
from console.ui.models.caller_ids_model import NAME, NUMBER, CallerIdsModel
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE


def test_caller_ids_model(qtmodeltester: Any) -> None:
    model = CallerIdsModel()
    qtmodeltester.check(model)
    ids = [
        CallerId("PN" + "1" * 32, "+14155550100", "Desk"),
        CallerId("PN" + "2" * 32, "+447911123456", "Mobile"),
    ]
    model.set_caller_ids(ids)
    assert model.rowCount() == 2
    assert model.index(1, NUMBER).data() == "+44 7911 123456"
    assert model.index(1, NUMBER).data(SORT_ROLE) == "+447911123456"
    assert model.index(0, NAME).data() == "Desk"
    assert model.index(0, 0).data(RECORD_ROLE) is ids[0]
    assert model.numbers() == {"+14155550100", "+447911123456"}
    assert model.caller_id(1).friendly_name == "Mobile"
