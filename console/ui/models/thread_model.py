"""List model of one conversation: inbound messages and outbound deliveries, in time order.

Each row is a :class:`ThreadItem`. Inbound messages are aligned left, outbound right with their
live status; a delivery already shown changes in place (``dataChanged``) when its status moves.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from console.domain.errors import explain
from console.domain.model import DeliveryRecord, InboundRecord
from console.ui.models.roles import KIND_ROLE, RECORD_ROLE, SORT_ROLE, status_tone, tint

Index = QModelIndex | QPersistentModelIndex
Direction = Literal["in", "out"]
_OUT_TONES: Final = {"good": "good", "bad": "bad"}


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """One message of a conversation."""

    direction: Direction
    key: int  # inbound id or delivery id (unique within a direction)
    when: datetime
    body: str
    status: str
    error_code: int | None = None

    @classmethod
    def inbound(cls, rec: InboundRecord) -> ThreadItem:
        """An inbound message."""
        return cls("in", rec.id, rec.received_at, rec.body, "received")

    @classmethod
    def outbound(cls, rec: DeliveryRecord) -> ThreadItem:
        """An outbound delivery with its current status."""
        return cls("out", rec.id, rec.created_at, rec.body or "", rec.status, rec.error_code)

    def meta(self) -> str:
        """The line under the body: time, and for outbound messages the status and error."""
        stamp = self.when.astimezone().strftime("%d %b %H:%M")
        if self.direction == "in":
            return f"{stamp} · received"
        text = f"{stamp} · {self.status}"
        if self.error_code is not None:
            info = explain(self.error_code)
            text += f" · {self.error_code}" + (f" {info.title}" if info else "")
        return text


class ThreadModel(QAbstractListModel):
    """The messages of the selected conversation."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.number: str | None = None
        self._items: list[ThreadItem] = []

    def set_thread(
        self,
        number: str | None,
        inbound: Iterable[InboundRecord],
        outbound: Iterable[DeliveryRecord],
    ) -> None:
        """Show ``number``'s messages (replaces the current thread)."""
        items = [ThreadItem.inbound(r) for r in inbound] + [
            ThreadItem.outbound(d) for d in outbound
        ]
        self.beginResetModel()
        self.number = number
        self._items = sorted(items, key=_order)
        self.endResetModel()

    def add_inbound(self, records: Iterable[InboundRecord]) -> None:
        """Append this number's new inbound messages."""
        known = {i.key for i in self._items if i.direction == "in"}
        for rec in records:
            if rec.from_ == self.number and rec.id not in known:
                self._insert(ThreadItem.inbound(rec))

    def update_deliveries(self, records: Iterable[DeliveryRecord]) -> None:
        """Insert new deliveries to this number or refresh the status of shown ones."""
        for rec in records:
            if rec.to != self.number:
                continue
            item = ThreadItem.outbound(rec)
            row = next(
                (
                    i
                    for i, it in enumerate(self._items)
                    if it.direction == "out" and it.key == rec.id
                ),
                None,
            )
            if row is None:
                self._insert(item)
            elif self._items[row] != item:
                self._items[row] = item
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx)

    def _insert(self, item: ThreadItem) -> None:
        row = bisect_right([_order(i) for i in self._items], _order(item))
        self.beginInsertRows(QModelIndex(), row, row)
        self._items.insert(row, item)
        self.endInsertRows()

    def item(self, row: int) -> ThreadItem:
        """The message in ``row``."""
        return self._items[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008  # Qt's signature
        """Rows under the invisible root (a flat list)."""
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Body and meta line, alignment by direction, a status tint for outbound messages."""
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        it = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{it.body}\n{it.meta()}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            who = "They wrote" if it.direction == "in" else "You sent"
            return f"{who}: {it.body}. {it.meta()}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            side = (
                Qt.AlignmentFlag.AlignLeft if it.direction == "in" else Qt.AlignmentFlag.AlignRight
            )
            return int(side | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            if it.direction == "in":
                return tint("neutral")
            return tint(_OUT_TONES.get(status_tone(it.status), "info"))
        if role == Qt.ItemDataRole.ToolTipRole and it.error_code is not None:
            info = explain(it.error_code)
            return f"{info.cause}\nWhat to do: {info.action}" if info else None
        if role == SORT_ROLE:
            return it.when
        if role == RECORD_ROLE:
            return it
        if role == KIND_ROLE:
            return it.direction
        return None


def _order(item: ThreadItem) -> tuple[datetime, int, int]:
    return (item.when, 0 if item.direction == "in" else 1, item.key)
