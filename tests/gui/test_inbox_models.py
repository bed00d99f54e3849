"""The inbox's models: conversations per number and one conversation's thread."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt

from console.domain.model import OptOutRecord
from console.ui.models.conversations_model import (
    COUNT,
    LAST,
    NUMBER,
    OPT_OUT,
    Conversation,
    ConversationsModel,
)
from console.ui.models.roles import KIND_ROLE, RECORD_ROLE, SORT_ROLE
from console.ui.models.thread_model import ThreadModel
from tests.gui.helpers_panels import T0, delivery_record, inbound_record

A = "+14155550101"
B = "+14155550102"


def test_conversations_model_folds_live_batches(qtmodeltester: Any) -> None:
    model = ConversationsModel()
    model.set_conversations([Conversation(A, inbound_record(1, A, "first"), 1, False)])
    qtmodeltester.check(model)
    changed: list[int] = []
    model.dataChanged.connect(lambda tl, _br: changed.append(tl.row()))
    model.add_inbound(
        [inbound_record(2, A, "second"), inbound_record(3, B, "hi"), inbound_record(4, B, "yo")],
        {B: True},
    )
    assert model.rowCount() == 2
    assert changed == [0]
    assert model.index(0, LAST).data() == "second"
    assert model.index(0, COUNT).data() == "2"
    assert model.index(1, COUNT).data() == "2"
    assert model.index(1, OPT_OUT).data() == "opted out"
    assert model.index(0, NUMBER).data() == "+1 415-555-0101"
    # an older id than the one shown does not replace the last message
    model.add_inbound([inbound_record(1, A, "first")], {})
    assert model.index(0, LAST).data() == "second"


def test_opt_out_changes_are_targeted() -> None:
    model = ConversationsModel()
    model.set_conversations(
        [
            Conversation(A, inbound_record(1, A), 1, False),
            Conversation(B, inbound_record(2, B), 1, False),
        ]
    )
    changed: list[int] = []
    model.dataChanged.connect(lambda tl, _br: changed.append(tl.row()))
    model.set_opt_outs(
        [OptOutRecord(B, True, "STOP", None, T0), OptOutRecord("+1999", True, "STOP", None, T0)]
    )
    assert changed == [1]
    assert model.conversation(1).opted_out
    assert model.index(1, OPT_OUT).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, OPT_OUT).data() == ""


def test_newest_conversation_sorts_first_through_a_proxy() -> None:
    model = ConversationsModel()
    model.set_conversations(
        [
            Conversation(A, inbound_record(5, A), 1, False),
            Conversation(B, inbound_record(9, B), 3, False),
        ]
    )
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    proxy.sort(LAST, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 0).data(RECORD_ROLE).number == B
    model.add_inbound([inbound_record(12, A, "latest")], {})  # dynamic sort re-orders
    assert proxy.index(0, 0).data(RECORD_ROLE).number == A


def test_thread_interleaves_and_updates_status(qtmodeltester: Any) -> None:
    model = ThreadModel()
    model.set_thread(
        A, [inbound_record(1, A, "hi"), inbound_record(3, A, "ok")], [delivery_record(2, A)]
    )
    qtmodeltester.check(model)
    assert [model.item(i).direction for i in range(3)] == ["in", "out", "in"]
    model.update_deliveries([delivery_record(2, A, "delivered"), delivery_record(9, B)])
    assert model.rowCount() == 3
    assert "delivered" in model.index(1, 0).data()
    model.update_deliveries([delivery_record(4, A, "failed", error_code=30003)])
    assert model.rowCount() == 4
    assert model.item(3).direction == "out"
    assert "30003" in model.index(3, 0).data()
    assert "What to do" in model.index(3, 0).data(Qt.ItemDataRole.ToolTipRole)
    model.add_inbound([inbound_record(5, A, "thanks"), inbound_record(6, B, "other")])
    assert model.rowCount() == 5
    assert model.index(4, 0).data(KIND_ROLE) == "in"
    align = model.index(4, 0).data(Qt.ItemDataRole.TextAlignmentRole)
    assert align & int(Qt.AlignmentFlag.AlignLeft)
    assert "They wrote: thanks" in model.index(4, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    model.set_thread(None, [], [])
    assert model.rowCount() == 0
