"""Scenarios: how the simulated world behaves after a message is accepted.

A ``Scenario`` is a frozen description (loadable from JSON, see ``scenario_json``): the mix of
final outcomes and error codes, per-recipient overrides, latencies, callback disorder and
duplication, API trouble (429 bursts, slow and failing creates), inbound replies / STOP / START
and scheduled inbound messages. ``Scenario.plan`` turns it into one message's ``DeliveryPlan``
using a caller-supplied ``random.Random``, so a seeded simulator is fully deterministic.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

FinalStatus = Literal["delivered", "undelivered", "failed"]
Range = tuple[float, float]

OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
)
OPT_IN_KEYWORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})


def opt_out_type(body: str) -> str | None:
    """Twilio's ``OptOutType`` for an inbound body (STOP / START / HELP), else None."""
    word = body.strip().upper()
    if word in OPT_OUT_KEYWORDS:
        return "STOP"
    if word in OPT_IN_KEYWORDS:
        return "START"
    if word in HELP_KEYWORDS:
        return "HELP"
    return None


def _check_range(name: str, value: Range) -> None:
    low, high = value
    if not 0 <= low <= high:
        raise ValueError(f"{name} must be [min, max] seconds with 0 <= min <= max, got {value}")


def _check_probability(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} is a probability between 0 and 1, got {value}")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One final outcome with its relative weight in the mix."""

    status: FinalStatus = "delivered"
    error_code: int | None = None
    weight: float = 1.0

    def __post_init__(self) -> None:
        """Delivered carries no error code; undelivered and failed must carry one."""
        if self.status not in ("delivered", "undelivered", "failed"):
            raise ValueError(f"an outcome is delivered, undelivered or failed, not {self.status}")
        if (self.status == "delivered") != (self.error_code is None):
            raise ValueError("only undelivered/failed outcomes carry an error_code (and must)")
        if self.weight < 0:
            raise ValueError("an outcome weight cannot be negative")


@dataclass(frozen=True, slots=True)
class RecipientRule:
    """Force the outcome (and optionally a reply) for recipients matching to / suffix / prefix."""

    outcome: Outcome
    to: str | None = None
    to_suffix: str | None = None
    to_prefix: str | None = None
    reply: str | None = None

    def __post_init__(self) -> None:
        """A rule must say which recipients it is for."""
        if self.to is None and self.to_suffix is None and self.to_prefix is None:
            raise ValueError("a recipient rule needs to, to_suffix or to_prefix")

    def matches(self, to: str) -> bool:
        """True when this rule applies to recipient ``to``."""
        return (
            (self.to is None or to == self.to)
            and (self.to_suffix is None or to.endswith(self.to_suffix))
            and (self.to_prefix is None or to.startswith(self.to_prefix))
        )


@dataclass(frozen=True, slots=True)
class Latency:
    """Seconds (uniform [min, max]) before each transition."""

    queued: Range = (0.0, 0.0)  # accepted → queued (Messaging Service only)
    sending: Range = (0.0, 0.0)
    sent: Range = (0.0, 0.0)
    final: Range = (0.0, 0.0)

    def __post_init__(self) -> None:
        """Ranges are non-negative and ordered."""
        for name in ("queued", "sending", "sent", "final"):
            _check_range(f"latency.{name}", getattr(self, name))


@dataclass(frozen=True, slots=True)
class ScheduledInbound:
    """An inbound SMS the simulator posts ``after`` seconds from start."""

    after: float
    from_: str
    to: str
    body: str


