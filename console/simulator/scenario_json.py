"""Scenario files: JSON in, ``Scenario`` out, with errors that name the offending key.

Example (every key optional; ranges are ``[min, max]`` seconds or one number)::

    {
      "seed": 7,
      "outcomes": [{"status": "delivered", "weight": 90},
                   {"status": "undelivered", "error_code": 30003, "weight": 10}],
      "rules": [{"to_suffix": "0006", "status": "undelivered", "error_code": 30006}],
      "latency": {"queued": 0.1, "sending": [0.2, 0.5], "sent": [0.3, 1], "final": [0.5, 2]},
      "out_of_order": 0.1, "duplicates": 0.05,
      "throttle_creates": 0, "fail_creates": 0, "slow_creates": 0, "slow_create_delay": 0,
      "reply_probability": 0.2, "reply_bodies": ["Thanks!"], "reply_delay": [1, 5],
      "stop_probability": 0.02, "start_probability": 0.5,
      "inbound": [{"after": 3, "from": "+14155550150", "to": "+14155550100", "body": "hi"}],
      "verification_delay": 5
    }
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console.simulator.scenario import (
    Latency,
    Outcome,
    Range,
    RecipientRule,
    Scenario,
    ScheduledInbound,
)

_TOP_KEYS = frozenset(
    {
        "seed",
        "outcomes",
        "rules",
        "latency",
        "out_of_order",
        "duplicates",
        "throttle_creates",
        "fail_creates",
        "slow_creates",
        "slow_create_delay",
        "reply_probability",
        "reply_bodies",
        "reply_delay",
        "stop_probability",
        "start_probability",
        "inbound",
        "verification_delay",
    }
)
_FLOATS = ("out_of_order", "duplicates", "slow_create_delay", "reply_probability")
_FLOATS2 = ("stop_probability", "start_probability")
_INTS = ("throttle_creates", "fail_creates", "slow_creates")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message says where and why."""


def _number(where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError(f"{where} must be a number, got {value!r}")
    return float(value)


def _range(where: str, value: object) -> Range:
    if isinstance(value, list) and len(value) == 2:
        return (_number(where, value[0]), _number(where, value[1]))
    number = _number(where, value)
    return (number, number)


def _object(where: str, value: object, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where} must be a JSON object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return value


def _outcome(where: str, raw: dict[str, Any]) -> Outcome:
    code = raw.get("error_code")
    if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
        raise ScenarioError(f"{where}.error_code must be an integer Twilio error code")
    return Outcome(
        status=raw.get("status", "delivered"),
        error_code=code,
        weight=_number(f"{where}.weight", raw.get("weight", 1.0)),
    )


def _build(data: dict[str, Any]) -> Scenario:
    kwargs: dict[str, Any] = {}
    if "seed" in data:
        seed = data["seed"]
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ScenarioError("seed must be an integer or null")
        kwargs["seed"] = seed
    if "outcomes" in data:
        keys = frozenset({"status", "error_code", "weight"})
        kwargs["outcomes"] = tuple(
            _outcome(f"outcomes[{i}]", _object(f"outcomes[{i}]", raw, keys))
            for i, raw in enumerate(data["outcomes"])
        )
    if "rules" in data:
        keys = frozenset({"to", "to_suffix", "to_prefix", "status", "error_code", "reply"})
        rules = []
        for i, raw in enumerate(data["rules"]):
            obj = _object(f"rules[{i}]", raw, keys)
            rules.append(
                RecipientRule(
                    outcome=_outcome(f"rules[{i}]", obj),
                    to=obj.get("to"),
                    to_suffix=obj.get("to_suffix"),
                    to_prefix=obj.get("to_prefix"),
                    reply=obj.get("reply"),
                )
            )
        kwargs["rules"] = tuple(rules)
    if "latency" in data:
        keys = frozenset({"queued", "sending", "sent", "final"})
        obj = _object("latency", data["latency"], keys)
        kwargs["latency"] = Latency(**{k: _range(f"latency.{k}", v) for k, v in obj.items()})
    for name in (*_FLOATS, *_FLOATS2):
        if name in data:
            kwargs[name] = _number(name, data[name])
    for name in _INTS:
        if name in data:
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScenarioError(f"{name} must be a whole number")
            kwargs[name] = value
    if "reply_bodies" in data:
        bodies = data["reply_bodies"]
        if not isinstance(bodies, list) or not all(isinstance(b, str) for b in bodies):
            raise ScenarioError("reply_bodies must be a list of strings")
        kwargs["reply_bodies"] = tuple(bodies)
    if "reply_delay" in data:
        kwargs["reply_delay"] = _range("reply_delay", data["reply_delay"])
    if "inbound" in data:
        keys = frozenset({"after", "from", "to", "body"})
        items = []
        for i, raw in enumerate(data["inbound"]):
            obj = _object(f"inbound[{i}]", raw, keys)
            missing = sorted({"from", "to", "body"} - set(obj))
            if missing:
                raise ScenarioError(f"inbound[{i}] is missing {', '.join(missing)}")
            after = _number(f"inbound[{i}].after", obj.get("after", 0))
            items.append(
                ScheduledInbound(after, str(obj["from"]), str(obj["to"]), str(obj["body"]))
            )
        kwargs["inbound"] = tuple(items)
    if "verification_delay" in data and data["verification_delay"] is not None:
        kwargs["verification_delay"] = _number("verification_delay", data["verification_delay"])
    return Scenario(**kwargs)


def scenario_from_dict(data: object) -> Scenario:
    """Build a ``Scenario`` from parsed JSON; raise ``ScenarioError`` saying what is wrong."""
    obj = _object("scenario", data, _TOP_KEYS)
    try:
        return _build(obj)
    except ScenarioError:
        raise
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"invalid scenario: {exc}") from exc


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario JSON file; errors name the file and the problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    try:
        return scenario_from_dict(data)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
