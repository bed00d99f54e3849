"""The webhook request log: what the inspector shows of each request, with secrets redacted.

Header values that carry credentials (Authorization, Cookie, …) are removed; the signature is
shown truncated (enough to tell two apart, not enough to replay: a replay is re-signed by the
console, and only for an accepted request, see :mod:`console.webhooks.replay`). Text that
arrived as bytes that are not UTF-8 is stored with replacement characters so the log can always
be written.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from console.domain.model import Verdict, WebhookRequestIn, utcnow

REMOVED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
SIGNATURE_HEADERS = frozenset({"x-twilio-signature"})
SHOWN_SIGNATURE_CHARS = 6


def clean(text: str) -> str:
    """``text`` with undecodable bytes (surrogate escapes) replaced, safe to store."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def redact_headers(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Headers for the log: credentials removed, the signature truncated."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lower = name.lower()
        if lower in REMOVED_HEADERS:
            continue
        if lower in SIGNATURE_HEADERS:
            value = f"{value[:SHOWN_SIGNATURE_CHARS]}… ({len(value)} chars)"
        if name.isascii() and value.isascii():  # the usual case: nothing to clean
            out.append((name, value))
        else:
            out.append((clean(name), clean(value)))
    return tuple(out)


@dataclass(slots=True)
class Exchange:
    """One request in progress: what is known so far, turned into a log entry at the end."""

    method: str
    raw_path: str
    headers: tuple[tuple[str, str], ...]
    remote: str | None
    started: float = field(default_factory=time.perf_counter)
    received_at: datetime = field(default_factory=utcnow)
    body: str = ""
    verdict: Verdict | None = None
    checked_url: str | None = None
    diagnosis: str | None = None

    def entry(self, status_code: int, response_body: str) -> WebhookRequestIn:
        """The log entry for answering ``status_code`` (duration: until the answer was decided;
        a 200 also waits for the commit that holds this entry)."""
        path, _, query = self.raw_path.partition("?")
        return WebhookRequestIn(
            method=clean(self.method),
            path=clean(path),
            query=clean(query),
            headers=self.headers,
            body=self.body,
            remote=self.remote,
            status_code=status_code,
            verdict=self.verdict,
            diagnosis=self.diagnosis,
            checked_url=clean(self.checked_url) if self.checked_url else None,
            response_body=response_body,
            duration_ms=(time.perf_counter() - self.started) * 1000.0,
            received_at=self.received_at,
        )
