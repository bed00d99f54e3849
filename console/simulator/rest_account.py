"""Account, Balance, IncomingPhoneNumbers, OutgoingCallerIds and ValidationRequests (2010 API)."""

from __future__ import annotations

from aiohttp import web

from console.simulator.errors import bad_request, not_found
from console.simulator.ids import utcnow
from console.simulator.paging import PageRequest, page_2010
from console.simulator.rest import AUTH_KIND, check_account, simulator_of
from console.simulator.validation import e164
from console.simulator.views import (
    account_base,
    account_json,
    balance_json,
    caller_id_json,
    number_json,
    validation_request_json,
)

_BASE = "/2010-04-01/Accounts/{account}"
# Form parameter → NumberRecord attribute for IncomingPhoneNumbers updates.
_NUMBER_FIELDS = {
    "FriendlyName": "friendly_name",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
}


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {key: str(form[key]) for key in form if isinstance(form[key], str)}


async def fetch_account(request: web.Request) -> web.Response:
    """GET Accounts/{AC}.json."""
    check_account(request)
    state = simulator_of(request).state
    return web.json_response(account_json(state, include_token=request[AUTH_KIND] == "token"))


async def update_account(request: web.Request) -> web.Response:
    """POST Accounts/{AC}.json (FriendlyName)."""
    check_account(request)
    state = simulator_of(request).state
    form = await _form(request)
    if "FriendlyName" in form:
        state.friendly_name = form["FriendlyName"]
    return web.json_response(account_json(state, include_token=request[AUTH_KIND] == "token"))


async def fetch_balance(request: web.Request) -> web.Response:
    """GET Accounts/{AC}/Balance.json."""
    check_account(request)
    return web.json_response(balance_json(simulator_of(request).state))


async def list_numbers(request: web.Request) -> web.Response:
    """GET IncomingPhoneNumbers.json (filters PhoneNumber: digits contained, FriendlyName)."""
    check_account(request)
    state = simulator_of(request).state
    query = request.query
    digits = "".join(ch for ch in query.get("PhoneNumber", "") if ch.isdigit())
    name = query.get("FriendlyName")
    items = [
        n
        for n in state.numbers.values()
        if digits in n.phone_number and (name is None or n.friendly_name == name)
    ]
    filters = [(k, query[k]) for k in ("FriendlyName", "PhoneNumber") if k in query]
    return web.json_response(
        page_2010(
            items,
            key="incoming_phone_numbers",
            path=f"{account_base(state.account_sid)}/IncomingPhoneNumbers.json",
            filters=filters,
            req=PageRequest.from_query(query),
            sid_of=lambda n: n.sid,
            render=lambda n: number_json(state.account_sid, n),
        )
    )


async def number_instance(request: web.Request) -> web.Response:
    """GET / POST IncomingPhoneNumbers/{PN}.json (update SmsUrl, StatusCallback, …)."""
    check_account(request)
    sim = simulator_of(request)
    number = sim.state.numbers.get(request.match_info["sid"])
    if number is None:
        raise not_found(request.path)
    if request.method == "POST":
        form = await _form(request)
        for param, attribute in _NUMBER_FIELDS.items():
            if param in form:
                setattr(number, attribute, form[param] or None)
        number.date_updated = utcnow()
        sim.touch()
    return web.json_response(number_json(sim.state.account_sid, number))


async def list_caller_ids(request: web.Request) -> web.Response:
    """GET OutgoingCallerIds.json (filters PhoneNumber, FriendlyName)."""
    check_account(request)
    state = simulator_of(request).state
    query = request.query
    phone, name = query.get("PhoneNumber"), query.get("FriendlyName")
    items = [
        c
        for c in reversed(state.caller_ids.values())
        if (phone is None or c.phone_number == phone) and (name is None or c.friendly_name == name)
    ]
    filters = [(k, query[k]) for k in ("PhoneNumber", "FriendlyName") if k in query]
    return web.json_response(
        page_2010(
            items,
            key="outgoing_caller_ids",
            path=f"{account_base(state.account_sid)}/OutgoingCallerIds.json",
            filters=filters,
            req=PageRequest.from_query(query),
            sid_of=lambda c: c.sid,
            render=lambda c: caller_id_json(state.account_sid, c),
        )
    )


async def caller_id_instance(request: web.Request) -> web.Response:
    """GET / POST (FriendlyName) / DELETE OutgoingCallerIds/{PN}.json."""
    check_account(request)
    sim = simulator_of(request)
    caller = sim.state.caller_ids.get(request.match_info["sid"])
    if caller is None:
        raise not_found(request.path)
    if request.method == "DELETE":
        del sim.state.caller_ids[caller.sid]
        sim.touch()
        return web.Response(status=204)
    if request.method == "POST":
        form = await _form(request)
        if "FriendlyName" in form:
            caller.friendly_name = form["FriendlyName"]
            caller.date_updated = utcnow()
    return web.json_response(caller_id_json(sim.state.account_sid, caller))


async def create_validation_request(request: web.Request) -> web.Response:
    """POST OutgoingCallerIds.json: start a verification, answer with the 6-digit code."""
    check_account(request)
    sim = simulator_of(request)
    form = await _form(request)
    raw = form.get("PhoneNumber", "").strip()
    phone = e164(raw)
    if phone is None:
        raise bad_request(21211, f"Invalid 'PhoneNumber': {raw or '(missing)'}")
    pending = sim.verifications.request(
        phone,
        form.get("FriendlyName") or None,
        form.get("StatusCallback") or None,
        form.get("StatusCallbackMethod", "POST"),
    )
    return web.json_response(validation_request_json(sim.state.account_sid, pending))


def add_routes(app: web.Application) -> None:
    """Register the account-level routes."""
    r = app.router
    r.add_get(f"{_BASE}.json", fetch_account)
    r.add_post(f"{_BASE}.json", update_account)
    r.add_get(f"{_BASE}/Balance.json", fetch_balance)
    r.add_get(f"{_BASE}/IncomingPhoneNumbers.json", list_numbers)
    r.add_route("GET", f"{_BASE}/IncomingPhoneNumbers/{{sid}}.json", number_instance)
    r.add_route("POST", f"{_BASE}/IncomingPhoneNumbers/{{sid}}.json", number_instance)
    r.add_get(f"{_BASE}/OutgoingCallerIds.json", list_caller_ids)
    r.add_post(f"{_BASE}/OutgoingCallerIds.json", create_validation_request)
    for method in ("GET", "POST", "DELETE"):
        r.add_route(method, f"{_BASE}/OutgoingCallerIds/{{sid}}.json", caller_id_instance)
