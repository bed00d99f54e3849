"""The two webhook endpoints: check, validate, then append through the writer and answer.

Every request, good or bad, is one entry in the request log. The order of checks is: method
(405), content type (415), size (413), body encoding (400), signature (403, nothing applied;
an accepted request marked ``X-Console-Replay`` is recorded as a replay), required fields
(400). A valid callback's event and its log entry are one writer operation (both or neither),
so the 200 waits for the one commit holding both; only then is it sent — an acknowledged
callback is durable. When the writer fails (disk full, database gone) the answer
is 503 so Twilio retries, and the log says so.

The console's own self-probe (:mod:`console.doctor.probe`) posts a signed body holding only a
``ConsoleProbe=probe-<16 hex>`` marker (and ``AccountSid``) to the status endpoint. It goes
through every check above, signature included; once accepted it is answered 200 and logged with
the diagnosis :data:`PROBE_DIAGNOSIS`, and nothing is recorded. A body with any other field is
no probe and is handled as a status callback (the marker changes nothing there).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy
from twilio.twiml.messaging_response import MessagingResponse

from console.domain.model import EventSource, WebhookRequestIn
from console.store.writer import Writer, WriterClosed
from console.webhooks.fields import BadCallback, inbound_message, status_event
from console.webhooks.forms import ACCEPTED_TYPES, Body, BodyError, parse_body
from console.webhooks.replay import REPLAY_HEADER, mark_replay
from console.webhooks.reqlog import Exchange, clean, redact_headers
from console.webhooks.signature import SignatureCheck, SignatureChecker, SignedRequest

log = logging.getLogger(__name__)

EMPTY_TWIML = str(MessagingResponse())
TEXT = "text/plain"
XML = "text/xml"

PROBE_FIELD: Final = "ConsoleProbe"
PROBE_VALUE: Final = re.compile(r"probe-[0-9a-f]{16}")
_PROBE_FIELDS: Final = frozenset({PROBE_FIELD, "AccountSid"})
PROBE_DIAGNOSIS: Final = (
    "Self-test probe from the console: it reached this server through the public URL and its "
    "signature was checked. Not a Twilio callback; nothing was recorded."
)
PROBE_REPLY: Final = "self-test probe received"


def is_probe_body(params: MultiDictProxy[str]) -> bool:
    """Whether accepted parameters are exactly a self-probe's: one marker, at most AccountSid."""
    markers = params.getall(PROBE_FIELD, [])
    return (
        len(markers) == 1
        and PROBE_VALUE.fullmatch(markers[0]) is not None
        and len(params) <= len(_PROBE_FIELDS)
        and all(name in _PROBE_FIELDS for name in params)
    )


class _Refused(Exception):
    """Answer ``status`` with ``text`` (and log it); raised inside the pipeline."""

    def __init__(
        self, status: int, text: str, headers: dict[str, str] | None = None, *, close: bool = False
    ) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers or {}
        self.close = close


