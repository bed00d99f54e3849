"""Bad input never crashes the server nor yields a 5xx; every request is in the request log.

The fuzz test runs the real server in a :class:`~console.runtime.Runtime` thread (as the
console does) and throws hypothesis-generated methods, headers and bodies at both endpoints.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from console.domain.model import Verdict
from console.runtime import Runtime
from console.store.queries import Reader
from console.store.writer import Writer
from console.webhooks.app import WebhookServer
from tests.integration.webhooks_support import (
    INBOUND_PATH,
    PUBLIC,
    STATUS_PATH,
    TOKEN,
    TwilioLike,
    serving,
    sign,
    status_params,
)

ALLOWED = {200, 400, 403, 405, 413, 415}
FORM = "application/x-www-form-urlencoded"


class _Errors(logging.Handler):
    """Collects ERROR records of aiohttp's server (an exception escaped a handler)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


SERVER_ERRORS = _Errors()


@pytest.fixture(autouse=True, scope="module")
def _no_server_errors() -> Iterator[None]:
    server_log = logging.getLogger("aiohttp.server")
    server_log.addHandler(SERVER_ERRORS)
    yield
    server_log.removeHandler(SERVER_ERRORS)


@pytest.fixture(autouse=True)
def _no_errors_in_this_test() -> Iterator[None]:
    before = len(SERVER_ERRORS.records)
    yield
    assert [r.getMessage() for r in SERVER_ERRORS.records[before:]] == []


@pytest.fixture
async def twilio(writer: Writer) -> AsyncIterator[TwilioLike]:
    async with serving(writer) as client:
        yield client


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "HEAD"])
async def test_wrong_method_is_405(twilio: TwilioLike, reader: Reader, method: str) -> None:
    answer = await twilio.raw(method, STATUS_PATH, None, {})
    assert answer.status == 405 and answer.headers["Allow"] == "POST"
    assert reader.requests()[0].status_code == 405


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml", ""]
)
async def test_wrong_content_type_is_415(
    twilio: TwilioLike, reader: Reader, content_type: str
) -> None:
    params = status_params("SM415", "sent")
    headers = {"X-Twilio-Signature": sign(PUBLIC + STATUS_PATH, params)}
    if content_type:  # else the client says application/octet-stream
        headers["Content-Type"] = content_type
    answer = await twilio.raw("POST", STATUS_PATH, urlencode(params).encode(), headers)
    assert answer.status == 415
    assert reader.count_deliveries() == 0 and reader.requests()[0].status_code == 415


async def test_unknown_charset_is_415(twilio: TwilioLike) -> None:
    headers = {"Content-Type": f"{FORM}; charset=rot13"}
    answer = await twilio.post(STATUS_PATH, status_params("SMcs", "sent"), headers=headers)
    assert answer.status == 415


async def test_oversized_body_is_413(twilio: TwilioLike, reader: Reader) -> None:
    params = status_params("SMbig", "sent", Body="x" * 70_000)
    assert (await twilio.post(STATUS_PATH, params)).status == 413
    assert reader.count_deliveries() == 0 and reader.requests()[0].status_code == 413


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_limit_is_exactly_64_kib(twilio: TwilioLike, chunked: bool) -> None:
    async def sized(n: int) -> int:
        raw = b"a=" + b"x" * (n - 2)

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(raw), 4096):
                yield raw[start : start + 4096]

        async with twilio.session.post(
            twilio.server.local_url + STATUS_PATH,
            data=chunks() if chunked else raw,
            headers={"Content-Type": FORM},
        ) as resp:
            return resp.status

    assert await sized(64 * 1024) == 403  # read and checked: unsigned
    assert await sized(64 * 1024 + 1) == 413


async def test_oversized_chunked_body_is_413(twilio: TwilioLike) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(80):
            yield b"a=" + b"x" * 1022

    async with twilio.session.post(
        twilio.server.local_url + STATUS_PATH, data=chunks(), headers={"Content-Type": FORM}
    ) as resp:
        assert resp.status == 413


async def test_oversized_after_decompression_is_413(twilio: TwilioLike) -> None:
    bomb = gzip.compress(b"a=" + b"x" * 200_000)
    headers = {"Content-Type": FORM, "Content-Encoding": "gzip"}
    assert len(bomb) < 64 * 1024
    assert (await twilio.raw("POST", STATUS_PATH, bomb, headers)).status == 413


