"""Catalog of Twilio error codes the console explains: cause, what to do, whether to retry.

Texts follow Twilio's public error pages (https://www.twilio.com/docs/errors/<code>) and the
project's FACTS.md, in the console's own words. Twilio warns that the mapping of delivery
causes to codes changes over time, so every entry links to Twilio's page for the current text.
The console reports its own refusals with these same Twilio codes; there are no local codes.

Flags:
- ``retryable``: sending the same message again, unchanged and later, can succeed without
  anyone changing a setting (e.g. 20429, 30003, 30008).
- ``final``: the failure is a lasting property of the recipient number (opted out, landline,
  unknown or invalid number), so sending to that number again will fail the same way until
  something outside the console changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = ["CATALOG", "ErrorInfo", "error_url", "explain"]


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """One Twilio error code explained for an operator."""

    code: int
    title: str
    cause: str
    action: str
    retryable: bool
    final: bool
    url: str


def error_url(code: int) -> str:
    """Twilio's public page for ``code``."""
    return f"https://www.twilio.com/docs/errors/{code}"


def _entry(
    code: int, title: str, cause: str, action: str, *, retryable: bool = False, final: bool = False
) -> tuple[int, ErrorInfo]:
    return code, ErrorInfo(code, title, cause, action, retryable, final, error_url(code))


