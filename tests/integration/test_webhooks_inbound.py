"""POST /webhooks/twilio/inbound: messages stored, STOP/START keep the opt-out list, empty TwiML."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from console.domain.model import Verdict
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.webhooks_support import (
    INBOUND_PATH,
    TwilioLike,
    inbound_params,
    serving,
)

ALICE = "+14155550123"


@pytest.fixture
async def twilio(writer: Writer) -> AsyncIterator[TwilioLike]:
    async with serving(writer) as client:
        yield client


async def test_answer_is_empty_twiml(twilio: TwilioLike, reader: Reader) -> None:
    answer = await twilio.post(INBOUND_PATH, inbound_params("SMi1", ALICE, "Hello there"))
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert answer.text.startswith("<?xml") and answer.text.endswith(("<Response />", "<Response/>"))
    [message] = reader.inbound_from(ALICE)
    assert (message.message_sid, message.body, message.to) == (
        "SMi1",
        "Hello there",
        "+14155550100",
    )
    assert reader.opt_out(ALICE) is None
    [logged] = reader.requests()
    assert (logged.status_code, logged.verdict, logged.response_body) == (
        200,
        Verdict.VALID,
        answer.text,
    )


async def test_stop_then_start_updates_the_opt_out_list(twilio: TwilioLike, reader: Reader) -> None:
    assert (await twilio.post(INBOUND_PATH, inbound_params("SMi2", ALICE, "Stop"))).status == 200
    assert reader.is_opted_out(ALICE)  # the send pipeline refuses this number now
    record = reader.opt_out(ALICE)
    assert record is not None and (record.keyword, record.message_sid) == ("STOP", "SMi2")
    assert (await twilio.post(INBOUND_PATH, inbound_params("SMi3", ALICE, "START"))).status == 200
    assert not reader.is_opted_out(ALICE)
    assert [m.body for m in reader.inbound_from(ALICE)] == ["Stop", "START"]


@pytest.mark.parametrize(
    "word", ["STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE", "optout"]
)
async def test_every_opt_out_keyword(twilio: TwilioLike, reader: Reader, word: str) -> None:
    await twilio.post(INBOUND_PATH, inbound_params("SMkw", ALICE, word))
    assert reader.is_opted_out(ALICE)
    await twilio.post(INBOUND_PATH, inbound_params("SMkw2", ALICE, "unstop"))
    assert not reader.is_opted_out(ALICE)


async def test_opt_out_type_from_advanced_opt_out(twilio: TwilioLike, reader: Reader) -> None:
    params = inbound_params("SMadv", ALICE, "arrêt", OptOutType="STOP")
    assert (await twilio.post(INBOUND_PATH, params)).status == 200
    assert reader.is_opted_out(ALICE)
    [message] = reader.inbound_from(ALICE)
    assert message.opt_out_type == "STOP"
    help_params = inbound_params("SMhelp", ALICE, "HELP", OptOutType="HELP")
    assert (await twilio.post(INBOUND_PATH, help_params)).status == 200
    assert reader.is_opted_out(ALICE)


async def test_ordinary_words_do_not_opt_out(twilio: TwilioLike, reader: Reader) -> None:
    await twilio.post(INBOUND_PATH, inbound_params("SMord", ALICE, "please don't stop"))
    assert not reader.is_opted_out(ALICE) and reader.opt_out(ALICE) is None


async def test_media_and_repeat(twilio: TwilioLike, reader: Reader) -> None:
    params = inbound_params(
        "MMmedia", ALICE, "", NumMedia="2", MediaUrl0="https://m/0", MediaUrl1="https://m/1"
    )
    for _ in range(2):  # Twilio retried the connection: one message
        assert (await twilio.post(INBOUND_PATH, params)).status == 200
    [message] = reader.inbound_from(ALICE)
    assert message.num_media == 2 and message.media_urls == ("https://m/0", "https://m/1")


async def test_unicode_body(twilio: TwilioLike, reader: Reader) -> None:
    body = "Grüße 👋 — ça va ? 你好"
    assert (await twilio.post(INBOUND_PATH, inbound_params("SMuni", ALICE, body))).status == 200
    assert reader.inbound_from(ALICE)[0].body == body


@pytest.mark.parametrize("drop", ["MessageSid", "From"])
async def test_missing_fields_are_400(twilio: TwilioLike, reader: Reader, drop: str) -> None:
    params = {
        k: v
        for k, v in inbound_params("SMbad", ALICE, "STOP").items()
        if k != drop and not (drop == "MessageSid" and k.endswith("Sid") and v == "SMbad")
    }
    answer = await twilio.post(INBOUND_PATH, params)
    assert answer.status == 400 and drop in answer.text
    assert reader.conversations() == [] and not reader.is_opted_out(ALICE)


async def test_forged_stop_does_not_opt_out(twilio: TwilioLike, reader: Reader) -> None:
    params = inbound_params("SMforged", ALICE, "STOP")
    answer = await twilio.post(INBOUND_PATH, params, token="someone-elses-token")
    assert answer.status == 403
    assert not reader.is_opted_out(ALICE) and reader.conversations() == []
