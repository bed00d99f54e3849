"""E.164 normalisation, rejection codes and reasons, sender kinds, rates and line types."""

from __future__ import annotations

import pytest

from console.domain.phone import (
    PhoneNumberError,
    SenderKind,
    classify_sender,
    default_rate,
    format_display,
    is_valid_region,
    line_type,
    normalize,
)

MS_SID = "MG" + "0123456789abcdef" * 2


class TestNormalize:
    """Accepted inputs come back as E.164."""

    @pytest.mark.parametrize(
        ("raw", "region", "expected"),
        [
            ("+14155552671", "US", "+14155552671"),
            ("+1 415 555 2671", None, "+14155552671"),
            ("(415) 555-2671", "US", "+14155552671"),
            ("415.555.2671", "US", "+14155552671"),
            ("  415-555-2671  ", "US", "+14155552671"),
            ("1 (415) 555-2671", "US", "+14155552671"),
            ("020 7946 0018", "GB", "+442079460018"),
            ("020 7946 0018", "gb", "+442079460018"),
            ("0044 20 7946 0018", "US", "+442079460018"),
            ("00 44 20 7946 0018", None, "+442079460018"),
            ("011 44 20 7946 0018", "US", "+442079460018"),
            ("+44 (0)20 7946 0018", "US", "+442079460018"),
            ("+44 7911 123456", "US", "+447911123456"),
            ("1-800-FLOWERS", "US", "+18003569377"),
        ],
    )
    def test_accepted(self, raw: str, region: str | None, expected: str) -> None:
        assert normalize(raw, region) == expected

    def test_default_region_is_us(self) -> None:
        assert normalize("415 555 2671") == "+14155552671"

    def test_international_input_ignores_the_default_region(self) -> None:
        assert normalize("+442079460018", "US") == normalize("+442079460018", "FR")

    def test_same_to_and_from_is_not_this_modules_concern(self) -> None:
        assert normalize("+14155552671") == normalize("+1 (415) 555-2671")


class TestRejections:
    """Each rejection has a machine code and a reason that says what is wrong and what to do."""

    @pytest.mark.parametrize(
        ("raw", "region", "code", "in_reason"),
        [
            ("", "US", "empty", "No phone number was entered"),
            ("   ", "US", "empty", "with its country code"),
            ("call me", "US", "not_a_number", "is not a phone number"),
            ("+", "US", "not_a_number", "is not a phone number"),
            ("020 7946 0018", None, "missing_country", "has no country code"),
            ("020 7946 0018", "XX", "missing_country", "default region 'XX' is unknown"),
            ("+999 123 4567", "US", "invalid_country_code", "known country code"),
            ("+1 555 0100", "US", "too_short", "too short for a US number"),
            ("555 0100", "US", "too_short", "include the country code"),
            ("+44 20 794", "US", "too_short", "too short for a GB number"),
            ("+1 415 555 26710", "US", "too_long", "too long for a US number"),
            ("+1234567890123456789012", None, "too_long", "too long to be a phone number"),
            ("+1 555 555 0100", "US", "invalid", "not valid as a US number"),
            ("+1 415 555 2671 ext. 12", "US", "invalid", "extension"),
        ],
    )
    def test_rejected(self, raw: str, region: str | None, code: str, in_reason: str) -> None:
        with pytest.raises(PhoneNumberError) as caught:
            normalize(raw, region)
        error = caught.value
        assert error.code == code
        assert in_reason in error.reason
        assert str(error) == error.reason
        assert ": " in error.reason  # what is wrong: what to do
        assert error.reason.endswith(".")

    def test_reason_matches_the_documented_example(self) -> None:
        with pytest.raises(PhoneNumberError) as caught:
            normalize("+1 555 0100")
        assert caught.value.reason == (
            "+1 555 0100 is too short for a US number: check the digits or include the "
            "country code, e.g. +44 for the UK."
        )

    def test_reason_uses_an_for_vowel_sounding_regions(self) -> None:
        with pytest.raises(PhoneNumberError, match="too short for an FR number"):
            normalize("+33 1 23")

    def test_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="not a phone number"):
            normalize("hello")

    def test_long_garbage_is_shortened_in_the_reason(self) -> None:
        with pytest.raises(PhoneNumberError) as caught:
            normalize("x" * 500)
        assert len(caught.value.reason) < 200


