"""``sms-console segments TEXT``: encoding, segment count and the characters forcing UCS-2."""

from __future__ import annotations

import argparse

from console.cli import emit
from console.domain.segments import analyze
from console.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Print how Twilio will encode and split the text."""
    info = analyze(args.text)
    forcing = " ".join(repr(c) for c in info.ucs2_chars) or "none"
    text = (
        f"{info.encoding}, {info.segments} segment(s), {info.units} units, "
        f"{info.remaining} left in the last segment; characters forcing UCS-2: {forcing}"
    )
    if info.too_long:
        text += f"; too long: {info.length} characters (Twilio's limit is 1600)"
    emit(
        args,
        {
            "encoding": info.encoding,
            "segments": info.segments,
            "units": info.units,
            "length": info.length,
            "remaining": info.remaining,
            "ucs2_chars": list(info.ucs2_chars),
            "too_long": info.too_long,
        },
        text,
    )
    return 0
