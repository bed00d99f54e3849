"""The Twilio error catalog: coverage of FACTS.md, flags, and explain() on every input shape."""

from __future__ import annotations

import pytest

from console.domain.errors import CATALOG, ErrorInfo, error_url, explain

# Every code FACTS.md names ("Error codes worth explaining" and the trial section).
FACTS_CODES = (
    21211, 21408, 21608, 21610, 21614, 21606, 21607, 21212, 21611, 30001, 20003, 20429,
    30003, 30004, 30005, 30006, 30007, 30008, 30032, 30034, 30450, 572002, 572005, 572006,
    14111,
)  # fmt: skip
# Further codes the console explains (request validation and account state).
EXTRA_CODES = (21602, 21617, 21603, 21604, 21620, 30002, 30009, 30010, 21266, 20404, 20001)


@pytest.mark.parametrize("code", FACTS_CODES + EXTRA_CODES)
def test_code_is_explained_with_texts(code: int) -> None:
    info = CATALOG[code]
    assert info.code == code
    assert info.url == f"https://www.twilio.com/docs/errors/{code}"
    for text in (info.title, info.cause, info.action):
        assert text.strip() == text
        assert text
    assert len(info.title) <= 45, "titles go in a table cell"
    assert info.cause.endswith(".")
    assert info.action.endswith(".")


def test_catalog_keys_match_entries() -> None:
    assert all(key == info.code for key, info in CATALOG.items())


def test_catalog_is_read_only() -> None:
    with pytest.raises(TypeError):
        CATALOG[1] = CATALOG[20003]  # type: ignore[index]


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (20429, True),
        (30003, True),
        (30008, True),
        (21611, True),
        (30001, True),
        (30450, True),
        (21610, False),
        (30006, False),
        (21211, False),
        (30007, False),
        (20003, False),
        (21608, False),
        (572006, False),
    ],
)
def test_retryable_matches_facts(code: int, retryable: bool) -> None:
    assert CATALOG[code].retryable is retryable


@pytest.mark.parametrize("code", [21610, 30005, 30006, 21614, 21211])
def test_final_for_lasting_recipient_problems(code: int) -> None:
    assert CATALOG[code].final is True
    assert CATALOG[code].retryable is False


@pytest.mark.parametrize("code", [20429, 30003, 30008, 20003, 21408])
def test_not_final_when_the_recipient_number_is_fine(code: int) -> None:
    assert CATALOG[code].final is False


def test_no_entry_is_both_final_and_retryable() -> None:
    assert not [info.code for info in CATALOG.values() if info.final and info.retryable]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (21610, "START"),
        (21408, "Geo Permissions"),
        (21608, "Verify"),
        (21607, "trial number"),
        (20003, "Auth Token"),
        (21611, "10 hours"),
        (30007, "spam"),
        (30032, "Toll-Free Verification"),
        (30034, "10DLC"),
        (30450, "SMS Pumping Protection"),
        (572006, "template"),
        (21617, "1,600"),
    ],
)
def test_texts_carry_the_key_fact(code: int, words: str) -> None:
    info = CATALOG[code]
    assert words.lower() in f"{info.title} {info.cause} {info.action}".lower()


class TestExplain:
    """explain() on ints, strings, empties and unknown codes."""

    def test_int_and_str_give_the_same_entry(self) -> None:
        assert explain(30007) is CATALOG[30007]
        assert explain("30007") is CATALOG[30007]
        assert explain(" 30007 ") is CATALOG[30007]

    @pytest.mark.parametrize("empty", [None, "", "  ", "0", 0])
    def test_no_error_gives_none(self, empty: int | str | None) -> None:
        assert explain(empty) is None

    @pytest.mark.parametrize("code", [12345, "12345"])
    def test_unknown_code_gets_a_generic_entry(self, code: int | str) -> None:
        info = explain(code)
        assert isinstance(info, ErrorInfo)
        assert info.code == 12345
        assert info.url == "https://www.twilio.com/docs/errors/12345"
        assert "not in the console's catalog" in info.cause
        assert "12345" in info.title
        assert info.action
        assert (info.retryable, info.final) == (False, False)

    @pytest.mark.parametrize("bad", ["abc", "30007x", "-5", "3.0", "\u0663"])
    def test_text_that_is_not_a_code_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="not a Twilio error code"):
            explain(bad)

    def test_negative_int_is_refused(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            explain(-1)


def test_error_url() -> None:
    assert error_url(30003) == "https://www.twilio.com/docs/errors/30003"