@pytest.mark.parametrize(
    "body",
    [
        b"MessageSid=SM1&MessageStatus=\xff\xfe",
        b"MessageSid=%FF%FE&MessageStatus=sent",
        b"\x00\x01\x02",
        b"&&&==&=",
        b"%",
        b"MessageSid=SM1&" * 1200,
    ],
    ids=["raw-non-utf8", "escaped-non-utf8", "binary", "empty-fields", "lone-percent", "too-many"],
)
async def test_malformed_bodies_never_5xx(twilio: TwilioLike, reader: Reader, body: bytes) -> None:
    answer = await twilio.raw(
        "POST", STATUS_PATH, body, {"Content-Type": FORM, "X-Twilio-Signature": "abc"}
    )
    assert answer.status in {400, 403}
    assert reader.count_deliveries() == 0 and len(reader.requests()) == 1


async def test_broken_gzip_and_bad_json(twilio: TwilioLike) -> None:
    gz = {"Content-Type": FORM, "Content-Encoding": "gzip"}
    assert (await twilio.raw("POST", STATUS_PATH, b"not gzip at all", gz)).status == 400
    js = {"Content-Type": "application/json"}
    for body in (b"{", b"[1, 2]", b"[" * 5000 + b"]" * 5000, b'"\xff"'):
        assert (await twilio.raw("POST", INBOUND_PATH, body, js)).status == 400


async def test_bad_signed_values_are_400_not_500(twilio: TwilioLike, reader: Reader) -> None:
    cases = [
        {"MessageSid": "SM x y", "MessageStatus": "sent"},
        {"MessageSid": "S" * 65, "MessageStatus": "sent"},
        {"MessageSid": "SMok", "MessageStatus": "s" * 33},
        {"MessageSid": "SM\x00", "MessageStatus": "sent"},
        {"MessageSid": "SMlong", "MessageStatus": "sent", "To": "+1" * 40},  # columns hold 64
        {"MessageSid": "SMlong", "MessageStatus": "sent", "AccountSid": "AC" + "0" * 70},
    ]
    for params in cases:
        assert (await twilio.post(STATUS_PATH, params)).status == 400
    inbound = {"MessageSid": "SMin", "From": "+14155550100", "To": "x" * 65, "Body": "hi"}
    assert (await twilio.post(INBOUND_PATH, inbound)).status == 400
    odd = {"MessageSid": "SModd", "MessageStatus": "Sent", "ErrorCode": "x1", "NumSegments": "-"}
    assert (await twilio.post(STATUS_PATH, odd)).status == 200
    delivery = reader.delivery_by_sid("SModd")
    assert delivery is not None and delivery.status == "sent" and delivery.error_code is None


# -- fuzzing -----------------------------------------------------------------------------------
class LiveServer:
    """The server on a Runtime thread; each example's request is submitted to that loop."""

    def __init__(self, db_url: str) -> None:
        self.runtime = Runtime("fuzz-runtime")
        self.db_url = db_url
        self.sent = 0
        self.client: TwilioLike

    def start(self) -> None:
        self.runtime.start()
        self.runtime.submit(self._setup()).result(timeout=30)

    async def _setup(self) -> None:
        writer = Writer(self.db_url)
        await writer.start()
        server = WebhookServer(writer, auth_token=lambda: TOKEN, public_url=lambda: PUBLIC, port=0)
        await server.start()
        session = aiohttp.ClientSession()
        self.client = TwilioLike(server, session)
        self.runtime.add_cleanup(writer.close)
        self.runtime.add_cleanup(server.stop)
        self.runtime.add_cleanup(session.close)

    def request(self, coro: Any) -> Any:
        self.sent += 1
        return self.runtime.submit(coro).result(timeout=30)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from console.store.db import sqlite_url, upgrade

    url = sqlite_url(tmp_path_factory.mktemp("fuzz") / "console.db")
    upgrade(url)
    server = LiveServer(url)
    server.start()
    yield server
    server.runtime.stop()


