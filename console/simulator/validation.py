"""The checks Twilio makes on ``POST /Messages.json``, in Twilio's order, with Twilio's codes.

21604 missing To · 21603 missing From/MessagingServiceSid · 21701/21704 bad Messaging Service ·
21602 empty body · 21617 body over 1600 characters · 21211 invalid To · 21212 invalid From ·
21266 To equals From · 21606 (Full) / 21607 (Trial) From not an owned SMS-capable number ·
21609 invalid StatusCallback · 21608 trial To not verified · 572006 trial body not a template ·
21610 recipient opted out (replied STOP). An older ("legacy") trial accepts free text and prefixes
it with ``TRIAL_PREFIX``, as Twilio did.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from console.domain.phone import PhoneNumberError, normalize
from console.domain.segments import MAX_BODY_CHARS
from console.domain.trial import TRIAL_PREFIX, matches_template
from console.simulator.errors import ApiError, bad_request
from console.simulator.state import ServiceRecord, SimState

_HOSTNAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?")
MAX_URL_CHARS = 4000


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A validated Messages.create request."""

    to: str
    from_: str | None
    service: ServiceRecord | None
    body: str
    status_callback: str | None
    media_urls: tuple[str, ...]


def e164(value: str) -> str | None:
    """``value`` as E.164 if it is a valid international number (Twilio normalises), else None."""
    if not value.startswith("+"):
        return None
    try:
        return normalize(value, default_region=None)
    except PhoneNumberError:
        return None


def is_valid_callback_url(url: str) -> bool:
    """Twilio's StatusCallback rule: absolute http(s) URL, hostname without underscores."""
    if len(url) > MAX_URL_CHARS:
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    return host.startswith("[") or bool(_HOSTNAME.fullmatch(host))


def _service(state: SimState, sid: str) -> ServiceRecord:
    service = state.services.get(sid)
    if service is None:
        raise bad_request(21701, f"The Messaging Service Sid {sid} is invalid.")
    if not service.senders:
        raise bad_request(21704, "The Messaging Service contains no phone numbers")
    return service


def check_create(state: SimState, form: Mapping[str, str], media: tuple[str, ...]) -> CreateRequest:
    """Validate a create request like Twilio; raise ``ApiError`` with Twilio's code."""
    raw_to = form.get("To", "").strip()
    raw_from = form.get("From", "").strip() or None
    service_sid = form.get("MessagingServiceSid", "").strip() or None
    body = form.get("Body", "")
    callback = form.get("StatusCallback", "").strip() or None
    if not raw_to:
        raise bad_request(21604, "A 'To' phone number is required.")
    if raw_from is None and service_sid is None:
        raise bad_request(21603, "A 'From' phone number is required.")
    service = _service(state, service_sid) if service_sid else None
    if not body and not media:
        raise bad_request(21602, "Message body is required.")
    if len(body) > MAX_BODY_CHARS:
        raise bad_request(
            21617, f"The concatenated message body exceeds the {MAX_BODY_CHARS} character limit."
        )
    to = e164(raw_to)
    if to is None:
        raise bad_request(21211, f"Invalid 'To' Phone Number: {raw_to}")
    from_ = None
    if raw_from is not None:
        from_ = e164(raw_from)
        if from_ is None:
            raise bad_request(21212, f"Invalid From Number (caller ID): {raw_from}")
        _check_from(state, to, from_)
    if callback is not None and not is_valid_callback_url(callback):
        raise bad_request(21609, "Invalid 'StatusCallback'")
    if state.type == "Trial":
        _check_trial(state, to, body)
    _check_opt_out(state, to, from_, service)
    if state.type == "Trial" and state.legacy_trial:
        body = TRIAL_PREFIX + body
    return CreateRequest(to, from_, service, body, callback, media)


def _check_from(state: SimState, to: str, from_: str) -> None:
    if to == from_:
        raise bad_request(21266, "'To' and 'From' number cannot be the same")
    owned = state.number(from_)
    if owned is None or not owned.sms:
        if state.type == "Trial":
            raise bad_request(
                21607,
                f"The 'From' number {from_} is not a valid, SMS-capable inbound phone number "
                "or short code for your account.",
            )
        raise bad_request(
            21606,
            f"The 'From' phone number provided ({from_}) is not a valid message-capable "
            "Twilio phone number for this destination.",
        )


def _check_trial(state: SimState, to: str, body: str) -> None:
    if state.caller_id(to) is None:
        raise bad_request(
            21608,
            f"The number {to} is unverified. Trial accounts cannot send messages to unverified "
            "numbers; verify it at twilio.com/user/account/phone-numbers/verified, or purchase a "
            "Twilio number to send messages to unverified numbers.",
        )
    if not state.legacy_trial and matches_template(body) is None:
        raise ApiError(
            400,
            572006,
            "Trial accounts can only send messages that use one of the predefined templates.",
        )


def _check_opt_out(
    state: SimState, to: str, from_: str | None, service: ServiceRecord | None
) -> None:
    senders = {from_} if from_ else set()
    if service is not None:
        senders.add(service.sid)
    elif from_ is not None and (owner := state.service_of(from_)) is not None:
        senders.add(owner.sid)
    if any((to, sender) in state.opted_out for sender in senders):
        raise bad_request(21610, "Attempt to send to unsubscribed recipient")