class Endpoints:
    """The request pipeline shared by the status and inbound endpoints."""

    def __init__(
        self,
        writer: Writer,
        checker: SignatureChecker,
        *,
        local_base: Callable[[], str],
        callback_source: EventSource = EventSource.CALLBACK,
        max_body: int,
        on_write: Callable[[BaseException | None], None] = lambda _exc: None,
    ) -> None:
        self._writer = writer
        self._checker = checker
        self._local_base = local_base
        self._source = callback_source
        self._max_body = max_body
        self._on_write = on_write

    # -- endpoints ---------------------------------------------------------------------------
    async def status(self, request: web.Request) -> web.StreamResponse:
        """POST /webhooks/twilio/status: append the status callback as an event."""
        ex = self._exchange(request)
        try:
            body = await self._accepted_body(request, ex)
            assert ex.verdict is not None
            if is_probe_body(body.params):
                return await self._probe(ex)
            event = status_event(
                body.params, source=self._source, verdict=ex.verdict, received_at=ex.received_at
            )
        except _Refused as refused:
            return await self._refuse(ex, refused)
        except BadCallback as exc:
            return await self._refuse(ex, _Refused(400, f"Bad Request: {exc}"))
        return await self._commit(
            ex,
            lambda logged: self._writer.record_event(event, logged=logged),
            web.Response(status=200, text="", content_type=TEXT),
        )

    async def inbound(self, request: web.Request) -> web.StreamResponse:
        """POST /webhooks/twilio/inbound: store the message and its opt-out/opt-in effect."""
        ex = self._exchange(request)
        try:
            body = await self._accepted_body(request, ex)
            assert ex.verdict is not None
            message, change = inbound_message(
                body.params, verdict=ex.verdict, received_at=ex.received_at
            )
        except _Refused as refused:
            return await self._refuse(ex, refused)
        except BadCallback as exc:
            return await self._refuse(ex, _Refused(400, f"Bad Request: {exc}"))

        def record(logged: WebhookRequestIn) -> asyncio.Future[Any]:
            if change is None:
                return self._writer.record_inbound(message, logged=logged)
            return self._writer.record_inbound(
                message, opt_out=change.opted_out, keyword=change.keyword, logged=logged
            )

        reply = web.Response(status=200, text=EMPTY_TWIML, content_type=XML)
        return await self._commit(ex, record, reply)

    # -- pipeline ----------------------------------------------------------------------------
    @staticmethod
    def _exchange(request: web.Request) -> Exchange:
        return Exchange(
            method=request.method,
            raw_path=request.raw_path,
            headers=redact_headers(request.headers.items()),
            remote=request.remote,
        )

    async def _accepted_body(self, request: web.Request, ex: Exchange) -> Body:
        """The parsed body of a POST whose signature was accepted, else raise _Refused."""
        if request.method != "POST":
            raise _Refused(405, "Method Not Allowed: use POST", {"Allow": "POST"})
        content_type = request.content_type
        if content_type not in ACCEPTED_TYPES:
            raise _Refused(
                415,
                f"Unsupported Media Type {clean(content_type)[:80]!r}: send "
                "application/x-www-form-urlencoded (or application/json with bodySHA256)",
            )
        too_large = _Refused(413, f"Payload Too Large: at most {self._max_body} bytes")
        declared = request.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_body:
            raise too_large
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise too_large from None
        except (HttpProcessingError, web.RequestPayloadError) as exc:
            # The connection cannot be reused: close it after the answer, and mark the body
            # consumed so that aiohttp does not read the broken stream again after we answered.
            request.content.feed_eof()
            reason = getattr(exc.__cause__, "message", None) or str(exc).strip()
            raise _Refused(
                400, f"Bad Request: malformed body transfer ({reason})", close=True
            ) from None
        ex.body = raw.decode("utf-8", "replace")
        try:
            body = parse_body(content_type, request.charset, raw)
        except BodyError as exc:
            raise _Refused(exc.status, exc.reason) from None
        check = self._checker.check(self._signed(request, raw, body))
        check = mark_replay(check, request.headers.get(REPLAY_HEADER))
        self._note(ex, check)
        if not check.accepted:
            log.warning(
                "refused webhook %s %s (%s): %s",
                request.method,
                clean(request.path),
                check.verdict.value,
                check.diagnosis,
            )
            raise _Refused(
                403,
                "Forbidden: missing or invalid X-Twilio-Signature "
                "(the console's webhook inspector shows why)",
            )
        return body

    def _signed(self, request: web.Request, raw: bytes, body: Body) -> SignedRequest:
        headers = request.headers
        return SignedRequest(
            raw_path=request.raw_path,
            params=None if body.is_json else body.params,
            body=raw,
            is_json=body.is_json,
            signature=headers.get("X-Twilio-Signature"),
            local_base=self._local_base(),
            scheme=request.scheme,
            host=headers.get("Host"),
            forwarded_proto=headers.get("X-Forwarded-Proto"),
            forwarded_host=headers.get("X-Forwarded-Host"),
            signature_settings=headers.get("X-Twilio-Webhooks-Signature-Settings"),
        )

    async def _probe(self, ex: Exchange) -> web.Response:
        """Answer an accepted self-probe once its log entry (the probe's proof) is durable."""
        ex.diagnosis = PROBE_DIAGNOSIS
        try:
            await self._writer.log_request(ex.entry(200, PROBE_REPLY))
        except Exception as exc:  # not logged: the probe cannot prove anything, say so
            return self._unavailable(ex, exc)
        return web.Response(status=200, text=PROBE_REPLY, content_type=TEXT)

    @staticmethod
    def _note(ex: Exchange, check: SignatureCheck) -> None:
        ex.verdict = check.verdict
        ex.checked_url = check.checked_url
        ex.diagnosis = check.diagnosis

    async def _refuse(self, ex: Exchange, refused: _Refused) -> web.Response:
        if ex.diagnosis is None and refused.status != 403:
            ex.diagnosis = refused.text
        try:
            await self._writer.log_request(ex.entry(refused.status, refused.text))
        except Exception as exc:  # the answer stands even when the log cannot be written
            log.error("could not log a refused webhook request: %s", exc)
        response = web.Response(
            status=refused.status, text=refused.text, content_type=TEXT, headers=refused.headers
        )
        if refused.close:
            response.force_close()
        return response

    async def _commit(
        self,
        ex: Exchange,
        write: Callable[[WebhookRequestIn], asyncio.Future[Any]],
        reply: web.Response,
    ) -> web.Response:
        """Queue the record with its log entry (one unit); answer once that is committed."""
        try:
            future = write(ex.entry(200, reply.text or ""))
        except WriterClosed as exc:
            return self._unavailable(ex, exc)
        try:
            await future
        except Exception as exc:  # neither the record nor its log entry was stored
            return await self._failed(ex, exc)
        self._on_write(None)
        return reply

    async def _failed(self, ex: Exchange, exc: BaseException) -> web.Response:
        response = self._unavailable(ex, exc)
        ex.diagnosis = f"the database write failed ({type(exc).__name__}: {exc}); answered 503"
        try:
            await self._writer.log_request(ex.entry(503, response.text or ""))
        except Exception as again:
            log.error("could not log the failed webhook write: %s", again)
        return response

    def _unavailable(self, ex: Exchange, exc: BaseException) -> web.Response:
        self._on_write(exc)
        log.error(
            "webhook %s not stored (%s: %s); answering 503 so Twilio retries",
            clean(ex.raw_path),
            type(exc).__name__,
            exc,
        )
        return web.Response(
            status=503,
            text="Service Unavailable: the callback could not be stored; retry later",
            content_type=TEXT,
            headers={"Retry-After": "5"},
        )