HEADER_NAMES = st.sampled_from(
    [
        "X-Twilio-Signature",
        "X-Forwarded-Proto",
        "X-Forwarded-Host",
        "Content-Encoding",
        "X-Twilio-Webhooks-Signature-Settings",
        "Authorization",
        "Cookie",
        "Accept",
        "X-Custom",
        "I-Twilio-Idempotency-Token",
        "User-Agent",
    ]
)
HEADER_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=80
)
CONTENT_TYPES = st.one_of(
    st.sampled_from(
        [
            FORM,
            f"{FORM}; charset=utf-8",
            f"{FORM}; charset=latin-1",
            "application/json",
            "text/plain",
            "multipart/form-data",
            "",
        ]
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
FIELD_NAMES = st.one_of(
    st.sampled_from(
        [
            "MessageSid",
            "SmsSid",
            "MessageStatus",
            "ErrorCode",
            "From",
            "To",
            "Body",
            "NumMedia",
            "MediaUrl0",
            "OptOutType",
            "NumSegments",
            "AccountSid",
        ]
    ),
    st.text(max_size=12),
)
PARAMS = st.dictionaries(FIELD_NAMES, st.text(max_size=60), max_size=10)
SIDS = st.one_of(st.from_regex(r"\A(SM|MM)[0-9a-f]{32}\Z"), st.text(max_size=70))
STATUSES = st.one_of(
    st.sampled_from(["queued", "sent", "delivered", "undelivered", "failed", "read", "bogus"]),
    st.text(max_size=40),
)
CALLBACKS = st.fixed_dictionaries(
    {
        "MessageSid": SIDS,
        "MessageStatus": STATUSES,
        "From": st.text(max_size=20),
        "Body": st.text(max_size=200),
    },
    optional={
        "ErrorCode": st.text(max_size=8),
        "OptOutType": st.text(max_size=10),
        "NumMedia": st.text(max_size=4),
        "MediaUrl0": st.text(max_size=30),
        "NumSegments": st.text(max_size=4),
        "To": st.text(max_size=20),
    },
)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    path = draw(st.sampled_from([STATUS_PATH, INBOUND_PATH]))
    method = draw(st.sampled_from(["POST"] * 12 + ["GET", "PUT", "DELETE", "PATCH"]))
    headers = draw(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=5))
    content_type = draw(CONTENT_TYPES)
    if content_type:
        headers["Content-Type"] = content_type
    kind = draw(st.sampled_from(["signed-callback", "signed-form", "form", "bytes"]))
    if kind == "bytes":
        body = draw(st.binary(max_size=2048))
    else:
        params = draw(CALLBACKS if kind == "signed-callback" else PARAMS)
        body = urlencode(params).encode()
        if kind.startswith("signed"):
            headers = {**headers, "Content-Type": FORM}
            headers.pop("Content-Encoding", None)
            headers["X-Twilio-Signature"] = sign(PUBLIC + path, params)
    return {"method": method, "path": path, "body": body, "headers": headers}


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(req=requests())
def test_fuzzing_never_5xx(live: LiveServer, req: dict[str, Any]) -> None:
    answer = live.request(live.client.raw(req["method"], req["path"], req["body"], req["headers"]))
    event(f"answered {answer.status}")
    assert answer.status in ALLOWED, (answer.status, answer.text)


def test_after_fuzzing_the_server_is_healthy_and_logged_everything(live: LiveServer) -> None:
    health = live.request(live.client.health())
    assert health["ok"] is True
    params = status_params("SMafter", "delivered")
    answer = live.request(live.client.post(STATUS_PATH, params))
    assert answer.status == 200
    reader = Reader(live.db_url)
    try:
        assert reader.count_requests() == live.sent - 1  # every request but /healthz
        delivery = reader.delivery_by_sid("SMafter")
        assert delivery is not None and delivery.status == "delivered"
        verdicts = {r.verdict for r in reader.requests(limit=10_000)}
        assert verdicts <= {None, Verdict.VALID, Verdict.INVALID, Verdict.MISSING}
    finally:
        reader.close()


async def test_concurrent_garbage_and_good_callbacks(twilio: TwilioLike, reader: Reader) -> None:
    garbage = (
        twilio.raw("POST", STATUS_PATH, bytes([i % 256]) * i, {"Content-Type": FORM})
        for i in range(60)
    )
    good = (twilio.post(STATUS_PATH, status_params(f"SMmix{i}", "sent")) for i in range(60))
    answers = await asyncio.gather(*itertools.chain(garbage, good))
    assert {a.status for a in answers} <= ALLOWED
    assert reader.count_deliveries() == 60
