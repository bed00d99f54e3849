"""Bulk send input: recipients pasted or imported as CSV, and ``{name}``-style personalisation.

Pure Python (no Qt): the bulk dialog and its table model build on it.

Input is CSV text (commas, semicolons or tabs). When the first row names its columns (it has
no digits in its first cell, e.g. ``phone,name,order``), those names become placeholders and
the recipient column is the first called to/phone/number/mobile/recipient (else the first).
Without a header the first column is the number and the second is ``{name}``; further columns
are ``{col3}``, ``{col4}``… A bare list of numbers, one per line, works as well.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

TO_NAMES: Final = ("to", "phone", "number", "mobile", "recipient", "phone_number", "msisdn")
PLACEHOLDER: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_ROWS: Final = 10_000


@dataclass(frozen=True, slots=True)
class Recipients:
    """Parsed input: column names, the recipient column and one mapping per data row."""

    columns: tuple[str, ...]
    to_column: str
    rows: tuple[Mapping[str, str], ...]
    lines: tuple[int, ...]  # 1-based input line of each row
    header: bool
    problems: tuple[str, ...] = field(default=())


def _column_name(raw: str, index: int) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", raw.strip().lower()).strip("_")
    if not name or name[0].isdigit():
        name = f"col{index + 1}"
    return name


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def parse_recipients(text: str) -> Recipients:
    """Parse pasted or imported CSV text (see module doc); blank lines are skipped."""
    if not text.strip():
        return Recipients((), "to", (), (), header=False)
    reader = csv.reader(io.StringIO(text), _dialect(text))
    records: list[tuple[int, list[str]]] = []
    for row in reader:
        cells = [c.strip() for c in row]
        if any(cells):
            records.append((reader.line_num, cells))
    if not records:
        return Recipients((), "to", (), (), header=False)
    first = records[0][1]
    header = not any(ch.isdigit() for ch in first[0])
    width = max(len(cells) for _, cells in records)
    problems: list[str] = []
    if header:
        names = [_column_name(c, i) for i, c in enumerate(first)]
        names += [f"col{i + 1}" for i in range(len(names), width)]
        data = records[1:]
        to_column = next((n for n in names if n in TO_NAMES), names[0])
    else:
        names = ["to", "name", *(f"col{i + 1}" for i in range(2, width))][:width]
        data = records
        to_column = "to"
    seen: set[str] = set()
    for i, n in enumerate(names):
        if n in seen:
            names[i] = f"{n}_{i + 1}"
        seen.add(names[i])
    if len(data) > MAX_ROWS:
        problems.append(f"Only the first {MAX_ROWS:,} rows are used ({len(data):,} given).")
        data = data[:MAX_ROWS]
    rows = tuple(
        {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(names)}
        for _, cells in data
    )
    return Recipients(
        tuple(names), to_column, rows, tuple(line for line, _ in data), header, tuple(problems)
    )


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholder names a message template uses, in order, without repeats."""
    return tuple(dict.fromkeys(PLACEHOLDER.findall(template)))


def render(template: str, values: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """The template with ``{name}`` filled from ``values``; and the names that had no column."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        missing.append(name)
        return match.group(0)

    return PLACEHOLDER.sub(fill, template), tuple(dict.fromkeys(missing))
