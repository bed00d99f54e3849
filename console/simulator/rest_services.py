"""Messaging v1 ``/v1/Services``: list, create, fetch and update (served on the same host)."""

from __future__ import annotations

from aiohttp import web

from console.simulator.errors import bad_request, not_found
from console.simulator.ids import MESSAGING_HOST, new_sid, utcnow
from console.simulator.paging import PageRequest, page_v1
from console.simulator.rest import simulator_of
from console.simulator.state import ServiceRecord
from console.simulator.views import service_json

_URL_FIELDS = {
    "StatusCallback": "status_callback",
    "InboundRequestUrl": "inbound_request_url",
    "FallbackUrl": "fallback_url",
}
_TEXT_FIELDS = {
    "FriendlyName": "friendly_name",
    "InboundMethod": "inbound_method",
    "FallbackMethod": "fallback_method",
}
_BOOL_FIELDS = {
    "UseInboundWebhookOnNumber": "use_inbound_webhook_on_number",
    "StickySender": "sticky_sender",
}


def _apply(service: ServiceRecord, form: dict[str, str]) -> None:
    for param, attribute in _URL_FIELDS.items():
        if param in form:
            setattr(service, attribute, form[param] or None)
    for param, attribute in _TEXT_FIELDS.items():
        if form.get(param):
            setattr(service, attribute, form[param])
    for param, attribute in _BOOL_FIELDS.items():
        if param in form:
            setattr(service, attribute, form[param].strip().lower() == "true")
    service.date_updated = utcnow()


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {key: str(form[key]) for key in form if isinstance(form[key], str)}


async def list_services(request: web.Request) -> web.Response:
    """GET /v1/Services (meta-style paging, absolute URLs)."""
    sim = simulator_of(request)
    account = sim.state.account_sid
    return web.json_response(
        page_v1(
            list(sim.state.services.values()),
            key="services",
            url=f"{MESSAGING_HOST}/v1/Services",
            req=PageRequest.from_query(request.query),
            sid_of=lambda s: s.sid,
            render=lambda s: service_json(account, s),
        )
    )


async def create_service(request: web.Request) -> web.Response:
    """POST /v1/Services (FriendlyName required): a service with an empty sender pool."""
    sim = simulator_of(request)
    form = await _form(request)
    if not form.get("FriendlyName"):
        raise bad_request(20001, "Missing required parameter FriendlyName in the post body")
    now = utcnow()
    service = ServiceRecord(new_sid("MG"), form["FriendlyName"], [], now, now)
    _apply(service, form)
    sim.state.services[service.sid] = service
    sim.touch()
    return web.json_response(service_json(sim.state.account_sid, service), status=201)


async def service_instance(request: web.Request) -> web.Response:
    """GET / POST /v1/Services/{MG} (update StatusCallback, InboundRequestUrl, …)."""
    sim = simulator_of(request)
    service = sim.state.services.get(request.match_info["sid"])
    if service is None:
        raise not_found(request.path)
    if request.method == "POST":
        _apply(service, await _form(request))
        sim.touch()
    return web.json_response(service_json(sim.state.account_sid, service))


def add_routes(app: web.Application) -> None:
    """Register the Messaging v1 routes."""
    app.router.add_get("/v1/Services", list_services)
    app.router.add_post("/v1/Services", create_service)
    app.router.add_route("GET", "/v1/Services/{sid}", service_instance)
    app.router.add_route("POST", "/v1/Services/{sid}", service_instance)
