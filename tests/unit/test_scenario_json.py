"""Scenario files: everything a JSON file can say, and errors that say where it is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.simulator.scenario import Latency, Outcome, ScheduledInbound
from console.simulator.scenario_json import ScenarioError, load_scenario, scenario_from_dict

FULL = {
    "seed": 7,
    "outcomes": [
        {"status": "delivered", "weight": 90},
        {"status": "undelivered", "error_code": 30003, "weight": 10},
    ],
    "rules": [{"to_suffix": "0006", "status": "undelivered", "error_code": 30006}],
    "latency": {"queued": 0.1, "sending": [0.2, 0.5], "sent": [0.3, 1], "final": [0.5, 2]},
    "out_of_order": 0.1,
    "duplicates": 0.05,
    "throttle_creates": 2,
    "fail_creates": 1,
    "slow_creates": 1,
    "slow_create_delay": 20,
    "reply_probability": 0.2,
    "reply_bodies": ["Thanks!"],
    "reply_delay": [1, 5],
    "stop_probability": 0.02,
    "start_probability": 0.5,
    "inbound": [{"after": 3, "from": "+14155550150", "to": "+14155550100", "body": "hi"}],
    "verification_delay": 5,
}


def test_every_key_is_understood() -> None:
    s = scenario_from_dict(FULL)
    assert s.seed == 7
    assert s.outcomes == (Outcome("delivered", None, 90.0), Outcome("undelivered", 30003, 10.0))
    assert s.rules[0].to_suffix == "0006" and s.rules[0].outcome == Outcome("undelivered", 30006)
    assert s.latency == Latency((0.1, 0.1), (0.2, 0.5), (0.3, 1.0), (0.5, 2.0))
    assert (s.out_of_order, s.duplicates) == (0.1, 0.05)
    assert (s.throttle_creates, s.fail_creates, s.slow_creates) == (2, 1, 1)
    assert s.slow_create_delay == 20.0
    assert s.reply_bodies == ("Thanks!",) and s.reply_delay == (1.0, 5.0)
    assert (s.stop_probability, s.start_probability) == (0.02, 0.5)
    assert s.inbound == (ScheduledInbound(3.0, "+14155550150", "+14155550100", "hi"),)
    assert s.verification_delay == 5.0


def test_empty_object_is_the_default_scenario() -> None:
    s = scenario_from_dict({})
    assert s.outcomes == (Outcome(),) and s.seed is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"speed": 1}, "unknown key"),
        ({"outcomes": [{"status": "delivered", "colour": "red"}]}, r"outcomes\[0\]: unknown key"),
        ({"outcomes": [{"status": "undelivered"}]}, "error_code"),
        ({"outcomes": [{"status": "failed", "error_code": "30003"}]}, "integer"),
        ({"latency": {"sent": "fast"}}, r"latency\.sent must be a number"),
        ({"duplicates": True}, "duplicates must be a number"),
        ({"throttle_creates": 1.5}, "whole number"),
        ({"seed": "x"}, "seed"),
        ({"rules": [{"status": "delivered"}]}, "to, to_suffix or to_prefix"),
        ({"inbound": [{"from": "+1", "body": "x"}]}, r"inbound\[0\] is missing to"),
        ({"reply_bodies": [1]}, "list of strings"),
    ],
)
def test_bad_scenarios_say_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_from_dict(data)


def test_load_from_file(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(FULL), encoding="utf-8")
    assert load_scenario(path).seed == 7

    broken = tmp_path / "broken.json"
    broken.write_text("{\n  'seed': 1\n}", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"broken\.json is not valid JSON \(line 2"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="cannot read scenario file"):
        load_scenario(tmp_path / "missing.json")
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{"duplicates": 2}', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"wrong\.json: .*duplicates"):
        load_scenario(wrong)
