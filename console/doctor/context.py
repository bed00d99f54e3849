"""What the checks look at: the running console's parts, and Twilio lookups shared between checks.

The composition (``Core.doctor``, the tests) fills a :class:`DoctorContext` with real parts. The
Twilio reads several checks need (account, numbers, Messaging Services, verified caller IDs) are
made at most once per doctor run, whichever check asks first, through :class:`Lookups`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, TypeVar

from console.doctor.probe import ProbeResult
from console.gateway.account import AccountService, AccountSummary
from console.gateway.client import CallerId, OwnedNumber, ServiceInfo, TwilioGateway
from console.secrets import Credentials, SecretStore
from console.store.queries import Reader
from console.tunnel.state import TunnelState

T = TypeVar("T")
Mode = Literal["live", "demo"]


class Lookups:
    """Twilio reads shared by the checks of one run (each made at most once, on first use)."""

    def __init__(self, gateway: TwilioGateway | None) -> None:
        self._gateway = gateway
        self._account = AccountService(gateway) if gateway is not None else None
        self._futures: dict[str, asyncio.Future[Any]] = {}

    @property
    def available(self) -> bool:
        """Whether there is a gateway to ask at all."""
        return self._gateway is not None

    async def _once(self, key: str, make: Callable[[], Awaitable[T]]) -> T:
        future = self._futures.get(key)
        if future is None:
            future = asyncio.ensure_future(make())
            self._futures[key] = future
        result: T = await asyncio.shield(future)
        return result

    def _service(self) -> AccountService:
        if self._account is None:
            raise RuntimeError("there is no Twilio gateway (no credentials)")
        return self._account

    async def summary(self) -> AccountSummary:
        """The account's type, status and balance (raises GatewayError subclasses)."""
        return await self._once("summary", lambda: self._service().summary())

    async def numbers(self) -> list[OwnedNumber]:
        """The phone numbers the account owns."""
        return await self._once("numbers", lambda: self._service().gateway.incoming_numbers())

    async def services(self) -> list[ServiceInfo]:
        """The account's Messaging Services."""
        return await self._once("services", lambda: self._service().gateway.messaging_services())

    async def caller_ids(self) -> list[CallerId]:
        """The verified caller IDs."""
        return await self._once("caller_ids", lambda: self._service().gateway.caller_ids())

    def close(self) -> None:
        """Cancel lookups nobody waits for any more (a check timed out)."""
        for future in self._futures.values():
            if not future.done():
                future.cancel()


@dataclass
class DoctorContext:
    """The parts the checks look at (``None`` where the console has no such part)."""

    mode: Mode
    credentials: Credentials
    gateway: TwilioGateway | None
    reader: Reader
    secret_store: SecretStore
    public_url: str | None
    tunnel: TunnelState | None = None
    probe: Callable[[str], Awaitable[ProbeResult]] | None = None
    server_health: Callable[[], Awaitable[dict[str, Any]]] | None = None
    database_url: str = ""
    api_base_url: str = ""
    request_timeout: float = 10.0
    validate_signatures: bool = True
    status_callback: str | None = None  # the per-message StatusCallback the console sends
    demo_requested: bool = True  # False: demo mode only because no credentials are configured
    check_timeout: float = 12.0
    signature_window: timedelta = timedelta(hours=24)
    lookups: Lookups = field(init=False)

    def __post_init__(self) -> None:
        self.lookups = Lookups(self.gateway)

    @property
    def demo(self) -> bool:
        """Whether the console runs against its built-in simulator."""
        return self.mode == "demo"

    @property
    def twilio(self) -> str:
        """What answers the REST calls, for findings: Twilio, or the built-in simulator."""
        return "The built-in simulator" if self.demo else "Twilio"