@dataclass(frozen=True, slots=True)
class Step:
    """One transition of a delivery plan: wait ``delay`` seconds, then become ``status``."""

    delay: float
    status: str
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    """What will happen to one outbound message."""

    steps: tuple[Step, ...]
    error_code: int | None
    out_of_order: bool
    # Inbound messages from the recipient after the final status: (delay seconds, body).
    follow_ups: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Scenario:
    """How the simulated world behaves (see module docstring; defaults: instant, all delivered)."""

    seed: int | None = None
    outcomes: tuple[Outcome, ...] = (Outcome(),)
    rules: tuple[RecipientRule, ...] = ()
    latency: Latency = field(default_factory=Latency)
    out_of_order: float = 0.0
    duplicates: float = 0.0
    throttle_creates: int = 0
    fail_creates: int = 0
    slow_creates: int = 0
    slow_create_delay: float = 0.0
    reply_probability: float = 0.0
    reply_bodies: tuple[str, ...] = ("Thanks, got it!",)
    reply_delay: Range = (0.0, 0.0)
    stop_probability: float = 0.0
    start_probability: float = 0.0
    inbound: tuple[ScheduledInbound, ...] = ()
    verification_delay: float | None = None

    def __post_init__(self) -> None:
        """Reject scenarios that cannot run, with the offending field named."""
        if not self.outcomes or sum(o.weight for o in self.outcomes) <= 0:
            raise ValueError("outcomes need at least one entry with a positive weight")
        for name in ("out_of_order", "duplicates", "reply_probability", "stop_probability"):
            _check_probability(name, getattr(self, name))
        _check_probability("start_probability", self.start_probability)
        _check_range("reply_delay", self.reply_delay)
        for name in ("throttle_creates", "fail_creates", "slow_creates"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if self.slow_create_delay < 0:
            raise ValueError("slow_create_delay cannot be negative")
        if self.verification_delay is not None and self.verification_delay < 0:
            raise ValueError("verification_delay cannot be negative")
        if not self.reply_bodies:
            raise ValueError("reply_bodies needs at least one body")

    def outcome_for(self, to: str, rng: random.Random) -> tuple[Outcome, RecipientRule | None]:
        """The outcome for recipient ``to``: the first matching rule, else a weighted draw."""
        for rule in self.rules:
            if rule.matches(to):
                return rule.outcome, rule
        weights = [o.weight for o in self.outcomes]
        return rng.choices(self.outcomes, weights=weights)[0], None

    def plan(self, to: str, *, via_service: bool, rng: random.Random) -> DeliveryPlan:
        """Draw one message's transitions, disorder, duplicates and follow-up inbound messages."""
        outcome, rule = self.outcome_for(to, rng)
        lat = self.latency
        stages: list[tuple[Range, str]] = []
        if via_service:
            stages.append((lat.queued, "queued"))
        stages.append((lat.sending, "sending"))
        if outcome.status != "failed":
            stages.append((lat.sent, "sent"))
        stages.append((lat.final, outcome.status))
        steps = tuple(
            Step(rng.uniform(*window), status, rng.random() < self.duplicates)
            for window, status in stages
        )
        out_of_order = rng.random() < self.out_of_order
        follow_ups: list[tuple[float, str]] = []
        if outcome.status == "delivered":
            if rule is not None and rule.reply is not None:
                follow_ups.append((rng.uniform(*self.reply_delay), rule.reply))
            elif rng.random() < self.stop_probability:
                follow_ups.append((rng.uniform(*self.reply_delay), "STOP"))
                if rng.random() < self.start_probability:
                    follow_ups.append((rng.uniform(*self.reply_delay), "START"))
            elif rng.random() < self.reply_probability:
                follow_ups.append((rng.uniform(*self.reply_delay), rng.choice(self.reply_bodies)))
        return DeliveryPlan(steps, outcome.error_code, out_of_order, tuple(follow_ups))


def demo_scenario() -> Scenario:
    """A realistic mix for demo mode: mostly delivered in 1–4 s, some carrier errors, replies."""
    return Scenario(
        seed=None,
        outcomes=(
            Outcome("delivered", None, 86.0),
            Outcome("undelivered", 30003, 4.0),
            Outcome("undelivered", 30005, 2.0),
            Outcome("undelivered", 30006, 2.0),
            Outcome("undelivered", 30007, 2.0),
            Outcome("undelivered", 30008, 2.0),
            Outcome("failed", 30008, 1.0),
            Outcome("failed", 30034, 1.0),
        ),
        latency=Latency(queued=(0.1, 0.2), sending=(0.2, 0.6), sent=(0.3, 1.2), final=(0.5, 2.0)),
        out_of_order=0.03,
        duplicates=0.02,
        reply_probability=0.2,
        reply_bodies=(
            "Thanks, got it!",
            "OK 👍",
            "Can you call me later?",
            "Who is this?",
            "Confirmed, see you then.",
        ),
        reply_delay=(2.0, 8.0),
        stop_probability=0.03,
        start_probability=0.3,
        verification_delay=8.0,
    )
