"""What a simulated Twilio account owns at start: numbers, Messaging Services, caller IDs, keys.

``DEMO_ACCOUNT`` is the fixed, clearly labelled demo account the console uses in demo mode and
``sms-console simulator`` serves when no credentials are given. Its SID and token are public
(they are in this file) and are only ever accepted by the simulator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

AccountType = Literal["Trial", "Full"]

_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
_SERVICE_SID = re.compile(r"MG[0-9a-fA-F]{32}")


@dataclass(frozen=True, slots=True)
class NumberConfig:
    """An IncomingPhoneNumber the account owns."""

    phone_number: str
    sid: str | None = None
    friendly_name: str | None = None
    sms: bool = True
    mms: bool = True
    voice: bool = True
    sms_url: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """A Messaging Service and the owned numbers in its sender pool."""

    friendly_name: str
    senders: tuple[str, ...]
    sid: str | None = None
    status_callback: str | None = None
    inbound_request_url: str | None = None
    use_inbound_webhook_on_number: bool = False


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """A simulated account: credentials, type (Trial/Full) and what it owns."""

    sid: str
    auth_token: str
    friendly_name: str = "Simulated Twilio account"
    type: AccountType = "Full"
    numbers: tuple[NumberConfig, ...] = ()
    services: tuple[ServiceConfig, ...] = ()
    verified_numbers: tuple[str, ...] = ()
    api_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    balance: str = "20.00"
    currency: str = "USD"
    # An older trial: free text allowed, every body prefixed with "Sent from your Twilio trial
    # account - " (current trials may only send template bodies, error 572006).
    legacy_trial: bool = False

    def __post_init__(self) -> None:
        """Reject configurations the real API could never describe."""
        if not _ACCOUNT_SID.fullmatch(self.sid):
            raise ValueError(f"an account SID is AC followed by 32 hex digits, not {self.sid!r}")
        if len(self.auth_token) != 32:
            raise ValueError("an auth token is 32 characters")
        for service in self.services:
            if service.sid is not None and not _SERVICE_SID.fullmatch(service.sid):
                raise ValueError(f"a Messaging Service SID is MG + 32 hex digits: {service.sid!r}")
        owned = {n.phone_number for n in self.numbers}
        for service in self.services:
            missing = [s for s in service.senders if s not in owned]
            if missing:
                raise ValueError(
                    f"Messaging Service {service.friendly_name!r} uses numbers the account "
                    f"does not own: {', '.join(missing)}"
                )
        for key_sid, _secret in self.api_keys:
            if not key_sid.startswith("SK"):
                raise ValueError("an API key SID starts with SK")

    def with_credentials(self, sid: str, auth_token: str, friendly_name: str) -> AccountConfig:
        """The same holdings under another SID and token (the standalone simulator uses this)."""
        return replace(self, sid=sid, auth_token=auth_token, friendly_name=friendly_name)

    def with_service_sid(self, sid: str) -> AccountConfig:
        """The same account with its first Messaging Service known as ``sid``."""
        if not self.services:
            raise ValueError("this account has no Messaging Service to rename")
        first = replace(self.services[0], sid=sid)
        return replace(self, services=(first, *self.services[1:]))

    def owning(self, phone_number: str) -> AccountConfig:
        """The same account, also owning ``phone_number`` as an SMS-capable sender."""
        if any(n.phone_number == phone_number for n in self.numbers):
            return self
        return replace(self, numbers=(*self.numbers, NumberConfig(phone_number=phone_number)))


DEMO_NUMBER_1 = "+14155550100"
DEMO_NUMBER_2 = "+14155550101"

DEMO_ACCOUNT = AccountConfig(
    sid="ACde30e346965c2abf7517b0d4c6e99387",
    auth_token="de3014ac67891cb3f4e7f863233ee8f8",
    friendly_name="SMS Console demo (simulated, not a real Twilio account)",
    type="Full",
    numbers=(
        NumberConfig(
            phone_number=DEMO_NUMBER_1,
            sid="PNeab2c7f3b5bb96731bd1d74de8563235",
            friendly_name="Demo line 1 (simulated)",
        ),
        NumberConfig(
            phone_number=DEMO_NUMBER_2,
            sid="PNb75790e2469b49a527f7e2e5f858ed34",
            friendly_name="Demo line 2 (simulated)",
            mms=False,
            voice=False,
        ),
    ),
    services=(
        ServiceConfig(
            friendly_name="Demo Messaging Service (simulated)",
            senders=(DEMO_NUMBER_2,),
            sid="MGaa78d2acf8165152f724cb2aebbf093c",
        ),
    ),
    verified_numbers=("+14155550150",),
    api_keys=(("SKa0a2a088428d3681ca472f3d95479c2a", "be4ab18a52cf9a1cec800859792a2602"),),
    balance="25.00",
)
