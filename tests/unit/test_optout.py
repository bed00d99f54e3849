"""Opt-out/opt-in keyword recognition (Twilio's default keywords and OptOutType)."""

from __future__ import annotations

import pytest

from console.domain.optout import OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS, OptChange, classify


@pytest.mark.parametrize(
    "word", ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]
)
def test_every_opt_out_keyword(word: str) -> None:
    assert word in OPT_OUT_KEYWORDS
    assert classify(word) == OptChange(True, word)
    assert classify(f"  {word.lower()}.\n") == OptChange(True, word)


@pytest.mark.parametrize("word", ["START", "UNSTOP"])
def test_opt_in_keywords(word: str) -> None:
    assert word in OPT_IN_KEYWORDS
    assert classify(word.capitalize() + "!") == OptChange(False, word)


@pytest.mark.parametrize(
    "body", ["", "stop it", "please stop", "STOPPED", "HELP", "start now", "Stop sending me"]
)
def test_other_messages_change_nothing(body: str) -> None:
    assert classify(body) is None


def test_opt_out_type_wins() -> None:
    assert classify("arrêtez", "STOP") == OptChange(True, "STOP")
    assert classify("Quit", "stop") == OptChange(True, "QUIT")
    assert classify("yes please", "START") == OptChange(False, "START")
    assert classify("STOP", "HELP") is None


def test_unknown_opt_out_type_falls_back_to_the_body() -> None:
    assert classify("STOP", "SOMETHINGNEW") == OptChange(True, "STOP")
    assert classify("hello", "SOMETHINGNEW") is None
