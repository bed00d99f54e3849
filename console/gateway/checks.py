"""What the console refuses before anything is recorded or sent, with the catalog's explanation.

:class:`OutgoingChecks` turns an :class:`Outgoing` (a message as typed) into the ledger entry
(:class:`~console.domain.model.NewDelivery`) or raises :class:`SendRefused`: an invalid number
(21211), an empty (21602) or over-long (21617) body, no or a bad sender (21603/21212), To equal to
From (21266), a recipient who replied STOP (21610) and, on a trial account, a recipient that is
not a verified caller ID (21608). ``check_bulk`` runs the same checks over the rows of a bulk
send, writing nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from console.domain.errors import ErrorInfo, explain
from console.domain.model import NewDelivery
from console.domain.phone import PhoneNumberError, SenderKind, classify_sender, normalize
from console.domain.segments import analyze
from console.gateway.bulk import Refusal
from console.store.queries import Reader

__all__ = ["BulkItem", "Outgoing", "OutgoingChecks", "SendRefused"]


class SendRefused(Exception):
    """The console refused a message before calling Twilio; nothing was recorded or sent."""

    def __init__(self, code: int, detail: str) -> None:
        info = explain(code)
        assert info is not None  # every code used here is positive
        super().__init__(f"{detail} ({info.title}, Twilio error {code})")
        self.code = code
        self.detail = detail
        self.info: ErrorInfo = info


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message an operator wants sent, as typed."""

    to: str
    body: str
    from_: str | None = None
    messaging_service_sid: str | None = None


BulkItem = Outgoing  # the name the composition root uses for a bulk row


class OutgoingChecks:
    """The checks of one sender: its region, profile, account type and the ledger's opt-outs."""

    def __init__(
        self,
        reader: Reader,
        *,
        account_type: Callable[[], str | None],
        is_verified: Callable[[str], Awaitable[bool]] | None,
        region: str,
        profile: str,
        account_sid: str | None,
    ) -> None:
        self._reader = reader
        self._account_type = account_type
        self._is_verified = is_verified
        self._region = region
        self._profile = profile
        self._account_sid = account_sid

    async def prepare(
        self,
        item: Outgoing,
        *,
        opted_out: Callable[[str], bool] | None = None,
        verified: dict[str, bool] | None = None,
    ) -> NewDelivery:
        """The ledger entry for ``item``, or ``SendRefused`` saying why it cannot be sent."""
        try:
            to = normalize(item.to, self._region)
        except PhoneNumberError as exc:
            raise SendRefused(21211, exc.reason) from None
        if not item.body.strip():
            raise SendRefused(21602, "The message is empty: enter the text to send.")
        seg = analyze(item.body)
        if seg.too_long:
            raise SendRefused(
                21617,
                f"The message is {seg.length} characters and Twilio's limit is 1600: "
                "shorten it or split it into several messages.",
            )
        from_, service = self._sender_of(item)
        if from_ == to:
            raise SendRefused(21266, f"{to} is both the recipient and the sender: change one.")
        if (opted_out or self._reader.is_opted_out)(to):
            raise SendRefused(
                21610,
                f"{to} replied STOP: do not send to this number again until they reply START.",
            )
        trial = (self._account_type() or "").lower() == "trial"
        if trial and self._is_verified is not None:
            known = verified.get(to) if verified is not None else None
            ok = known if known is not None else await self._is_verified(to)
            if verified is not None:
                verified[to] = ok
            if not ok:
                raise SendRefused(
                    21608,
                    f"{to} is not a verified caller ID of this trial account: verify this "
                    f"number (Verified Caller IDs, or `sms-console verify {to}`) or upgrade "
                    "the account.",
                )
        return NewDelivery(
            to=to,
            body=item.body,
            from_=from_,
            messaging_service_sid=service,
            profile=self._profile,
            account_sid=self._account_sid,
            segments=seg.segments,
            encoding=seg.encoding,
        )

    async def check_bulk(
        self, items: Sequence[Outgoing]
    ) -> tuple[list[tuple[int, NewDelivery]], list[Refusal]]:
        """Check the rows of a bulk send, writing nothing: ((index, entry)…, refusals)."""
        opted = {o.number for o in self._reader.opt_outs() if o.opted_out}
        verified: dict[str, bool] = {}
        checked: list[tuple[int, NewDelivery]] = []
        refusals: list[Refusal] = []
        for index, item in enumerate(items):
            try:
                new = await self.prepare(item, opted_out=opted.__contains__, verified=verified)
            except SendRefused as exc:
                refusals.append(Refusal(index, item.to, exc.code, str(exc)))
                continue
            checked.append((index, new))
        return checked, refusals

    def _sender_of(self, item: Outgoing) -> tuple[str | None, str | None]:
        if item.messaging_service_sid:
            sid = item.messaging_service_sid.strip()
            if classify_sender(sid) is not SenderKind.MESSAGING_SERVICE:
                raise SendRefused(
                    21212,
                    f"{sid!r} is not a Messaging Service SID: it is MG followed by 32 hex "
                    "digits, as shown in the Twilio Console.",
                )
            return None, sid
        if not item.from_ or not item.from_.strip():
            raise SendRefused(
                21603,
                "No sender: choose a From number or a Messaging Service "
                "(or set TWILIO_FROM_NUMBER / TWILIO_MESSAGING_SERVICE_SID).",
            )
        raw = item.from_.strip()
        kind = classify_sender(raw)
        if kind in (SenderKind.SHORT_CODE, SenderKind.ALPHANUMERIC):
            return raw, None
        try:
            return normalize(raw, self._region), None
        except PhoneNumberError as exc:
            raise SendRefused(21212, f"The sender is not usable: {exc.reason}") from None
