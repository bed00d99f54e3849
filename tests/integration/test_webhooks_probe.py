"""The console's self-probe on the status endpoint: answered 200 and logged as a probe, never
mistaken for a failed callback, and never a way around the signature check or into the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from console.domain.model import NewDelivery, SendState, Verdict
from console.store.queries import Reader
from console.store.writer import Writer
from console.ui.models.requests_model import verdict_tone
from console.webhooks.handlers import PROBE_DIAGNOSIS, PROBE_FIELD
from tests.integration.webhooks_support import (
    OTHER_TOKEN,
    STATUS_PATH,
    Config,
    TwilioLike,
    serving,
    status_params,
)

NONCE = "probe-0123456789abcdef"
ACCOUNT = "AC" + "0" * 32


@pytest.fixture
async def twilio(writer: Writer) -> AsyncIterator[TwilioLike]:
    async with serving(writer) as client:
        yield client


async def test_a_signed_probe_is_answered_200_and_logged_as_a_probe(
    twilio: TwilioLike, reader: Reader
) -> None:
    answer = await twilio.post(STATUS_PATH, {PROBE_FIELD: NONCE, "AccountSid": ACCOUNT})
    assert answer.status == 200, answer.text
    [logged] = reader.requests()
    assert logged.status_code == 200 and logged.verdict is Verdict.VALID
    assert logged.diagnosis == PROBE_DIAGNOSIS and "Self-test probe" in logged.diagnosis
    assert verdict_tone(logged) == "good"  # the inspector's "Only failures" leaves it out
    assert reader.count_deliveries() == 0


async def test_a_probe_signed_with_another_token_is_still_refused(
    twilio: TwilioLike, reader: Reader
) -> None:
    answer = await twilio.post(STATUS_PATH, {PROBE_FIELD: NONCE}, token=OTHER_TOKEN)
    assert answer.status == 403
    [logged] = reader.requests()
    assert logged.verdict is Verdict.INVALID and logged.status_code == 403
    assert verdict_tone(logged) == "bad"  # a refused probe is a real failure: it stays visible


async def test_an_unsigned_probe_is_refused(twilio: TwilioLike, reader: Reader) -> None:
    answer = await twilio.post(STATUS_PATH, {PROBE_FIELD: NONCE}, signature="")
    assert answer.status == 403
    [logged] = reader.requests()
    assert logged.verdict in (Verdict.MISSING, Verdict.INVALID)


@pytest.mark.parametrize(
    "params",
    [
        {PROBE_FIELD: NONCE, "MessageStatus": "delivered"},  # anything else: not a probe
        {PROBE_FIELD: "probe-not-hex-at-all!"},
        {PROBE_FIELD: NONCE + "00"},
    ],
)
async def test_only_the_exact_probe_shape_is_a_probe(
    twilio: TwilioLike, reader: Reader, params: dict[str, str]
) -> None:
    answer = await twilio.post(STATUS_PATH, params)
    assert answer.status == 400 and "MessageSid" in answer.text
    [logged] = reader.requests()
    assert logged.diagnosis != PROBE_DIAGNOSIS


async def test_a_marker_in_a_real_callback_changes_nothing(
    twilio: TwilioLike, writer: Writer, reader: Reader
) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550199", body="hi"))
    await writer.transition(rec.id, SendState.ACCEPTED, sid="SMprobe")
    params = status_params("SMprobe", "delivered", **{PROBE_FIELD: NONCE})
    answer = await twilio.post(STATUS_PATH, params)
    assert answer.status == 200
    delivery = reader.delivery(rec.id)
    assert delivery is not None and delivery.status == "delivered"  # applied as the callback
    [logged] = reader.requests()
    assert logged.diagnosis != PROBE_DIAGNOSIS


async def test_with_validation_off_a_probe_is_logged_as_skipped_not_failed(
    writer: Writer, reader: Reader
) -> None:
    async with serving(writer, Config(), validate=False) as twilio:
        answer = await twilio.post(STATUS_PATH, {PROBE_FIELD: NONCE}, signature="")
    assert answer.status == 200
    [logged] = reader.requests()
    assert logged.verdict is Verdict.SKIPPED and logged.diagnosis == PROBE_DIAGNOSIS
    assert verdict_tone(logged) != "bad"
