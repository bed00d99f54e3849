"""Table model of a bulk send: one row per recipient with its message, check and outcome.

Rows are :class:`BulkEntry` values. The check comes first from local rules (number format,
placeholders, length), then from ``core.preview_bulk`` (opt-outs, trial verification, sender);
the outcome follows the deliveries of the running job. Changes are targeted ``dataChanged``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

from PySide6.QtCore import Qt

from console.domain.phone import PhoneNumberError, format_display, normalize
from console.domain.segments import analyze
from console.ui.models.base import Index, RecordTableModel
from console.ui.models.bulk_rows import Recipients, render
from console.ui.models.roles import RECORD_ROLE, SORT_ROLE, status_tone, tint

COLUMNS: Final = ("Row", "To", "Message", "Segments", "Check", "Outcome")
LINE, TO, MESSAGE, SEGMENTS, CHECK, OUTCOME = range(len(COLUMNS))


@dataclass(frozen=True, slots=True)
class BulkEntry:
    """One recipient of a bulk send."""

    line: int
    raw_to: str
    body: str
    to: str | None = None  # E.164 when the number is valid
    segments: int = 0
    problem: str | None = None  # why it cannot be sent (None: ready)
    outcome: str = ""  # queued, sent, delivered, failed, undelivered, canceled, refused…

    @property
    def ready(self) -> bool:
        """Whether the row will be sent."""
        return self.problem is None and self.to is not None


def build_entries(recipients: Recipients, template: str, default_region: str) -> list[BulkEntry]:
    """Entries for every parsed row, with the local checks applied.

    The same message to the same number twice (a line pasted twice, a CSV exported with
    duplicates) is refused on its second row: it would reach that person twice.
    """
    out: list[BulkEntry] = []
    first: dict[tuple[str, str], int] = {}  # (number, message) -> the line that sends it
    for line, values in zip(recipients.lines, recipients.rows, strict=True):
        entry = local_entry(line, values, recipients.to_column, template, default_region)
        if entry.ready and entry.to is not None:
            earlier = first.setdefault((entry.to, entry.body), line)
            if earlier != line:
                entry = replace(
                    entry,
                    problem=f"The same message to this number is in row {earlier}: it would "
                    "arrive twice. Remove one of the rows, or change the message.",
                )
        out.append(entry)
    return out


def local_entry(
    line: int, values: Mapping[str, str], to_column: str, template: str, region: str
) -> BulkEntry:
    """One entry checked locally: number, placeholders, empty or too long body."""
    raw = values.get(to_column, "")
    body, missing = render(template, values)
    seg = analyze(body)
    entry = BulkEntry(line=line, raw_to=raw, body=body, segments=seg.segments)
    try:
        entry = replace(entry, to=normalize(raw, region))
    except PhoneNumberError as exc:
        return replace(entry, problem=exc.reason)
    if missing:
        names = ", ".join(f"{{{m}}}" for m in missing)
        return replace(entry, problem=f"No column for {names}: add it to the input or remove it.")
    if not body.strip():
        return replace(entry, problem="The message is empty.")
    if seg.too_long:
        return replace(entry, problem=f"The message is {seg.length} characters (limit 1600).")
    return entry


class BulkRowsModel(RecordTableModel[BulkEntry]):
    """The rows of a bulk send (see module doc)."""

    TITLES = COLUMNS

    def set_entries(self, entries: Iterable[BulkEntry]) -> None:
        """Replace every row."""
        self.beginResetModel()
        self._rows = list(entries)
        self.endResetModel()

    def entries(self) -> list[BulkEntry]:
        """A copy of the rows."""
        return list(self._rows)

    def entry(self, row: int) -> BulkEntry:
        """The entry in ``row``."""
        return self._rows[row]

    def update(self, row: int, **changes: Any) -> None:
        """Change fields of one row and tell the views."""
        new = replace(self._rows[row], **changes)
        if new != self._rows[row]:
            self._rows[row] = new
            self._row_changed(row)

    def ready_rows(self) -> list[int]:
        """Rows that will be sent, in order."""
        return [i for i, e in enumerate(self._rows) if e.ready]

    def total_segments(self) -> int:
        """Segments of every ready row (what pacing counts)."""
        return sum(e.segments for e in self._rows if e.ready)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Display text, raw sort values, the entry, tints and the full problem as tooltip."""
        e = self._record_at(index)
        if e is None:
            return None
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(e, col)
        if role == SORT_ROLE:
            return (e.line, e.to or e.raw_to, e.body, e.segments, e.problem or "", e.outcome)[col]
        if role == RECORD_ROLE:
            return e
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == CHECK and e.problem:
                return e.problem
            if col == MESSAGE:
                return e.body
        if role == Qt.ItemDataRole.BackgroundRole:
            if col == CHECK:
                return tint("good" if e.ready else "bad")
            if col == OUTCOME and e.outcome:
                return tint(status_tone(e.outcome) if e.outcome != "refused" else "bad")
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (LINE, SEGMENTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(e: BulkEntry, col: int) -> str:
        if col == LINE:
            return str(e.line)
        if col == TO:
            return format_display(e.to) if e.to else e.raw_to
        if col == MESSAGE:
            return " ".join(e.body.split())
        if col == SEGMENTS:
            return str(e.segments)
        if col == CHECK:
            return "ready" if e.ready else (e.problem or "")
        return e.outcome
