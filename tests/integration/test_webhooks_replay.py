"""X-Console-Replay on a real server: it marks an accepted request as a replay, never more.

Anyone can send the header, so it must only lower trust: an unsigned or forged request that
carries it is refused exactly as without it, and a signed one is recorded as 'replayed' (not
'valid') in the request log and in the ledger event it produced.
"""

from __future__ import annotations

from console.domain.model import NewDelivery, SendState, Verdict
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.webhooks_support import (
    INBOUND_PATH,
    OTHER_TOKEN,
    STATUS_PATH,
    Config,
    inbound_params,
    serving,
    status_params,
)

MARK = {"X-Console-Replay": "7"}


async def test_the_header_cannot_make_an_unsigned_or_forged_request_pass(
    writer: Writer, reader: Reader
) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550199", body="hi"))
    await writer.transition(rec.id, SendState.ACCEPTED, sid="SMmark")
    async with serving(writer) as client:
        delivered = await client.post(STATUS_PATH, status_params("SMmark", "delivered"))
        assert delivered.status == 200
        forged = status_params("SMmark", "failed", ErrorCode="30003")
        unsigned = await client.raw(
            "POST",
            STATUS_PATH,
            b"MessageSid=SMmark&MessageStatus=failed&ErrorCode=30003",
            {"Content-Type": "application/x-www-form-urlencoded", **MARK},
        )
        other = await client.post(STATUS_PATH, forged, token=OTHER_TOKEN, headers=MARK)
        garbage = await client.post(STATUS_PATH, forged, signature="Zm9yZ2Vk", headers=MARK)
    assert (unsigned.status, other.status, garbage.status) == (403, 403, 403)
    delivery = reader.delivery(rec.id)
    assert delivery is not None and delivery.status == "delivered"
    assert [e.status for e in reader.events(rec.id)] == ["delivered"]
    refused = reader.requests(limit=3)
    assert [r.verdict for r in refused] == [Verdict.INVALID, Verdict.INVALID, Verdict.MISSING]
    for r in refused:
        assert r.status_code == 403
        assert "never makes a request acceptable" in (r.diagnosis or "")


async def test_a_signed_replay_is_recorded_as_a_replay(writer: Writer, reader: Reader) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550199", body="hi"))
    await writer.transition(rec.id, SendState.ACCEPTED, sid="SMrep")
    async with serving(writer) as client:
        first = await client.post(STATUS_PATH, status_params("SMrep", "sent"))
        again = await client.post(STATUS_PATH, status_params("SMrep", "delivered"), headers=MARK)
        inbound = await client.post(
            INBOUND_PATH, inbound_params("SMin", "+14155550111", "hello"), headers=MARK
        )
    assert (first.status, again.status, inbound.status) == (200, 200, 200)
    events = reader.events(rec.id)
    assert [(e.status, e.signature) for e in events] == [
        ("sent", Verdict.VALID),
        ("delivered", Verdict.REPLAYED),
    ]
    delivery = reader.delivery(rec.id)
    assert delivery is not None and delivery.status == "delivered"  # a replay is applied
    inbound_log, status_log, first_log = reader.requests(limit=3)
    assert first_log.verdict is Verdict.VALID and first_log.diagnosis is None
    for logged in (status_log, inbound_log):
        assert logged.verdict is Verdict.REPLAYED
        assert ("X-Console-Replay", "7") in logged.headers
        assert "Replay of request #7 from the webhook inspector" in (logged.diagnosis or "")
        assert "not by Twilio" in (logged.diagnosis or "")


async def test_with_validation_disabled_the_replay_is_still_marked(
    writer: Writer, reader: Reader
) -> None:
    async with serving(writer, Config(token=None), validate=False) as client:
        plain = await client.post(STATUS_PATH, status_params("SMoff", "sent"), signature="")
        marked = await client.post(
            STATUS_PATH, status_params("SMoff", "delivered"), signature="", headers=MARK
        )
    assert (plain.status, marked.status) == (200, 200)
    assert [e.signature for e in reader.events_by_sid("SMoff")] == [
        Verdict.SKIPPED,
        Verdict.REPLAYED,
    ]
    latest = reader.requests(limit=1)[0]
    assert latest.verdict is Verdict.REPLAYED and "DISABLED" in (latest.diagnosis or "")
