"""The simulator's HTTP face: Twilio's 2010 REST API subset and Messaging v1, on one host.

``build_app`` wires the routes of ``rest_messages``, ``rest_account`` and ``rest_services``
behind one middleware that checks HTTP Basic auth (Account SID + Auth Token, or an API key
``SK…`` + secret; otherwise 401 / 20003) and turns every refusal into Twilio's JSON error body.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Handler

from console.simulator.errors import ApiError, method_not_allowed, not_found, unauthenticated

if TYPE_CHECKING:
    from console.simulator.core import Simulator

log = logging.getLogger(__name__)

SIMULATOR: web.AppKey[Simulator] = web.AppKey("simulator")
# "token" when the caller authenticated with the Auth Token, "key" with an API key.
AUTH_KIND: web.RequestKey[str] = web.RequestKey("sim_auth_kind", str)


def simulator_of(request: web.Request) -> Simulator:
    """The simulator serving ``request``."""
    return request.app[SIMULATOR]


def check_account(request: web.Request) -> None:
    """Refuse (401 / 20003) a path naming another account than the credentials'."""
    if request.match_info.get("account") != simulator_of(request).state.account_sid:
        raise unauthenticated()


def _authenticate(request: web.Request, sim: Simulator) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise unauthenticated()
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthenticated() from None
    state = sim.state
    if username == state.account_sid and password == state.auth_token:
        return "token"
    if username.startswith("SK") and state.api_keys.get(username) == password:
        return "key"
    raise unauthenticated()


@web.middleware
async def twilio_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, then answer every refusal with Twilio's JSON error body."""
    try:
        request[AUTH_KIND] = _authenticate(request, request.app[SIMULATOR])
        return await handler(request)
    except ApiError as error:
        return error.response()
    except web.HTTPMethodNotAllowed:
        return method_not_allowed(request.method).response()
    except web.HTTPNotFound:
        return not_found(request.path).response()


def build_app(sim: Simulator) -> web.Application:
    """The aiohttp application for ``sim`` (starts and stops the simulator with the app)."""
    from console.simulator import rest_account, rest_messages, rest_services

    app = web.Application(middlewares=[twilio_errors])
    app[SIMULATOR] = sim
    rest_messages.add_routes(app)
    rest_account.add_routes(app)
    rest_services.add_routes(app)

    async def on_startup(_: web.Application) -> None:
        await sim.start()

    async def on_shutdown(_: web.Application) -> None:
        sim.begin_shutdown()

    async def on_cleanup(_: web.Application) -> None:
        await sim.aclose()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app
