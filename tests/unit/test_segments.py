"""Segment arithmetic, justified case by case from the GSM 03.38 tables and UTF-16."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.domain.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_BODY_CHARS,
    analyze,
    char_units,
    is_gsm7,
    split_parts,
)

# GSM 03.38 default alphabet written out row by row (columns 0x00..0x7F), independently of the
# module's own table; ESC (0x1B) is omitted because it is not a character.
GSM_TABLE_ROWS = (
    "@£$¥èéùìòÇ\nØø\rÅå",  # 0x00-0x0F
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",  # 0x10-0x1F without ESC
    " !\"#¤%&'()*+,-./",  # 0x20-0x2F
    "0123456789:;<=>?",  # 0x30-0x3F
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",  # 0x40-0x5F
    "¿abcdefghijklmnopqrstuvwxyzäöñüà",  # 0x60-0x7F
)
EXTENSION_CHARS = "\f^{}\\[~]|€"
EMOJI = "\U0001f600"  # 😀, outside the BMP: a surrogate pair in UTF-16


class TestAlphabet:
    """The tables match GSM 03.38."""

    def test_basic_table_is_the_03_38_default_alphabet(self) -> None:
        written = "".join(GSM_TABLE_ROWS)
        assert len(written) == 127
        assert frozenset(written) == GSM7_BASIC

    def test_extension_table(self) -> None:
        assert frozenset(EXTENSION_CHARS) == GSM7_EXTENSION

    def test_dollar_and_currency_sign_are_both_gsm(self) -> None:
        # 0x02 is $, 0x24 is ¤: a common table mistake swaps them
        assert analyze("$¤").encoding == "GSM-7"

    @pytest.mark.parametrize("ch", ["é", "ü", "Ä", "ñ", "¿", "Ç", "ß", "Ø", "à", "Ω", "¥", "§"])
    def test_accented_and_greek_letters_in_the_table_stay_gsm(self, ch: str) -> None:
        info = analyze(ch)
        assert (info.encoding, info.units, info.ucs2_chars) == ("GSM-7", 1, ())

    @pytest.mark.parametrize("ch", ["ç", "á", "í", "ó", "ú", "â", "ê", "`", "\t", "°", "Œ"])
    def test_characters_missing_from_the_table_force_ucs2(self, ch: str) -> None:
        # lower-case ç is not in GSM 03.38 (only capital Ç is, at 0x09)
        info = analyze(ch)
        assert info.encoding == "UCS-2"
        assert info.ucs2_chars == (ch,)

    @pytest.mark.parametrize("ch", ["\u201c", "\u201d", "\u2018", "\u2019"])
    def test_curly_quotes_force_ucs2(self, ch: str) -> None:
        assert analyze(f"It{ch}s").encoding == "UCS-2"

    def test_is_gsm7(self) -> None:
        assert is_gsm7("")
        assert is_gsm7("".join(GSM_TABLE_ROWS) + EXTENSION_CHARS)
        assert not is_gsm7("Café ç")

    def test_char_units_rejects_non_gsm_in_gsm_mode(self) -> None:
        with pytest.raises(ValueError, match="UCS-2"):
            char_units("ç", "GSM-7")


class TestGsm7:
    """GSM-7: 160 single, 153 per part, extension characters cost two septets."""

    def test_empty_text_has_no_segments(self) -> None:
        info = analyze("")
        assert (info.encoding, info.length, info.units, info.segments) == ("GSM-7", 0, 0, 0)
        assert (info.per_segment, info.remaining) == (160, 160)
        assert split_parts("") == ()

    def test_160_ascii_fit_one_segment(self) -> None:
        info = analyze("a" * 160)
        assert (info.segments, info.per_segment, info.remaining) == (1, 160, 0)

    def test_161_ascii_need_two(self) -> None:
        info = analyze("a" * 161)
        assert (info.segments, info.per_segment) == (2, 153)
        assert info.remaining == 153 * 2 - 161

    def test_two_full_parts_then_a_third(self) -> None:
        assert analyze("a" * 306).segments == 2
        assert analyze("a" * 306).remaining == 0
        assert analyze("a" * 307).segments == 3

    @pytest.mark.parametrize("ch", list(EXTENSION_CHARS))
    def test_each_extension_char_costs_two(self, ch: str) -> None:
        info = analyze(ch)
        assert (info.encoding, info.length, info.units) == ("GSM-7", 1, 2)
        assert analyze("a" * 158 + ch).segments == 1
        assert analyze("a" * 159 + ch).segments == 2

    def test_extension_char_at_part_boundary_moves_to_next_part(self) -> None:
        # 152 + 2 would be 154 > 153: the ESC pair cannot be split, so € opens part two
        text = "a" * 152 + "€" + "a" * 151
        assert split_parts(text) == ("a" * 152, "€" + "a" * 151)
        assert analyze(text).segments == 2

    def test_boundary_packing_beats_division(self) -> None:
        # 306 septets would be exactly two parts by division, but the € wastes a septet
        text = "a" * 152 + "€" + "a" * 152
        info = analyze(text)
        assert info.units == 306
        assert info.segments == 3
        assert split_parts(text) == ("a" * 152, "€" + "a" * 151, "a")
        assert info.remaining == 152

    def test_all_extension_chars_together(self) -> None:
        info = analyze("€^{}[]~|\\")
        assert (info.encoding, info.length, info.units, info.segments) == ("GSM-7", 9, 18, 1)


class TestUcs2:
    """UCS-2: 70 single, 67 per part, counted in UTF-16 code units."""

    def test_emoji_is_two_units_one_character(self) -> None:
        info = analyze(EMOJI)
        assert (info.encoding, info.length, info.units) == ("UCS-2", 1, 2)

    def test_70_and_71_units(self) -> None:
        assert analyze("ç" * 70).segments == 1
        assert analyze("ç" * 70).remaining == 0
        info = analyze("ç" * 71)
        assert (info.segments, info.per_segment, info.remaining) == (2, 67, 67 * 2 - 71)

    def test_134_and_135_units(self) -> None:
        assert analyze("ç" * 134).segments == 2
        assert analyze("ç" * 135).segments == 3

    def test_emoji_at_single_segment_limit(self) -> None:
        assert analyze("a" * 68 + EMOJI).segments == 1
        assert analyze("a" * 69 + EMOJI).segments == 2

    def test_surrogate_pair_at_part_boundary_moves_to_next_part(self) -> None:
        text = "a" * 66 + EMOJI + "a" * 66
        info = analyze(text)
        assert info.units == 134
        assert info.segments == 3
        assert split_parts(text) == ("a" * 66, EMOJI + "a" * 65, "a")

    def test_extension_chars_cost_one_unit_in_ucs2(self) -> None:
        info = analyze("€ç")
        assert (info.encoding, info.units) == ("UCS-2", 2)

    def test_ucs2_chars_are_distinct_in_order_and_positions_are_all(self) -> None:
        text = "Hi \u201cthere\u201d ç" + EMOJI + "ç"
        info = analyze(text)
        assert info.ucs2_chars == ("\u201c", "\u201d", "ç", EMOJI)
        assert info.ucs2_positions == (3, 9, 11, 12, 13)
        assert all(text[i] in info.ucs2_chars for i in info.ucs2_positions)


class TestLimits:
    """Twilio's 1600-character body limit."""

    def test_1600_is_allowed_1601_is_too_long(self) -> None:
        assert analyze("a" * MAX_BODY_CHARS).too_long is False
        assert analyze("a" * (MAX_BODY_CHARS + 1)).too_long is True

    def test_limit_counts_characters_not_units(self) -> None:
        info = analyze(EMOJI * 1600)
        assert (info.length, info.units, info.too_long) == (1600, 3200, False)


