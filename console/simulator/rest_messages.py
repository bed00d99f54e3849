"""``/2010-04-01/Accounts/{AC}/Messages``: create, fetch and list (filters + Twilio paging)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime

from aiohttp import web

from console.simulator.errors import ApiError, internal_error, not_found, too_many_requests
from console.simulator.paging import PageRequest, page_2010
from console.simulator.rest import check_account, simulator_of
from console.simulator.state import MessageRecord
from console.simulator.validation import check_create
from console.simulator.views import account_base, message_json

log = logging.getLogger(__name__)

_BASE = "/2010-04-01/Accounts/{account}"
_DATE_FILTERS = (("DateSent", "eq"), ("DateSent<", "le"), ("DateSent>", "ge"))


async def create_message(request: web.Request) -> web.Response:
    """POST Messages.json: 429/500 on demand, Twilio's validation, then 201 with the message."""
    check_account(request)
    sim = simulator_of(request)
    if sim.take_throttle():
        raise too_many_requests()
    if sim.take_failure():
        raise internal_error()
    form = await request.post()
    fields = {key: str(form[key]) for key in form if isinstance(form[key], str)}
    media = tuple(str(v) for v in form.getall("MediaUrl", []))
    record = sim.accept_message(check_create(sim.state, fields, media))
    log.info("accepted %s to %s (%s)", record.sid, record.to, record.status)
    body = message_json(record)
    delay = sim.take_slow()
    if delay > 0:
        await sim.sleep_unless_closing(delay)
    return web.json_response(body, status=201)


async def fetch_message(request: web.Request) -> web.Response:
    """GET Messages/{SM}.json: the message as it is now."""
    check_account(request)
    record = simulator_of(request).state.messages.get(request.match_info["sid"])
    if record is None:
        raise not_found(request.path)
    return web.json_response(message_json(record))


def _parse_when(key: str, value: str) -> date | datetime:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    except ValueError:
        raise ApiError(
            400, 20001, f"Invalid {key}: {value!r} (use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ)"
        ) from None


def _compare(op: str, value: date | datetime, bound: date | datetime) -> bool:
    if op == "eq":
        return value == bound
    if op == "le":
        return value <= bound
    return value >= bound


def _date_matcher(query: Mapping[str, str]) -> Callable[[MessageRecord], bool]:
    """Twilio's DateSent filters: a date compares days, a datetime compares instants (<=, >=)."""
    checks = [(op, _parse_when(key, query[key])) for key, op in _DATE_FILTERS if key in query]

    def matches(m: MessageRecord) -> bool:
        if not checks:
            return True
        if m.date_sent is None:
            return False
        for op, bound in checks:
            if isinstance(bound, datetime) and op != "eq":
                value: date | datetime = m.date_sent
            else:
                value = m.date_sent.date()
                bound = bound.date() if isinstance(bound, datetime) else bound
            if not _compare(op, value, bound):
                return False
        return True

    return matches


async def list_messages(request: web.Request) -> web.Response:
    """GET Messages.json: newest first, filtered by To / From / DateSent[<>], paged."""
    check_account(request)
    sim = simulator_of(request)
    query = request.query
    to, from_ = query.get("To"), query.get("From")
    in_window = _date_matcher(query)
    items = [
        m
        for m in reversed(sim.state.messages.values())
        if (to is None or m.to == to) and (from_ is None or m.from_ == from_) and in_window(m)
    ]
    filters = [
        (key, query[key])
        for key in ("To", "From", "DateSent", "DateSent<", "DateSent>")
        if key in query
    ]
    page = page_2010(
        items,
        key="messages",
        path=f"{account_base(sim.state.account_sid)}/Messages.json",
        filters=filters,
        req=PageRequest.from_query(query),
        sid_of=lambda m: m.sid,
        render=message_json,
    )
    return web.json_response(page)


def add_routes(app: web.Application) -> None:
    """Register the Messages routes."""
    app.router.add_post(f"{_BASE}/Messages.json", create_message)
    app.router.add_get(f"{_BASE}/Messages.json", list_messages)
    app.router.add_get(f"{_BASE}/Messages/{{sid}}.json", fetch_message)
