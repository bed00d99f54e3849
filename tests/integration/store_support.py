"""Small builders shared by the writer's tests: a status callback event, a logged request."""

from __future__ import annotations

from typing import Any

from console.domain.model import EventIn, EventSource, Verdict, WebhookRequestIn


def cb(sid: str, status: str, **kw: Any) -> EventIn:
    """A status callback for ``sid`` (other EventIn fields as keywords)."""
    return EventIn(source=EventSource.CALLBACK, status=status, message_sid=sid, **kw)


def logged(n: int) -> WebhookRequestIn:
    """The request-log entry of a valid status callback, told apart by ``n``."""
    return WebhookRequestIn(
        method="POST",
        path="/webhooks/twilio/status",
        query="",
        headers=(("Content-Type", "application/x-www-form-urlencoded"), ("X-Note", f"n{n}")),
        body=f"MessageSid=SM{n}",
        remote="127.0.0.1",
        status_code=200,
        verdict=Verdict.VALID,
        diagnosis=None,
        checked_url="https://example.test/webhooks/twilio/status",
        response_body="",
        duration_ms=1.0,
    )
