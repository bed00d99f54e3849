"""Phone numbers and senders: E.164 normalisation with ``phonenumbers``, sender kinds and rates.

``normalize`` turns what an operator typed into E.164 or raises ``PhoneNumberError`` whose
``code`` is a short machine string and whose ``reason`` is one sentence saying what is wrong
and what to do. Whether To equals From is not checked here (Twilio answers 21266/21211).

Sending rates (``default_rate``) are segments per second per sender, from Twilio's published
defaults: US long code 1, toll-free 3, short code 100. A Messaging Service spreads messages over
the senders in its pool, so its real rate depends on that pool, which this module cannot see;
1 segment/s is used as a safe floor. Twilio publishes no default for alphanumeric sender IDs
here, so 1 is used for them as well (unconfirmed).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final, Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, PhoneNumberType
from phonenumbers import ValidationResult as Possible

__all__ = [
    "LineType",
    "PhoneErrorCode",
    "PhoneNumberError",
    "SenderKind",
    "classify_sender",
    "default_rate",
    "format_display",
    "is_valid_region",
    "line_type",
    "normalize",
]

PhoneErrorCode = Literal[
    "empty",
    "not_a_number",
    "missing_country",
    "invalid_country_code",
    "too_short",
    "too_long",
    "invalid",
]
LineType = Literal["mobile", "fixed_line", "fixed_line_or_mobile", "voip", "toll_free", "unknown"]

_EXAMPLE: Final = "e.g. +44 for the UK"
_SHOWN_MAX: Final = 40
_SEPARATORS: Final = re.compile(r"[\s\-().]")
_PHONE_LIKE: Final = re.compile(r"\+[\d\s\-().]+")
_SHORT_CODE: Final = re.compile(r"\d{3,8}")
_MESSAGING_SERVICE: Final = re.compile(r"MG[0-9a-fA-F]{32}")
# Twilio's AlphaSender rules: up to 11 of A-Z a-z 0-9 space - + _ &, not digits only
# (we require at least one letter, as Twilio's glossary does).
_ALPHANUMERIC: Final = re.compile(r"[A-Za-z0-9 \-+_&]{1,11}")


class PhoneNumberError(ValueError):
    """A number that cannot be used: ``code`` for programs, ``reason`` for the operator."""

    def __init__(self, code: PhoneErrorCode, reason: str) -> None:
        super().__init__(reason)
        self.code: PhoneErrorCode = code
        self.reason = reason


class SenderKind(StrEnum):
    """What a From value is, which decides its default sending rate."""

    LONG_CODE = "long_code"
    TOLL_FREE = "toll_free"
    SHORT_CODE = "short_code"
    ALPHANUMERIC = "alphanumeric"
    MESSAGING_SERVICE = "messaging_service"
    INVALID = "invalid"


_RATES: Final[dict[SenderKind, float]] = {
    SenderKind.LONG_CODE: 1.0,
    SenderKind.TOLL_FREE: 3.0,
    SenderKind.SHORT_CODE: 100.0,
    SenderKind.MESSAGING_SERVICE: 1.0,
    SenderKind.ALPHANUMERIC: 1.0,
}

_LINE_TYPES: Final[dict[int, LineType]] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.TOLL_FREE: "toll_free",
}


def is_valid_region(code: str) -> bool:
    """True for a two-letter region ``phonenumbers`` knows (case-insensitive), e.g. "US"."""
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


def _shown(raw: str) -> str:
    return raw if len(raw) <= _SHOWN_MAX else raw[: _SHOWN_MAX - 1] + "…"


def _region_label(number: PhoneNumber) -> str:
    """'a US number', 'an FR number', 'a +800 number' (letters said by name take "an")."""
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    if region in phonenumbers.SUPPORTED_REGIONS:
        article = "an" if region[0] in "AEFHILMNORSX" else "a"
        return f"{article} {region} number"
    return f"a +{number.country_code} number"


def _fail(code: PhoneErrorCode, reason: str) -> PhoneNumberError:
    return PhoneNumberError(code, reason)


def _parse_error(error: NumberParseException, shown: str, international: bool) -> PhoneNumberError:
    kind = error.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE and international:
        return _fail(
            "invalid_country_code",
            f"{shown} does not start with a known country code: check the digits after +, "
            "e.g. +1 for the US or +44 for the UK.",
        )
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        return _fail(
            "missing_country",
            f"{shown} has no country code: start it with + and the country code, {_EXAMPLE}.",
        )
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return _fail(
            "too_short",
            f"{shown} is too short to be a phone number: check the digits or include the "
            f"country code, {_EXAMPLE}.",
        )
    if kind == NumberParseException.TOO_LONG:
        return _fail(
            "too_long",
            f"{shown} is too long to be a phone number: check for extra digits.",
        )
    return _fail(
        "not_a_number",
        f"{shown} is not a phone number: use digits, optionally starting with + and the "
        "country code, e.g. +14155550100.",
    )


def _check_possible(number: PhoneNumber, shown: str) -> None:
    label = _region_label(number)
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible in (Possible.TOO_SHORT, Possible.IS_POSSIBLE_LOCAL_ONLY):
        raise _fail(
            "too_short",
            f"{shown} is too short for {label}: check the digits or include the country code, "
            f"{_EXAMPLE}.",
        )
    if possible == Possible.TOO_LONG:
        raise _fail(
            "too_long",
            f"{shown} is too long for {label}: check for extra digits or a wrong country code.",
        )
    if possible == Possible.INVALID_COUNTRY_CODE:
        raise _fail(
            "invalid_country_code",
            f"{shown} does not start with a known country code: check the digits after +, "
            "e.g. +1 for the US or +44 for the UK.",
        )
    if possible == Possible.INVALID_LENGTH:
        raise _fail(
            "invalid",
            f"{shown} has the wrong number of digits for {label}: check the digits and the "
            "country code.",
        )
    if not phonenumbers.is_valid_number(number):
        raise _fail(
            "invalid",
            f"{shown} is not valid as {label}: check the digits, the area code and the country "
            "code.",
        )


def normalize(raw: str, default_region: str | None = "US") -> str:
    """``raw`` as E.164 (``+14155550100``); national input is read in ``default_region``.

    Accepts spaces, dashes, dots and parentheses, a leading ``+`` or ``00`` international
    prefix, and the region's own international prefix (``011`` in the US). Raises
    ``PhoneNumberError`` otherwise.
    """
    text = raw.strip()
    shown = _shown(text)
    if not text:
        raise _fail(
            "empty",
            "No phone number was entered: type the number with its country code, "
            "e.g. +14155550100.",
        )
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00"):
        text = "+" + compact[2:]
    international = text.startswith("+")
    region = default_region.upper() if default_region else None
    if not international and region is None:
        raise _fail(
            "missing_country",
            f"{shown} has no country code: start it with + and the country code, {_EXAMPLE}.",
        )
    if not international and region is not None and not is_valid_region(region):
        raise _fail(
            "missing_country",
            f"{shown} has no country code and the default region {region!r} is unknown: "
            f"start the number with + and the country code, {_EXAMPLE}, or fix the region.",
        )
    try:
        number = phonenumbers.parse(text, None if international else region)
    except NumberParseException as error:
        raise _parse_error(error, shown, international) from None
    if number.extension:
        raise _fail(
            "invalid",
            f"{shown} includes an extension ({number.extension}) and a text message cannot be "
            "sent to an extension: remove it.",
        )
    _check_possible(number, shown)
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse_e164(value: str) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(value, None)
    except NumberParseException:
        return None


def format_display(e164: str) -> str:
    """International format for the UI (``+1 415-555-0100``); other values come back unchanged.

    Senders that are not phone numbers (short codes, alphanumeric IDs, ``MG…`` SIDs) and
    unparseable text are returned as given, so the UI can pass any From/To value through.
    """
    if not e164.startswith("+"):
        return e164
    number = _parse_e164(e164)
    if number is None:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def line_type(e164: str) -> LineType:
    """Line type by number plan (not a carrier lookup), for the 21614 "not a mobile" hint.

    US and Canadian numbers are usually ``fixed_line_or_mobile``: the plan cannot tell them apart.
    """
    number = _parse_e164(e164)
    if number is None or not phonenumbers.is_valid_number(number):
        return "unknown"
    return _LINE_TYPES.get(phonenumbers.number_type(number), "unknown")


def classify_sender(value: str) -> SenderKind:
    """What kind of sender ``value`` is: E.164 number, short code, alphanumeric ID or ``MG…``."""
    text = value.strip()
    if _MESSAGING_SERVICE.fullmatch(text):
        return SenderKind.MESSAGING_SERVICE
    if _SHORT_CODE.fullmatch(text):
        return SenderKind.SHORT_CODE
    if _PHONE_LIKE.fullmatch(text):
        number = _parse_e164(text)
        if number is None or number.extension or not phonenumbers.is_valid_number(number):
            return SenderKind.INVALID
        if phonenumbers.number_type(number) == PhoneNumberType.TOLL_FREE:
            return SenderKind.TOLL_FREE
        return SenderKind.LONG_CODE
    if _ALPHANUMERIC.fullmatch(text) and any(ch.isalpha() for ch in text):
        return SenderKind.ALPHANUMERIC
    return SenderKind.INVALID


def default_rate(kind: SenderKind) -> float:
    """Default throughput in segments per second for a sender of this kind."""
    try:
        return _RATES[kind]
    except KeyError:
        raise ValueError(
            f"A sender of kind {kind.value!r} has no sending rate: fix the sender first."
        ) from None
