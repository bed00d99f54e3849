"""Opt-out and opt-in keywords of inbound SMS: what a reply of STOP or START means.

Twilio's default opt-out handling recognises a message whose whole body is one keyword
(case-insensitive, surrounding whitespace ignored). With Advanced Opt-Out on, Twilio also says
what it decided in the ``OptOutType`` field (STOP, START or HELP); that field wins over the text.
The console mirrors these rules so that the send pipeline refuses numbers that said STOP
(Twilio would answer error 21610) until they say START again. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

OPT_OUT_KEYWORDS: frozenset[str] = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS: frozenset[str] = frozenset({"START", "UNSTOP"})

# Punctuation a phone keyboard or a user adds around a keyword ("Stop.", "STOP!").
_TRAILING = ".!,;:?'\"" + "\u2019\u201d"


@dataclass(frozen=True, slots=True)
class OptChange:
    """What an inbound message asks for: ``opted_out`` True for STOP, False for START."""

    opted_out: bool
    keyword: str


def keyword_of(body: str) -> str:
    """The normalised single word of ``body`` (upper case, trimmed), or '' if it is not one."""
    word = body.strip().strip(_TRAILING).strip().upper()
    return "" if not word or any(ch.isspace() for ch in word) else word


def classify(body: str, opt_out_type: str | None = None) -> OptChange | None:
    """The opt-out (True) or opt-in (False) an inbound message asks for, or None.

    ``opt_out_type`` is Twilio's ``OptOutType`` field: STOP or START decide on their own
    (Twilio has already applied them to its own list; custom keywords arrive this way); HELP
    means no change. Otherwise the body decides when it is exactly one opt-out or opt-in keyword.
    """
    kind = (opt_out_type or "").strip().upper()
    word = keyword_of(body)
    if kind == "STOP":
        return OptChange(True, word if word in OPT_OUT_KEYWORDS else "STOP")
    if kind == "START":
        return OptChange(False, word if word in OPT_IN_KEYWORDS else "START")
    if kind == "HELP":
        return None
    if word in OPT_OUT_KEYWORDS:
        return OptChange(True, word)
    if word in OPT_IN_KEYWORDS:
        return OptChange(False, word)
    return None
