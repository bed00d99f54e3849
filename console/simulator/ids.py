"""Identifiers and timestamps in the exact shapes Twilio uses.

SIDs are a two-letter prefix and 32 lowercase hex digits. They come from the OS entropy source,
never from a scenario's seeded generator: a seeded demo that restarts must not hand out SIDs the
console has already stored.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"
API_HOST = "https://api.twilio.com"
MESSAGING_HOST = "https://messaging.twilio.com"


def new_sid(prefix: str) -> str:
    """Return a fresh SID such as ``SM`` + 32 hex digits."""
    if len(prefix) != 2 or not prefix.isalpha() or not prefix.isupper():
        raise ValueError(f"a SID prefix is two capital letters, not {prefix!r}")
    return prefix + secrets.token_hex(16)


def new_token() -> str:
    """Return a fresh opaque token (32 hex digits), e.g. for idempotency headers."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime, truncated to whole seconds like Twilio's."""
    return datetime.now(UTC).replace(microsecond=0)


def rfc2822(moment: datetime | None) -> str | None:
    """Format like the 2010 API: ``Thu, 24 Aug 2023 05:01:45 +0000``."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(UTC))


def iso8601(moment: datetime | None) -> str | None:
    """Format like the v1 APIs: ``2015-07-30T20:12:31Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def raw_dlr_done_date(moment: datetime) -> str:
    """Format a carrier delivery-receipt time as Twilio's ``RawDlrDoneDate`` (YYMMDDhhmm)."""
    return moment.astimezone(UTC).strftime("%y%m%d%H%M")
