"""The parameters a signature is checked over: form bodies parsed exactly as Twilio encoded them.

The fast path (yarl's C parser) must give what ``urllib.parse.parse_qsl`` gives, or defer to it;
a difference would make valid signatures fail (or parse a forged body differently).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.webhooks.forms import FORM, JSON, BodyError, parse_body

PIECES = st.sampled_from(
    [
        *"ab=&%+;#?/ 2FfA0\x00\t\né€😀\\[]'\"<>",
        "%20",
        "%2B",
        "%26",
        "%3D",
        "%25",
        "%C3%A9",
        "%ff",
        "%7E",
        "%0A",
        "%00",
        "%E2%82",
    ]
)
UTF8 = st.text(st.characters(codec="utf-8"), max_size=30)
TEXTS = st.one_of(
    st.lists(PIECES, max_size=30).map("".join),
    st.text(st.characters(codec="utf-8"), max_size=40),
)


@settings(max_examples=3000, deadline=None)
@given(TEXTS)
def test_form_parsing_matches_the_standard_parser(text: str) -> None:
    try:
        expected = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(BodyError) as refused:
            parse_body(FORM, None, text.encode())
        assert refused.value.status == 400
        return
    assert list(parse_body(FORM, None, text.encode()).params.items()) == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(UTF8.filter(bool), UTF8), max_size=8))
def test_round_trip_of_encoded_parameters(pairs: list[tuple[str, str]]) -> None:
    raw = urlencode(pairs).encode()
    assert list(parse_body(FORM, "utf-8", raw).params.items()) == pairs


def test_repeated_names_are_kept_in_order() -> None:
    params = parse_body(FORM, None, b"MediaUrl=b&MessageSid=SM1&MediaUrl=a").params
    assert params.getall("MediaUrl") == ["b", "a"]


@pytest.mark.parametrize(
    ("raw", "status"),
    [(b"a=%FF", 400), (b"a=\xff", 400), (b"a=1&" * 1000, 400)],
)
def test_refusals(raw: bytes, status: int) -> None:
    with pytest.raises(BodyError) as refused:
        parse_body(FORM, None, raw)
    assert refused.value.status == status


def test_charsets() -> None:
    assert parse_body(FORM, "ISO-8859-1", "a=é".encode("latin-1")).params["a"] == "é"
    with pytest.raises(BodyError) as refused:
        parse_body(FORM, "rot13", b"a=1")
    assert refused.value.status == 415


def test_json_values_become_strings() -> None:
    body = parse_body(JSON, None, b'{"MessageSid": "SM1", "NumMedia": 2, "X": null, "Y": [1]}')
    assert body.is_json and dict(body.params) == {"MessageSid": "SM1", "NumMedia": "2", "Y": "[1]"}
    for raw in (b"[1]", b"{", b"[" * 3000 + b"]" * 3000):
        with pytest.raises(BodyError):
            parse_body(JSON, None, raw)
