"""The account as the operator sees it: type and balance, senders, trial tools, webhook URLs.

``AccountService`` sits on a :class:`~console.gateway.client.TwilioGateway`. Besides reading, it
does the seed's ``configure_webhooks``: point every Messaging Service's status callback and
inbound URL, and every owned SMS number's inbound URL, at the console's public URL — after
saving the previous values to ``<data_dir>/webhook-backup.json`` (no secrets in it), so that
``restore_webhooks`` can put them back.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from console.domain.phone import SenderKind, classify_sender, normalize
from console.domain.trial import TrialTemplate, templates
from console.gateway.client import CallerId, TwilioGateway, Verification
from console.gateway.webhook_backup import (
    BACKUP_FILE,
    load_section,
    remove_section,
    save_section,
)

__all__ = [
    "BACKUP_FILE",
    "INBOUND_PATH",
    "STATUS_PATH",
    "AccountService",
    "AccountSummary",
    "NoWebhookBackup",
    "SenderOption",
    "WebhookChange",
    "WebhookConfigResult",
    "webhook_urls",
]

log = logging.getLogger(__name__)

STATUS_PATH: Final = "/webhooks/twilio/status"
INBOUND_PATH: Final = "/webhooks/twilio/inbound"


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """What the status bar shows about the account."""

    sid: str
    friendly_name: str
    type: str  # "Trial" | "Full"
    status: str
    balance: str | None
    currency: str | None

    @property
    def is_trial(self) -> bool:
        """True for a trial account (verified recipients and templates only)."""
        return self.type.lower() == "trial"


@dataclass(frozen=True, slots=True)
class SenderOption:
    """Something a message can be sent from: an owned SMS number or a Messaging Service."""

    value: str  # E.164 number, or the MG… SID
    label: str
    kind: SenderKind
    sid: str


@dataclass(frozen=True, slots=True)
class WebhookChange:
    """One URL changed (or put back) on Twilio."""

    resource: str  # "service" | "number"
    sid: str
    name: str
    setting: str  # status_callback | inbound_request_url | sms_url
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class WebhookConfigResult:
    """What ``configure_webhooks``/``restore_webhooks`` changed, and what to know about it."""

    status_url: str
    inbound_url: str
    changes: tuple[WebhookChange, ...]
    backup_path: Path
    warnings: tuple[str, ...] = ()


class NoWebhookBackup(FileNotFoundError):
    """There is nothing to restore: the webhooks were never configured from this data dir."""


def webhook_urls(public_url: str) -> tuple[str, str]:
    """(status callback URL, inbound URL) under ``public_url``; ``ValueError`` if unusable."""
    parts = urlsplit(public_url.strip())
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(
            f"{public_url!r} is not a public base URL: use https://<host>, e.g. the ngrok URL."
        )
    if "_" in host:
        raise ValueError(
            f"Twilio refuses callback URLs whose host name contains '_' ({host}): use another "
            "host name."
        )
    base = public_url.strip().rstrip("/")
    return base + STATUS_PATH, base + INBOUND_PATH


class AccountService:
    """Account facts, senders, verified caller IDs and webhook configuration for one gateway."""

    def __init__(self, gateway: TwilioGateway) -> None:
        self.gateway = gateway
        self.last_summary: AccountSummary | None = None
        self._verified: dict[str, CallerId] | None = None

    # -- account and senders -------------------------------------------------------------------
    async def summary(self) -> AccountSummary:
        """The account's type, status and balance (fetched together)."""
        account, balance = await asyncio.gather(self.gateway.account(), self.gateway.balance())
        self.last_summary = AccountSummary(
            sid=account.sid,
            friendly_name=account.friendly_name,
            type=account.type,
            status=account.status,
            balance=balance.balance if balance else None,
            currency=balance.currency if balance else None,
        )
        return self.last_summary

    async def senders(self) -> list[SenderOption]:
        """Owned SMS-capable numbers, then Messaging Services."""
        numbers, services = await asyncio.gather(
            self.gateway.incoming_numbers(), self.gateway.messaging_services()
        )
        options = [
            SenderOption(n.phone_number, n.friendly_name, classify_sender(n.phone_number), n.sid)
            for n in numbers
            if n.sms
        ]
        options += [
            SenderOption(s.sid, s.friendly_name, SenderKind.MESSAGING_SERVICE, s.sid)
            for s in services
        ]
        return options

    @property
    def is_trial(self) -> bool | None:
        """Whether the account is a trial; ``None`` until ``summary()`` has run."""
        return None if self.last_summary is None else self.last_summary.is_trial

    def allowed_templates(self) -> tuple[TrialTemplate, ...] | None:
        """The only bodies a trial account may send; ``None`` when not (known to be) a trial."""
        return templates() if self.is_trial else None

    # -- verified caller IDs -------------------------------------------------------------------
    async def verified_numbers(self) -> list[CallerId]:
        """The verified caller IDs (refreshes what ``is_verified`` knows)."""
        caller_ids = await self.gateway.caller_ids()
        self._verified = {c.phone_number: c for c in caller_ids}
        return caller_ids

    def known_verified(self, number: str) -> bool | None:
        """Whether ``number`` (E.164) is a verified caller ID; ``None`` if never loaded."""
        if self._verified is None:
            return None
        return number in self._verified

    async def is_verified(self, number: str) -> bool:
        """Whether ``number`` (E.164) is a verified caller ID, loading the list if needed.

        This is the sender's trial check (``Sender(is_verified=account.is_verified)``).
        """
        if self._verified is None:
            await self.verified_numbers()
        return bool(self.known_verified(number))

    async def verify(self, number: str, name: str = "", *, region: str = "US") -> Verification:
        """Start verifying ``number``: Twilio calls it and the person types the returned code.

        ``number`` may be typed nationally (read in ``region``); ``PhoneNumberError`` says what
        is wrong with it.
        """
        return await self.gateway.start_verification(normalize(number, region), name)

    async def remove_verified(self, sid: str) -> None:
        """Remove a verified caller ID."""
        await self.gateway.delete_caller_id(sid)
        if self._verified is not None:
            self._verified = {p: c for p, c in self._verified.items() if c.sid != sid}

    # -- webhook configuration -----------------------------------------------------------------
    async def configure_webhooks(self, public_url: str, *, data_dir: Path) -> WebhookConfigResult:
        """Point every service and SMS number at ``public_url``; previous values saved first."""
        status_url, inbound_url = webhook_urls(public_url)
        numbers, services = await asyncio.gather(
            self.gateway.incoming_numbers(), self.gateway.messaging_services()
        )
        sms_numbers = [n for n in numbers if n.sms]
        account_sid = self.gateway.account_sid
        saved_services = {
            s.sid: {
                "friendly_name": s.friendly_name,
                "status_callback": s.status_callback,
                "inbound_request_url": s.inbound_request_url,
            }
            for s in services
        }
        saved_numbers = {
            n.sid: {
                "phone_number": n.phone_number,
                "sms_url": n.sms_url,
                "sms_method": n.sms_method,
            }
            for n in sms_numbers
        }
        path = await asyncio.to_thread(
            save_section, data_dir, account_sid, saved_services, saved_numbers
        )
        changes: list[WebhookChange] = []
        for s in services:
            before = {
                "status_callback": s.status_callback,
                "inbound_request_url": s.inbound_request_url,
            }
            after = {"status_callback": status_url, "inbound_request_url": inbound_url}
            if before != after:
                await self.gateway.update_service(s.sid, **after)
            changes += [
                WebhookChange("service", s.sid, s.friendly_name, k, before[k], after[k])
                for k in after
                if before[k] != after[k]
            ]
        for n in sms_numbers:
            if (n.sms_url, n.sms_method) != (inbound_url, "POST"):
                await self.gateway.update_number_webhooks(n.sid, sms_url=inbound_url)
                changes.append(
                    WebhookChange(
                        "number", n.sid, n.phone_number, "sms_url", n.sms_url, inbound_url
                    )
                )
        warnings: list[str] = []
        if not services:
            warnings.append(
                "The account has no Messaging Service: status callbacks arrive only for "
                "messages sent with a per-message StatusCallback (the console sets one)."
            )
        if not sms_numbers:
            warnings.append("The account owns no SMS-capable number: nothing receives inbound SMS.")
        log.info("webhooks configured for %s (backup %s)", public_url, path)
        return WebhookConfigResult(status_url, inbound_url, tuple(changes), path, tuple(warnings))

    async def restore_webhooks(self, *, data_dir: Path) -> WebhookConfigResult:
        """Put back the URLs saved by ``configure_webhooks``, then remove the backup."""
        account_sid = self.gateway.account_sid
        backup = await asyncio.to_thread(load_section, data_dir, account_sid)
        if backup is None:
            raise NoWebhookBackup(
                f"{data_dir / BACKUP_FILE} holds no saved webhook URLs for account "
                f"{account_sid[:6]}…: they were not configured from this data directory, so "
                "there is nothing to restore."
            )
        numbers, services = await asyncio.gather(
            self.gateway.incoming_numbers(), self.gateway.messaging_services()
        )
        live_services = {s.sid: s for s in services}
        live_numbers = {n.sid: n for n in numbers}
        changes: list[WebhookChange] = []
        warnings: list[str] = []
        for sid, saved in backup["services"].items():
            service = live_services.get(sid)
            if service is None:
                warnings.append(f"Messaging Service {sid} no longer exists; skipped.")
                continue
            await self.gateway.update_service(
                sid,
                status_callback=saved.get("status_callback") or "",
                inbound_request_url=saved.get("inbound_request_url") or "",
            )
            for setting in ("status_callback", "inbound_request_url"):
                changes.append(
                    WebhookChange(
                        "service",
                        sid,
                        service.friendly_name,
                        setting,
                        getattr(service, setting),
                        saved.get(setting),
                    )
                )
        for sid, saved in backup["numbers"].items():
            number = live_numbers.get(sid)
            if number is None:
                warnings.append(f"Phone number {sid} is no longer owned; skipped.")
                continue
            await self.gateway.update_number_webhooks(
                sid,
                sms_url=saved.get("sms_url") or "",
                sms_method=saved.get("sms_method") or "POST",
            )
            changes.append(
                WebhookChange(
                    "number",
                    sid,
                    number.phone_number,
                    "sms_url",
                    number.sms_url,
                    saved.get("sms_url"),
                )
            )
        path = await asyncio.to_thread(remove_section, data_dir, account_sid)
        log.info("webhooks restored from %s", path)
        return WebhookConfigResult("", "", tuple(changes), path, tuple(warnings))