TEXT_ALPHABET = st.one_of(
    st.sampled_from(sorted(GSM7_BASIC)),
    st.sampled_from(sorted(GSM7_EXTENSION)),
    st.sampled_from(["ç", "\u201c", "é", EMOJI, "\U0001f44d", "\u4e2d"]),
    st.characters(),
)
texts = st.text(alphabet=TEXT_ALPHABET, max_size=400)


@settings(deadline=None, max_examples=300)
@given(text=texts, extra=TEXT_ALPHABET)
def test_appending_never_reduces_segments(text: str, extra: str) -> None:
    assert analyze(text + extra).segments >= analyze(text).segments


@settings(deadline=None, max_examples=300)
@given(text=texts)
def test_packing_is_exact_and_greedy(text: str) -> None:
    info = analyze(text)
    parts = split_parts(text)
    assert "".join(parts) == text
    assert len(parts) == info.segments
    encoding = info.encoding
    cost = [[char_units(ch, encoding) for ch in part] for part in parts]
    assert sum(map(sum, cost)) == info.units
    for index, part_cost in enumerate(cost):
        assert sum(part_cost) <= info.per_segment
        if index + 1 < len(cost):  # greedy: the next part's first char did not fit
            assert sum(part_cost) + cost[index + 1][0] > info.per_segment
    if parts:
        assert info.remaining == info.per_segment - sum(cost[-1])
    single = 160 if encoding == "GSM-7" else 70
    assert (info.segments <= 1) == (info.units <= single)


@settings(deadline=None)
@given(text=texts)
def test_ucs2_positions_are_exactly_the_non_gsm_characters(text: str) -> None:
    info = analyze(text)
    outside = tuple(i for i, ch in enumerate(text) if ch not in GSM7_BASIC | GSM7_EXTENSION)
    assert info.ucs2_positions == outside
    assert (info.encoding == "UCS-2") == bool(outside)
    assert set(info.ucs2_chars) == {text[i] for i in outside}
    assert info.length == len(text)