class TestDisplayAndLineType:
    """Display format and line-type hints."""

    def test_format_display_international(self) -> None:
        assert format_display("+14155552671") == "+1 415-555-2671"
        assert format_display("+442079460018") == "+44 20 7946 0018"

    @pytest.mark.parametrize("value", ["MyShop", "12345", MS_SID, "+", "+999"])
    def test_format_display_passes_other_senders_through(self, value: str) -> None:
        assert format_display(value) == value

    @pytest.mark.parametrize(
        ("e164", "expected"),
        [
            ("+447911123456", "mobile"),
            ("+442079460018", "fixed_line"),
            ("+14155552671", "fixed_line_or_mobile"),
            ("+18005550100", "toll_free"),
            ("+445600123456", "voip"),
            ("+15555550100", "unknown"),
            ("not a number", "unknown"),
        ],
    )
    def test_line_type(self, e164: str, expected: str) -> None:
        assert line_type(e164) == expected

    @pytest.mark.parametrize(("code", "valid"), [("US", True), ("gb", True), ("XX", False)])
    def test_is_valid_region(self, code: str, valid: bool) -> None:
        assert is_valid_region(code) is valid


class TestSenders:
    """Sender classification and default rates."""

    @pytest.mark.parametrize(
        ("value", "kind"),
        [
            ("+14155552671", SenderKind.LONG_CODE),
            ("+447911123456", SenderKind.LONG_CODE),
            ("+18005550100", SenderKind.TOLL_FREE),
            ("+1 (888) 555-0100", SenderKind.TOLL_FREE),
            ("123", SenderKind.SHORT_CODE),
            ("12345", SenderKind.SHORT_CODE),
            ("12345678", SenderKind.SHORT_CODE),
            (MS_SID, SenderKind.MESSAGING_SERVICE),
            (MS_SID.upper(), SenderKind.MESSAGING_SERVICE),
            ("mg" + MS_SID[2:], SenderKind.INVALID),
            ("MyShop", SenderKind.ALPHANUMERIC),
            ("Shop & Co", SenderKind.ALPHANUMERIC),
            ("A1-B2_C3+D", SenderKind.ALPHANUMERIC),
            ("12", SenderKind.INVALID),
            ("123456789", SenderKind.INVALID),
            ("MyShopIsBig", SenderKind.ALPHANUMERIC),
            ("MyShopIsBigg", SenderKind.INVALID),
            ("12 34", SenderKind.INVALID),
            ("Café", SenderKind.INVALID),
            ("MG123", SenderKind.ALPHANUMERIC),
            (MS_SID + "0", SenderKind.INVALID),
            ("+1 555", SenderKind.INVALID),
            ("+15555550100", SenderKind.INVALID),
            ("", SenderKind.INVALID),
        ],
    )
    def test_classify(self, value: str, kind: SenderKind) -> None:
        assert classify_sender(value) is kind

    @pytest.mark.parametrize(
        ("kind", "rate"),
        [
            (SenderKind.LONG_CODE, 1.0),
            (SenderKind.TOLL_FREE, 3.0),
            (SenderKind.SHORT_CODE, 100.0),
            (SenderKind.MESSAGING_SERVICE, 1.0),
            (SenderKind.ALPHANUMERIC, 1.0),
        ],
    )
    def test_default_rate(self, kind: SenderKind, rate: float) -> None:
        assert default_rate(kind) == rate

    def test_invalid_sender_has_no_rate(self) -> None:
        with pytest.raises(ValueError, match="fix the sender"):
            default_rate(SenderKind.INVALID)

    def test_sender_kind_values_are_strings(self) -> None:
        assert str(SenderKind.TOLL_FREE) == "toll_free"
        assert SenderKind("short_code") is SenderKind.SHORT_CODE