_ENTRIES: Final = (
    # --- API and account -------------------------------------------------------------------
    _entry(
        20001,
        "Unknown parameters",
        "Twilio did not recognise one or more request parameters and ignored them "
        "(a warning; the request itself was processed).",
        "Check the parameter names the request used; nothing needs resending.",
    ),
    _entry(
        20003,
        "Authentication failed",
        "Twilio rejected the credentials: a wrong or revoked Account SID, Auth Token or API "
        "key, or credentials of a different account.",
        "Check the Account SID and Auth Token (or API key and secret) in Settings.",
    ),
    _entry(
        20404,
        "Resource not found",
        "The SID does not exist in this account (mistyped, deleted or from another account), "
        "or the request went to the wrong API base URL.",
        "Check the SID, the account it belongs to and the API base URL.",
    ),
    _entry(
        20429,
        "Too many requests",
        "Too many concurrent requests to Twilio's API; this request was not processed.",
        "Back off and send again; nothing was sent, so retrying is safe.",
        retryable=True,
    ),
    _entry(
        30002,
        "Account suspended",
        "The account was suspended (for example an unpaid balance or a policy review) after "
        "the message was queued and before Twilio sent it.",
        "Resolve the suspension in the Twilio Console (billing or Twilio Support), then resend.",
    ),
    # --- The request: To, From, Body, media ------------------------------------------------
    _entry(
        21211,
        "Invalid 'To' number",
        "The To number is not a valid phone number: not in E.164 format, a typo, or the same "
        "number as From.",
        "Fix the number and use E.164 format, e.g. +14155550100.",
        final=True,
    ),
    _entry(
        21212,
        "Invalid 'From' number",
        "The From value is not a valid phone number, short code or alphanumeric sender ID "
        "(an alphanumeric ID may also be rejected as too generic).",
        "Choose a sender this account owns, in E.164 format, or a Messaging Service.",
    ),
    _entry(
        21266,
        "'To' and 'From' are the same",
        "The message was addressed from a Twilio number to that same number.",
        "Send to a different number, or from a different sender.",
    ),
    _entry(
        21602,
        "Message body is required",
        "The request had no Body and no media.",
        "Enter the message text.",
    ),
    _entry(
        21603,
        "Sender is required",
        "The request had neither a From sender nor a Messaging Service SID.",
        "Choose a sender number or a Messaging Service.",
    ),
    _entry(
        21604,
        "'To' number is required",
        "The request had no To number.",
        "Enter the recipient's number.",
    ),
    _entry(
        21606,
        "'From' cannot send this message",
        "The From number is not a message-capable Twilio number of this account for this "
        "destination: not SMS-capable, owned by another account, still porting, or a short "
        "code of another country.",
        "Choose an SMS-capable sender this account owns (Phone Numbers in the Twilio Console).",
    ),
    _entry(
        21607,
        "'From' must be the trial number",
        "A trial account can only send SMS from its trial number.",
        "Send from the account's trial number, or upgrade the account.",
    ),
    _entry(
        21617,
        "Body too long",
        "The message body is longer than 1,600 characters.",
        "Shorten the message to 1,600 characters or fewer, or split it into several messages.",
    ),
    _entry(
        21620,
        "Invalid media URL",
        "A media URL is malformed, typically missing http:// or https://.",
        "Use a complete http:// or https:// URL for each media item.",
    ),
    # --- Recipient and permissions ---------------------------------------------------------
    _entry(
        21408,
        "Region not enabled",
        "SMS to the country of the To number is not enabled for this account.",
        "Enable that country in the Twilio Console's Messaging Geo Permissions, then resend.",
    ),
    _entry(
        21608,
        "'To' not verified (trial)",
        "Trial accounts (and accounts without an approved primary compliance profile) can "
        "only send to verified numbers.",
        "Verify the number (Verified Caller IDs), or upgrade the account.",
    ),
    _entry(
        21610,
        "Recipient opted out (STOP)",
        "The recipient replied STOP (or another opt-out keyword) to this sender.",
        "Do not send to this number again until the recipient replies START.",
        final=True,
    ),
    _entry(
        21614,
        "'To' is not a mobile number",
        "The To number cannot receive SMS, for example because it is a landline.",
        "Check the number's line type and send to a mobile number.",
        final=True,
    ),
    _entry(
        14111,
        "'To' not a verified caller ID (trial)",
        "In trial mode the To number must be a verified caller ID.",
        "Verify the number as a caller ID, or upgrade the account.",
    ),
    # --- Throughput ------------------------------------------------------------------------
    _entry(
        21611,
        "Sender queue full",
        "This From number already has more than 10 hours of messages queued at its sending "
        "rate, so Twilio refused to queue more.",
        "Slow down or spread traffic over more senders, and send again once the queue drains.",
        retryable=True,
    ),
    _entry(
        30001,
        "Queue overflow",
        "The sender's queue overflowed: messages were sent faster than the sender's rate and "
        "waited longer than the validity period (10 hours by default).",
        "Slow down or add senders (a Messaging Service), then resend later.",
        retryable=True,
    ),
    # --- Delivery --------------------------------------------------------------------------
    _entry(
        30003,
        "Handset unreachable",
        "The recipient's phone is switched off, out of coverage or otherwise temporarily "
        "unreachable by the carrier.",
        "Retry later; if it keeps failing, check with the recipient that the phone can "
        "receive SMS.",
        retryable=True,
    ),
    _entry(
        30004,
        "Message blocked",
        "The recipient or their carrier blocked the message (for example the sender is "
        "blocked, or the plan does not accept this kind of sender).",
        "Do not resend; ask the recipient through another channel to unblock the sender.",
        final=True,
    ),
    _entry(
        30005,
        "Unknown handset",
        "The carrier does not know the number: it may not exist or be out of service.",
        "Check the number with the recipient; do not resend to it as it is.",
        final=True,
    ),
    _entry(
        30006,
        "Landline or unreachable carrier",
        "The number is a landline or belongs to a carrier that cannot receive SMS.",
        "Do not retry; use a mobile number for this recipient.",
        final=True,
    ),
    _entry(
        30007,
        "Message filtered",
        "Twilio or the carrier filtered the message as spam or against messaging policy.",
        "Change the content and check the sender's registration (A2P 10DLC or toll-free "
        "verification); do not resend the same text.",
    ),
    _entry(
        30008,
        "Unknown error",
        "Delivery failed and the carrier gave no specific reason.",
        "Retry once; if it fails again, contact Twilio Support with the Message SID.",
        retryable=True,
    ),
    _entry(
        30009,
        "Missing inbound segment",
        "A part of a multi-part incoming message never reached Twilio (a carrier, handset or "
        "coverage problem on the sender's side).",
        "Ask the sender to send the message again.",
    ),
    _entry(
        30010,
        "Message price exceeds max price",
        "The message would have cost more than the MaxPrice in the request (Twilio lists this "
        "code as obsolete: MaxPrice is retired).",
        "Remove MaxPrice from the request.",
    ),
    _entry(
        30032,
        "Toll-free number not verified",
        "The toll-free sender has not completed Toll-Free Verification (not submitted, pending "
        "or rejected), so its messages to the US and Canada are blocked.",
        "Complete the toll-free verification in the Twilio Console, or send from a verified "
        "sender.",
    ),
    _entry(
        30034,
        "Unregistered 10DLC number",
        "The US long code is not registered to an approved A2P 10DLC campaign, so messages "
        "from it to US numbers are blocked.",
        "Register the number with an approved A2P 10DLC campaign, or use another sender.",
    ),
    _entry(
        30450,
        "Blocked by SMS Pumping Protection",
        "Twilio's SMS Pumping Protection flagged traffic to this destination as suspicious "
        "and blocked it temporarily (typically 15-30 minutes).",
        "Wait for the block to expire and resend; for known numbers see RiskCheck and the "
        "Global Safe List.",
        retryable=True,
    ),
    # --- Trial accounts --------------------------------------------------------------------
    _entry(
        572002,
        "'From' not this recipient's trial number",
        "On a trial account each verified recipient is assigned a trial number, and this "
        "From is not the one assigned to this recipient for messaging.",
        "Send from the trial number assigned to this recipient (shown in the Twilio Console).",
    ),
    _entry(
        572005,
        "Recipient verification not completed",
        "The number was added as a verified recipient but its verification code was never "
        "entered or has expired.",
        "Finish the verification (request a new code if it expired), then resend.",
    ),
    _entry(
        572006,
        "Not a trial template (trial)",
        "Trial accounts may only send Twilio's predefined SMS templates; this message used "
        "free text or an unknown template.",
        "Pick one of the trial templates, or upgrade the account to send free text.",
    ),
)

#: Every explained code, read-only.
CATALOG: Final[Mapping[int, ErrorInfo]] = MappingProxyType(dict(_ENTRIES))


def _generic(code: int) -> ErrorInfo:
    return ErrorInfo(
        code=code,
        title=f"Twilio error {code}",
        cause=f"Error {code} is not in the console's catalog.",
        action="Open Twilio's page for this code to see its cause and what to do.",
        retryable=False,
        final=False,
        url=error_url(code),
    )


def explain(code: int | str | None) -> ErrorInfo | None:
    """The catalog entry for ``code``; ``None`` when there is no error (None, "", "0", 0).

    A numeric code missing from the catalog gets a generic entry linking to Twilio's page.
    Text that is not a number raises ``ValueError``.
    """
    if code is None:
        return None
    if isinstance(code, str):
        text = code.strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise ValueError(f"{code!r} is not a Twilio error code: expected digits, e.g. 30007.")
        number = int(text)
    else:
        number = code
    if number == 0:
        return None
    if number < 0:
        raise ValueError(f"{code!r} is not a Twilio error code: codes are positive numbers.")
    return CATALOG.get(number) or _generic(number)
