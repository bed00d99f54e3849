"""The Twilio REST gateway: twilio-python behind async methods that never block the event loop.

Every call goes through the official ``twilio`` library with an explicit timeout. The library is
blocking, so each public method runs its call in a worker thread (``asyncio.to_thread``). When
``api_base_url`` is set (a regional edge, a proxy, the simulator), every ``*.twilio.com`` URL the
library builds — ``api.twilio.com``, ``messaging.twilio.com`` and the absolute next-page URLs —
is rewritten onto that base. Failures become :mod:`console.gateway.errors` exceptions. Nothing is
retried here: the sender decides.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from console.gateway.errors import GatewayError, translate
from console.gateway.resources import (
    AccountInfo,
    Balance,
    CallerId,
    MessageInfo,
    OwnedNumber,
    ServiceInfo,
    Verification,
    account_info,
    as_aware,
    balance_info,
    caller_id_info,
    message_info,
    number_info,
    service_info,
    verification_info,
)
from console.secrets import Credentials

__all__ = [
    "AccountInfo",
    "Balance",
    "CallerId",
    "MessageInfo",
    "OwnedNumber",
    "RoutingHttpClient",
    "ServiceInfo",
    "TwilioGateway",
    "Verification",
    "rewrite_url",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


def rewrite_url(url: str, base_url: str) -> str:
    """``url`` moved onto ``base_url`` when its host is Twilio's; other URLs are unchanged."""
    if not base_url:
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host != "twilio.com" and not host.endswith(".twilio.com"):
        return url
    base = urlsplit(base_url)
    path = base.path.rstrip("/") + parts.path
    return urlunsplit((base.scheme, base.netloc, path, parts.query, parts.fragment))


class RoutingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """twilio's requests-based HTTP client, with a timeout, routed to ``api_base_url``."""

    def __init__(self, *, api_base_url: str = "", timeout: float = 15.0) -> None:
        if timeout <= 0:
            raise ValueError(f"the request timeout must be positive, not {timeout}")
        super().__init__(pool_connections=True, timeout=timeout)
        self.api_base_url = api_base_url.rstrip("/")

    def request(  # mirrors twilio's HttpClient.request
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        """Send the request to the rewritten URL (see :func:`rewrite_url`)."""
        return super().request(
            method,
            rewrite_url(url, self.api_base_url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def log_request(self, kwargs: dict[str, Any]) -> None:
        """Method and URL at DEBUG (never headers, parameters or bodies)."""
        log.debug("Twilio request: %s %s", kwargs.get("method"), kwargs.get("url"))

    def log_response(self, status_code: int, response: requests.Response) -> None:
        """Status at DEBUG."""
        log.debug("Twilio response: HTTP %s", status_code)


class TwilioGateway:
    """Async access to the Twilio REST API for one set of credentials."""

    def __init__(
        self, credentials: Credentials, *, api_base_url: str = "", timeout: float = 15.0
    ) -> None:
        if not credentials.has_rest_auth:
            raise ValueError(
                "Twilio credentials are incomplete: an Account SID and an Auth Token "
                "(or an API key SID and secret) are required."
            )
        self.credentials = credentials
        self.api_base_url = api_base_url
        self.timeout = timeout
        self.http_client = RoutingHttpClient(api_base_url=api_base_url, timeout=timeout)
        if credentials.uses_api_key:
            username, password = credentials.api_key_sid, credentials.api_key_secret
        else:
            username, password = credentials.account_sid, credentials.auth_token
        self._client = Client(
            username, password, credentials.account_sid, http_client=self.http_client
        )

    @property
    def account_sid(self) -> str:
        """The Account SID every call acts on."""
        return self.credentials.account_sid

    def close(self) -> None:
        """Close pooled HTTP connections (the gateway reconnects if used again)."""
        if self.http_client.session is not None:
            self.http_client.session.close()

    def __repr__(self) -> str:
        return f"TwilioGateway({self.credentials!r}, api_base_url={self.api_base_url!r})"

    async def _run(self, operation: str, call: Callable[[], T], convert: Callable[[T], R]) -> R:
        """``call`` in a worker thread, its failures translated; ``convert`` on the loop."""
        try:
            raw = await asyncio.to_thread(call)
        except (TwilioException, requests.RequestException, ValueError) as exc:
            error = translate(exc, operation)
            log.info("%s failed: %s", operation, error)
            raise error from exc
        return convert(raw)

    # -- messages ------------------------------------------------------------------------------
    async def create_message(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> MessageInfo:
        """Create (send) a message. ``OutcomeUnknown`` means: reconcile before resending."""
        if not (from_ or messaging_service_sid):
            raise ValueError("a message needs a From number or a Messaging Service SID")
        params: dict[str, Any] = {"to": to, "body": body}
        if from_:
            params["from_"] = from_
        if messaging_service_sid:
            params["messaging_service_sid"] = messaging_service_sid
        if status_callback:
            params["status_callback"] = status_callback
        messages = self._client.api.v2010.account.messages
        return await self._run(
            f"send a message to {to}", lambda: messages.create(**params), message_info
        )

    async def fetch_message(self, sid: str) -> MessageInfo:
        """The message ``sid`` as Twilio describes it now."""
        context = self._client.api.v2010.account.messages(sid)
        return await self._run(f"fetch message {sid}", context.fetch, message_info)

    async def list_messages(
        self,
        *,
        to: str | None = None,
        from_: str | None = None,
        sent_after: datetime | None = None,
        limit: int = 50,
    ) -> list[MessageInfo]:
        """Up to ``limit`` newest messages, optionally to/from a number.

        ``sent_after`` keeps messages *created* at or after that time. It is applied here, not
        as Twilio's ``DateSent>`` filter, because that filter misses messages that have no
        send date yet (queued, accepted) — exactly the ones a reconciliation looks for.
        """
        params: dict[str, Any] = {"limit": limit}
        if to:
            params["to"] = to
        if from_:
            params["from_"] = from_
        messages = self._client.api.v2010.account.messages
        threshold = as_aware(sent_after) if sent_after else None

        def convert(items: list[Any]) -> list[MessageInfo]:
            infos = [message_info(m) for m in items]
            if threshold is None:
                return infos
            return [
                i for i in infos if i.date_created is None or as_aware(i.date_created) >= threshold
            ]

        return await self._run("list messages", lambda: messages.list(**params), convert)

    # -- account -------------------------------------------------------------------------------
    async def account(self) -> AccountInfo:
        """The account's name, type (Trial/Full) and status."""
        context = self._client.api.v2010.accounts(self.account_sid)
        return await self._run(
            "read the account",
            context.fetch,
            account_info,
        )

    async def balance(self) -> Balance | None:
        """The balance, or ``None`` when Twilio does not show one (404, e.g. subaccounts)."""
        balance = self._client.api.v2010.account.balance
        try:
            return await self._run(
                "read the balance",
                balance.fetch,
                balance_info,
            )
        except GatewayError as exc:
            if exc.http_status == 404:
                return None
            raise

    async def incoming_numbers(self) -> list[OwnedNumber]:
        """Every phone number the account owns."""
        numbers = self._client.api.v2010.account.incoming_phone_numbers
        return await self._run(
            "list the account's phone numbers",
            numbers.list,
            lambda ns: [number_info(n) for n in ns],
        )

    async def messaging_services(self) -> list[ServiceInfo]:
        """Every Messaging Service of the account."""
        services = self._client.messaging.v1.services
        return await self._run(
            "list Messaging Services", services.list, lambda ss: [service_info(s) for s in ss]
        )

    async def update_number_webhooks(
        self, sid: str, *, sms_url: str, sms_method: str = "POST"
    ) -> OwnedNumber:
        """Set a number's inbound SMS URL (``""`` clears it)."""
        context = self._client.api.v2010.account.incoming_phone_numbers(sid)
        return await self._run(
            f"update the SMS URL of number {sid}",
            lambda: context.update(sms_url=sms_url, sms_method=sms_method),
            number_info,
        )

    async def update_service(
        self,
        sid: str,
        *,
        status_callback: str | None = None,
        inbound_request_url: str | None = None,
    ) -> ServiceInfo:
        """Change a Messaging Service's URLs: ``None`` leaves one unchanged, ``""`` clears it."""
        params: dict[str, Any] = {}
        if status_callback is not None:
            params["status_callback"] = status_callback
        if inbound_request_url is not None:
            params["inbound_request_url"] = inbound_request_url
        context = self._client.messaging.v1.services(sid)
        return await self._run(
            f"update Messaging Service {sid}", lambda: context.update(**params), service_info
        )

    # -- verified caller IDs (trial) -----------------------------------------------------------
    async def caller_ids(self) -> list[CallerId]:
        """The verified caller IDs (a trial account may send only to these)."""
        caller_ids = self._client.api.v2010.account.outgoing_caller_ids
        return await self._run(
            "list verified caller IDs",
            caller_ids.list,
            lambda cs: [caller_id_info(c) for c in cs],
        )

    async def delete_caller_id(self, sid: str) -> None:
        """Remove a verified caller ID."""
        context = self._client.api.v2010.account.outgoing_caller_ids(sid)
        await self._run(f"remove verified caller ID {sid}", context.delete, lambda _ok: None)

    async def start_verification(self, phone_number: str, friendly_name: str = "") -> Verification:
        """Ask Twilio to call ``phone_number``; the person types the returned code."""
        params: dict[str, Any] = {"phone_number": phone_number}
        if friendly_name:
            params["friendly_name"] = friendly_name
        requests_list = self._client.api.v2010.account.validation_requests
        return await self._run(
            f"start verifying {phone_number}",
            lambda: requests_list.create(**params),
            verification_info,
        )
