"""Core.replay in demo mode (the real server, writer and simulator): only accepted requests replay.

The tester's case: a forged 'failed 30003' callback for a finished delivery is refused (403);
replaying it must not re-sign it into an applied event. A request the server accepted replays
(useful when it could not be stored: 503), and what it produces is marked 'replayed' in the
request log, the ledger and the export.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

import aiohttp
import pytest
from twilio.request_validator import RequestValidator

from console.commands.export import delivery_dict
from console.core import Core
from console.domain.model import (
    DeliveryRecord,
    EventSource,
    Verdict,
    WebhookRequestRecord,
)
from console.webhooks.app import STATUS_PATH
from console.webhooks.replay import ReplayRefused
from tests.integration.core_support import Changes, failing_once


async def finished(core: Core, changes: Changes) -> DeliveryRecord:
    """A demo message that reached its final status through signed simulator callbacks."""
    rec = await core.send("+14155550123", "Replay me")
    await changes.until(lambda: (d := core.reader.delivery(rec.id)) is not None and d.final_at)
    done = core.reader.delivery(rec.id)
    assert done is not None and done.sid is not None
    return done


async def post(core: Core, body: bytes, headers: dict[str, str]) -> int:
    assert core.state.server_url is not None
    async with (
        aiohttp.ClientSession() as session,
        session.post(core.state.server_url + STATUS_PATH, data=body, headers=headers) as answer,
    ):
        return answer.status


def logged(core: Core, body: str) -> list[WebhookRequestRecord]:
    return [r for r in core.reader.requests(limit=500) if r.body == body]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_a_forged_request_is_not_replayed(core: Core, changes: Changes) -> None:
    done = await finished(core, changes)
    assert done.sid is not None
    body = urlencode({"MessageSid": done.sid, "MessageStatus": "failed", "ErrorCode": "30003"})
    for headers in ({**FORM, "X-Twilio-Signature": "Zm9yZ2Vk"}, FORM):
        assert await post(core, body.encode(), headers) == 403
    forged = logged(core, body)
    assert {r.verdict for r in forged} == {Verdict.INVALID, Verdict.MISSING}
    for request in forged:
        with pytest.raises(ReplayRefused) as info:
            await core.replay(request.id)
        text = str(info.value)
        assert f"Request #{request.id} cannot be replayed" in text
        assert "will not sign it for you" in text and "forged request look genuine" in text
    assert len(logged(core, body)) == 2  # nothing was posted
    after = core.reader.delivery(done.id)
    assert after is not None and (after.status, after.error_code) == (done.status, done.error_code)
    events = core.reader.events(done.id)
    assert not [e for e in events if e.status == "failed" and e.error_code == 30003]
    assert not [e for e in events if e.signature in (Verdict.INVALID, Verdict.MISSING)]


async def test_a_request_refused_before_its_signature_was_checked_is_not_replayed(
    core: Core,
) -> None:
    body = "MessageSid=SMx&MessageStatus=failed"
    assert await post(core, body.encode(), {"Content-Type": "text/plain"}) == 415
    [request] = [r for r in core.reader.requests(limit=500) if r.status_code == 415]
    assert request.verdict is None
    with pytest.raises(ReplayRefused, match="answered HTTP 415 before its signature was checked"):
        await core.replay(request.id)


def signed_by_twilio(core: Core, params: dict[str, str]) -> dict[str, str]:
    """Headers of a callback signed as Twilio signs it (the demo account's token)."""
    base = core.public_url or core.state.server_url
    assert base is not None and core.credentials.auth_token
    validator = RequestValidator(core.credentials.auth_token)
    return {**FORM, "X-Twilio-Signature": validator.compute_signature(base + STATUS_PATH, params)}


async def test_an_accepted_request_that_was_not_stored_replays_marked_as_a_replay(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = "SM" + "e" * 32
    params = {"MessageSid": sid, "MessageStatus": "delivered", "To": "+14155550177"}
    assert core.writer is not None
    failing_once(monkeypatch, core.writer, sid)
    assert await post(core, urlencode(params).encode(), signed_by_twilio(core, params)) == 503
    [original] = logged(core, urlencode(params))
    assert (original.status_code, original.verdict) == (503, Verdict.VALID)
    assert core.reader.events_by_sid(sid) == []

    assert await core.replay(original.id) == 200

    [replayed] = [r for r in logged(core, original.body) if r.id > original.id]
    assert replayed.verdict is Verdict.REPLAYED and replayed.status_code == 200
    assert ("X-Console-Replay", str(original.id)) in replayed.headers
    assert f"Replay of request #{original.id}" in (replayed.diagnosis or "")
    [event] = core.reader.events_by_sid(sid)
    assert event.signature is Verdict.REPLAYED and event.source is EventSource.SIMULATOR
    assert event.status == "delivered"
    delivery = core.reader.delivery_by_sid(sid)
    assert delivery is not None
    exported = delivery_dict(delivery, [event])["events"]
    assert [e["signature"] for e in exported] == ["replayed"]

    # a replay of the replay is allowed (it was accepted), marked again, and a duplicate
    assert await core.replay(replayed.id) == 200
    again = [r for r in logged(core, original.body) if r.id > replayed.id]
    assert [(r.verdict, dict(r.headers)["X-Console-Replay"]) for r in again] == [
        (Verdict.REPLAYED, str(replayed.id))
    ]
    assert len(core.reader.events_by_sid(sid)) == 1


async def test_without_an_auth_token_the_console_says_what_to_do(core: Core) -> None:
    params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "sent"}
    assert await post(core, urlencode(params).encode(), signed_by_twilio(core, params)) == 200
    [accepted] = logged(core, urlencode(params))
    core.credentials = replace(core.credentials, auth_token="")
    with pytest.raises(ReplayRefused, match="no Auth Token is configured"):
        await core.replay(accepted.id)
