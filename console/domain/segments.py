"""SMS segment arithmetic: encoding, units, exact multi-part packing (GSM 03.38 / UCS-2).

A message body is sent as GSM-7 when every character is in the GSM 03.38 default alphabet or
its extension table; any other character forces UCS-2 for the whole message.

- GSM-7: 160 septets in a single segment, 153 per part when concatenated. Extension characters
  (form feed, ``^ { } \\ [ ~ ] | €``) are sent as ESC + character and cost 2 septets; the pair
  is never split across two parts.
- UCS-2: 70 UTF-16 code units in a single segment, 67 per part. A character outside the Basic
  Multilingual Plane (most emoji) is a surrogate pair, costs 2 units and is never split.

Parts are counted by filling them greedily, character by character, exactly like a sender
splitting the message; dividing the unit count by the part size would be wrong at boundaries.
No character replacement ("smart encoding") is done here: the operator sees what is sent.

Positions (``SegmentInfo.ucs2_positions``) are Python string indices (code points). Qt text
widgets count UTF-16 code units, so a caller highlighting in a ``QTextDocument`` after an emoji
must convert (each code point above U+FFFF adds one extra unit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "GSM7_MULTI",
    "GSM7_SINGLE",
    "MAX_BODY_CHARS",
    "UCS2_MULTI",
    "UCS2_SINGLE",
    "Encoding",
    "SegmentInfo",
    "analyze",
    "char_units",
    "is_gsm7",
    "split_parts",
]

Encoding = Literal["GSM-7", "UCS-2"]

#: Twilio accepts at most this many characters in a message body (error 21617 above it).
MAX_BODY_CHARS: Final = 1600

GSM7_SINGLE: Final = 160
GSM7_MULTI: Final = 153
UCS2_SINGLE: Final = 70
UCS2_MULTI: Final = 67

# GSM 03.38 default alphabet, in table order (0x00-0x7F); 0x1B (ESC) is left out because it is
# the escape to the extension table, not a character a user can type.
GSM7_BASIC: Final[frozenset[str]] = frozenset(
    "@\u00a3$\u00a5\u00e8\u00e9\u00f9\u00ec\u00f2\u00c7\n\u00d8\u00f8\r\u00c5\u00e5"  # 0x00-0x0F
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039e"  # 0x10-0x1A
    "\u00c6\u00e6\u00df\u00c9"  # 0x1C-0x1F
    " !\"#\u00a4%&'()*+,-./"  # 0x20-0x2F (0x24 is ¤, the currency sign, not $)
    "0123456789:;<=>?"  # 0x30-0x3F
    "\u00a1ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00c4\u00d6\u00d1\u00dc\u00a7"  # 0x40-0x5F
    "\u00bfabcdefghijklmnopqrstuvwxyz\u00e4\u00f6\u00f1\u00fc\u00e0"  # 0x60-0x7F
)

# GSM 03.38 extension table (reached with ESC): each costs two septets.
GSM7_EXTENSION: Final[frozenset[str]] = frozenset("\f^{}\\[~]|\u20ac")

_GSM7_ALL: Final = GSM7_BASIC | GSM7_EXTENSION


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    """What a body costs to send: encoding, units, segments and the characters forcing UCS-2."""

    encoding: Encoding
    length: int
    units: int
    segments: int
    per_segment: int
    remaining: int
    ucs2_chars: tuple[str, ...]
    ucs2_positions: tuple[int, ...]
    too_long: bool


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM 03.38 alphabet or extension table."""
    return all(ch in _GSM7_ALL for ch in text)


def char_units(ch: str, encoding: Encoding) -> int:
    """Units one character costs: septets in GSM-7, UTF-16 code units in UCS-2."""
    if encoding == "GSM-7":
        if ch in GSM7_EXTENSION:
            return 2
        if ch in GSM7_BASIC:
            return 1
        raise ValueError(f"{ch!r} is not in the GSM 03.38 alphabet; it can only be sent as UCS-2")
    return 2 if ord(ch) > 0xFFFF else 1


def _capacities(encoding: Encoding) -> tuple[int, int]:
    return (GSM7_SINGLE, GSM7_MULTI) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_MULTI)


def _encoding_of(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _pack(text: str, encoding: Encoding) -> tuple[list[str], int, int]:
    """Split greedily; return (parts, total units, units used in the last part)."""
    costs = [char_units(ch, encoding) for ch in text]
    total = sum(costs)
    single, multi = _capacities(encoding)
    if not text:
        return [], 0, 0
    if total <= single:
        return [text], total, total
    parts: list[str] = []
    start = 0
    used = 0
    for index, cost in enumerate(costs):
        if used + cost > multi:
            parts.append(text[start:index])
            start = index
            used = 0
        used += cost
    parts.append(text[start:])
    return parts, total, used


def split_parts(text: str) -> tuple[str, ...]:
    """The parts ``text`` is sent as (empty tuple for empty text); ``"".join`` gives it back."""
    parts, _, _ = _pack(text, _encoding_of(text))
    return tuple(parts)


def analyze(text: str) -> SegmentInfo:
    """Encoding, cost and segment count of ``text`` as Twilio would send it."""
    ucs2_positions = tuple(i for i, ch in enumerate(text) if ch not in _GSM7_ALL)
    encoding: Encoding = "UCS-2" if ucs2_positions else "GSM-7"
    ucs2_chars = tuple(dict.fromkeys(text[i] for i in ucs2_positions))
    parts, total, last_used = _pack(text, encoding)
    single, multi = _capacities(encoding)
    per_segment = multi if len(parts) > 1 else single
    return SegmentInfo(
        encoding=encoding,
        length=len(text),
        units=total,
        segments=len(parts),
        per_segment=per_segment,
        remaining=per_segment - last_used,
        ucs2_chars=ucs2_chars,
        ucs2_positions=ucs2_positions,
        too_long=len(text) > MAX_BODY_CHARS,
    )
