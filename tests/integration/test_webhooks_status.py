"""POST /webhooks/twilio/status on a real server: signed callbacks become durable ledger events."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import AsyncIterator

import pytest

from console.domain import status as st
from console.domain.model import EventSource, NewDelivery, SendState, Verdict
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.webhooks_support import (
    PUBLIC,
    STATUS_PATH,
    Config,
    TwilioLike,
    serving,
    sign,
    status_params,
)

LIFECYCLE = ["queued", "sending", "sent", "delivered"]


@pytest.fixture
async def twilio(writer: Writer) -> AsyncIterator[TwilioLike]:
    async with serving(writer) as client:
        yield client


async def test_every_status_in_sequence(twilio: TwilioLike, writer: Writer, reader: Reader) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550199", body="hi"))
    await writer.transition(rec.id, SendState.ACCEPTED, sid="SMseq")
    seen = []
    for status in ["accepted", "scheduled", *LIFECYCLE, "read"]:
        answer = await twilio.post(STATUS_PATH, status_params("SMseq", status))
        assert answer.status == 200, answer.text
        # durable before the answer: the reader sees it without waiting
        delivery = reader.delivery(rec.id)
        assert delivery is not None and delivery.status == status
        seen.append(status)
    events = reader.events(rec.id)
    assert [e.status for e in events] == seen
    assert all(e.source is EventSource.CALLBACK and e.signature is Verdict.VALID for e in events)
    assert json.loads(events[0].payload)["AccountSid"].startswith("AC")


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_shuffled_and_duplicated_callbacks(
    twilio: TwilioLike, reader: Reader, seed: int
) -> None:
    rnd = random.Random(seed)
    plan: dict[str, list[str]] = {}
    posts = []
    for i in range(12):
        statuses = rnd.sample([*LIFECYCLE, "undelivered", "failed"], k=rnd.randint(1, 5))
        sid = f"SMshuf{seed}x{i}"
        plan[sid] = statuses
        posts += [(sid, s) for s in statuses + rnd.choices(statuses, k=3)]
    rnd.shuffle(posts)
    answers = await asyncio.gather(
        *(twilio.post(STATUS_PATH, status_params(sid, s)) for sid, s in posts)
    )
    assert {a.status for a in answers} == {200}
    for sid, statuses in plan.items():
        delivery = reader.delivery_by_sid(sid)
        assert delivery is not None
        assert delivery.status == st.derive(st.parse(s) for s in statuses).value
        assert sorted(e.status for e in reader.events(delivery.id)) == sorted(statuses)
    assert reader.count_requests(verdict="valid") == len(posts)


async def test_late_sent_never_overwrites_delivered(twilio: TwilioLike, reader: Reader) -> None:
    for status in ["delivered", "sent", "queued"]:
        assert (await twilio.post(STATUS_PATH, status_params("SMlate", status))).status == 200
    delivery = reader.delivery_by_sid("SMlate")
    assert delivery is not None and delivery.status == "delivered"
    assert delivery.final_at is not None


async def test_unknown_sid_is_kept_as_external_delivery(twilio: TwilioLike, reader: Reader) -> None:
    answer = await twilio.post(
        STATUS_PATH, status_params("SMother", "undelivered", ErrorCode="30003")
    )
    assert answer.status == 200
    delivery = reader.delivery_by_sid("SMother")
    assert delivery is not None
    assert (delivery.send_state, delivery.status, delivery.error_code) == (
        SendState.EXTERNAL,
        "undelivered",
        30003,
    )
    assert (delivery.to, delivery.from_) == ("+14155550199", "+14155550100")


async def test_unknown_status_is_kept_not_applied(twilio: TwilioLike, reader: Reader) -> None:
    await twilio.post(STATUS_PATH, status_params("SMunk", "sent"))
    answer = await twilio.post(STATUS_PATH, status_params("SMunk", "teleported"))
    assert answer.status == 200
    delivery = reader.delivery_by_sid("SMunk")
    assert delivery is not None and delivery.status == "sent"
    events = reader.events(delivery.id)
    assert [(e.status, e.applied) for e in events] == [("sent", True), ("teleported", False)]


@pytest.mark.parametrize(
    "drop", [("MessageSid", "SmsSid"), ("MessageStatus", "SmsStatus")], ids=["sid", "status"]
)
async def test_missing_fields_after_valid_signature_are_400(
    twilio: TwilioLike, reader: Reader, drop: tuple[str, str]
) -> None:
    params = {k: v for k, v in status_params("SMmiss", "sent").items() if k not in drop}
    answer = await twilio.post(STATUS_PATH, params)
    assert answer.status == 400 and drop[0] in answer.text
    assert reader.count_deliveries() == 0
    [logged] = reader.requests()
    assert (logged.status_code, logged.verdict) == (400, Verdict.VALID)
    assert logged.diagnosis is not None and drop[0] in logged.diagnosis


async def test_sms_sid_alone_is_accepted(twilio: TwilioLike, reader: Reader) -> None:
    params = {"SmsSid": "SMold", "SmsStatus": "sent", "AccountSid": "AC" + "1" * 32}
    assert (await twilio.post(STATUS_PATH, params)).status == 200
    assert reader.delivery_by_sid("SMold") is not None


async def test_request_log_redacts_headers(twilio: TwilioLike, reader: Reader) -> None:
    params = status_params("SMlog", "sent")
    signature = sign(PUBLIC + STATUS_PATH, params)
    await twilio.post(
        STATUS_PATH,
        params,
        headers={
            "Authorization": "Basic dXNlcjpwYXNz",
            "Cookie": "session=1",
            "I-Twilio-Idempotency-Token": "idem-1",
        },
    )
    [logged] = reader.requests()
    headers = dict(logged.headers)
    assert "Authorization" not in headers and "Cookie" not in headers
    assert headers["I-Twilio-Idempotency-Token"] == "idem-1"
    shown = headers["X-Twilio-Signature"]
    assert signature not in shown and shown.startswith(signature[:6])
    assert logged.checked_url == PUBLIC + STATUS_PATH
    assert (logged.status_code, logged.verdict, logged.path) == (200, Verdict.VALID, STATUS_PATH)
    assert "MessageSid=SMlog" in logged.body


async def test_raw_query_is_part_of_the_signed_url(twilio: TwilioLike, reader: Reader) -> None:
    query = "?profile=ops%20team&x=%7E"  # kept as received, never re-encoded
    answer = await twilio.post(STATUS_PATH, status_params("SMq", "sent"), query=query)
    assert answer.status == 200
    assert reader.requests()[0].checked_url == PUBLIC + STATUS_PATH + query


async def test_json_body_with_body_hash(twilio: TwilioLike, reader: Reader) -> None:
    payload = {"MessageSid": "SMjson", "MessageStatus": "delivered", "ErrorCode": None}
    assert (await twilio.post_json(STATUS_PATH, payload)).status == 200
    delivery = reader.delivery_by_sid("SMjson")
    assert delivery is not None and delivery.status == "delivered"
    forged = json.dumps({**payload, "MessageStatus": "failed"}).encode()
    answer = await twilio.post_json(STATUS_PATH, payload, body=forged)
    assert answer.status == 403
    assert "bodySHA256" in (reader.requests()[0].diagnosis or "")


async def test_json_body_without_hash_is_refused(twilio: TwilioLike, reader: Reader) -> None:
    raw = json.dumps({"MessageSid": "SMj2", "MessageStatus": "sent"}).encode()
    headers = {
        "X-Twilio-Signature": sign(PUBLIC + STATUS_PATH, {}),
        "Content-Type": "application/json",
    }
    assert (await twilio.raw("POST", STATUS_PATH, raw, headers)).status == 403
    assert reader.delivery_by_sid("SMj2") is None
    wrong = "?bodySHA256=" + hashlib.sha256(b"other").hexdigest()
    headers["X-Twilio-Signature"] = sign(PUBLIC + STATUS_PATH + wrong, {})
    assert (await twilio.raw("POST", STATUS_PATH + wrong, raw, headers)).status == 403


async def test_event_and_log_share_one_commit(twilio: TwilioLike, writer: Writer) -> None:
    before = writer.commits
    assert (await twilio.post(STATUS_PATH, status_params("SMone", "sent"))).status == 200
    assert writer.commits - before == 1


async def test_store_failure_answers_503_and_health_says_so(
    twilio: TwilioLike,
    writer: Writer,
    reader: Reader,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "_apply", disk_full)
    with caplog.at_level(logging.ERROR):
        answer = await twilio.post(STATUS_PATH, status_params("SMfull", "sent"))
    assert answer.status == 503 and answer.headers["Retry-After"]
    assert any("answering 503" in r.getMessage() for r in caplog.records)
    health = await twilio.health()
    assert health["ok"] is False and "No space left" in health["database"]["detail"]
    monkeypatch.undo()
    assert (await twilio.post(STATUS_PATH, status_params("SMfull", "sent"))).status == 200
    assert (await twilio.health())["database"]["ok"] is True
    assert reader.delivery_by_sid("SMfull") is not None


async def test_closed_writer_answers_503(writer: Writer, reader: Reader) -> None:
    async with serving(writer) as client:
        await writer.close()
        answer = await client.post(STATUS_PATH, status_params("SMc", "sent"))
    assert answer.status == 503
    assert reader.delivery_by_sid("SMc") is None


async def test_validation_disabled_is_loud(
    writer: Writer, reader: Reader, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        async with serving(writer, Config(token=None), validate=False) as client:
            answer = await client.post(STATUS_PATH, status_params("SMdev", "sent"), signature="")
            health = await client.health()
    assert answer.status == 200
    assert any("DISABLED" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert health["signature_validation"] != "on" and "DISABLED" in health["warnings"][0]
    [event] = reader.events_by_sid("SMdev")
    assert event.signature is Verdict.SKIPPED
    assert reader.requests()[0].verdict is Verdict.SKIPPED


async def test_healthz_reports_version_database_and_public_url(
    writer: Writer,
) -> None:
    def tunnel() -> dict[str, object]:
        return {"tunnel": {"kind": "fixed", "phase": "online"}}

    async with serving(writer, health=tunnel, database_check=lambda: None) as client:
        health = await client.health()
        local_url = client.server.local_url
    assert health["ok"] is True and health["version"]
    assert health["database"] == {"ok": True, "detail": None}
    assert health["public_url"] == PUBLIC and health["local_url"] == local_url
    assert health["tunnel"] == {"kind": "fixed", "phase": "online"}
    assert health["signature_validation"] == "on" and health["warnings"] == []


async def test_simulator_source_is_recorded(writer: Writer, reader: Reader) -> None:
    async with serving(writer, callback_source=EventSource.SIMULATOR) as client:
        await client.post(STATUS_PATH, status_params("SMsim", "sent"))
    assert reader.events_by_sid("SMsim")[0].source is EventSource.SIMULATOR
