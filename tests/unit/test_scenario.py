"""Scenario rules, delivery plans, determinism and the demo mix (pure, no I/O)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from console.simulator.scenario import (
    Latency,
    Outcome,
    RecipientRule,
    Scenario,
    demo_scenario,
    opt_out_type,
)


def _statuses(
    scenario: Scenario, to: str = "+14155550123", *, via_service: bool = False
) -> list[str]:
    plan = scenario.plan(to, via_service=via_service, rng=random.Random(0))
    return [s.status for s in plan.steps]


def test_default_scenario_delivers_instantly() -> None:
    plan = Scenario().plan("+14155550123", via_service=False, rng=random.Random(1))
    assert [s.status for s in plan.steps] == ["sending", "sent", "delivered"]
    assert all(s.delay == 0 and not s.duplicate for s in plan.steps)
    assert plan.error_code is None and not plan.out_of_order and plan.follow_ups == ()


def test_lifecycles_per_outcome() -> None:
    und = Scenario(outcomes=(Outcome("undelivered", 30003),))
    failed = Scenario(outcomes=(Outcome("failed", 30001),))
    assert _statuses(und) == ["sending", "sent", "undelivered"]
    assert _statuses(failed) == ["sending", "failed"]
    assert _statuses(Scenario(), via_service=True) == ["queued", "sending", "sent", "delivered"]


def test_recipient_rules_win_over_the_mix() -> None:
    scenario = Scenario(
        rules=(
            RecipientRule(Outcome("undelivered", 30006), to_suffix="0006"),
            RecipientRule(Outcome("failed", 30005), to_prefix="+44"),
            RecipientRule(Outcome("delivered"), to="+14155550123", reply="Yes"),
        )
    )
    rng = random.Random(3)
    assert scenario.plan("+14155550006", via_service=False, rng=rng).error_code == 30006
    assert scenario.plan("+447911123456", via_service=False, rng=rng).error_code == 30005
    replied = scenario.plan("+14155550123", via_service=False, rng=rng)
    assert [body for _, body in replied.follow_ups] == ["Yes"]
    assert scenario.plan("+14155550124", via_service=False, rng=rng).error_code is None


def test_weights_shape_the_mix() -> None:
    scenario = Scenario(outcomes=(Outcome("delivered", None, 3), Outcome("failed", 30008, 1)))
    rng = random.Random(11)
    codes = [
        scenario.plan("+14155550123", via_service=False, rng=rng).error_code for _ in range(2000)
    ]
    share = codes.count(None) / len(codes)
    assert 0.70 < share < 0.80


def test_same_seed_same_plans_different_seed_different_plans() -> None:
    scenario = demo_scenario()

    def plans(seed: int) -> list[object]:
        rng = random.Random(seed)
        return [scenario.plan(f"+1415555{i:04d}", via_service=False, rng=rng) for i in range(50)]

    assert plans(7) == plans(7)
    assert plans(7) != plans(8)


def test_latencies_are_drawn_within_their_ranges() -> None:
    latency = Latency(sending=(0.5, 1.0), sent=(2.0, 2.0), final=(0.0, 3.0))
    rng = random.Random(5)
    for _ in range(100):
        s1, s2, s3 = (
            Scenario(latency=latency).plan("+14155550123", via_service=False, rng=rng).steps
        )
        assert 0.5 <= s1.delay <= 1.0 and s2.delay == 2.0 and 0.0 <= s3.delay <= 3.0


def test_stop_then_start_follow_ups() -> None:
    scenario = Scenario(stop_probability=1.0, start_probability=1.0, reply_delay=(1.0, 2.0))
    plan = scenario.plan("+14155550123", via_service=False, rng=random.Random(2))
    assert [body for _, body in plan.follow_ups] == ["STOP", "START"]
    assert all(1.0 <= delay <= 2.0 for delay, _ in plan.follow_ups)
    undelivered = Scenario(outcomes=(Outcome("undelivered", 30003),), reply_probability=1.0)
    assert (
        undelivered.plan("+14155550123", via_service=False, rng=random.Random(2)).follow_ups == ()
    )


def test_disorder_and_duplicates_flags() -> None:
    plan = Scenario(out_of_order=1.0, duplicates=1.0).plan(
        "+14155550123", via_service=False, rng=random.Random(0)
    )
    assert plan.out_of_order and all(s.duplicate for s in plan.steps)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Outcome("delivered", 30003), "error_code"),
        (lambda: Outcome("undelivered"), "error_code"),
        # "sent" is not a final status: the type checker refuses it too, the runtime must as well
        (lambda: Outcome("sent"), "delivered, undelivered or failed"),  # type: ignore[arg-type]
        (lambda: Outcome(weight=-1), "negative"),
        (lambda: RecipientRule(Outcome()), "to, to_suffix or to_prefix"),
        (lambda: Latency(sent=(2.0, 1.0)), "latency.sent"),
        (lambda: Scenario(outcomes=()), "outcomes"),
        (lambda: Scenario(duplicates=1.5), "duplicates"),
        (lambda: Scenario(throttle_creates=-1), "throttle_creates"),
        (lambda: Scenario(reply_bodies=()), "reply_bodies"),
    ],
)
def test_invalid_scenarios_are_refused_with_the_field_named(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_demo_scenario_is_realistic() -> None:
    demo = demo_scenario()
    total = sum(o.weight for o in demo.outcomes)
    delivered = sum(o.weight for o in demo.outcomes if o.status == "delivered")
    assert 0.8 <= delivered / total < 0.95
    codes = {o.error_code for o in demo.outcomes}
    assert {30003, 30005, 30006, 30007} <= codes
    lat = demo.latency
    fastest = lat.sending[0] + lat.sent[0] + lat.final[0]
    slowest = lat.queued[1] + lat.sending[1] + lat.sent[1] + lat.final[1]
    assert fastest >= 1.0 and slowest <= 4.0
    assert 0.15 <= demo.reply_probability <= 0.25 and 0 < demo.stop_probability < 0.1


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", "STOP"),
        ("stop ", "STOP"),
        ("Unsubscribe", "STOP"),
        ("START", "START"),
        ("yes", "START"),
        ("HELP", "HELP"),
        ("please stop", None),
        ("", None),
    ],
)
def test_opt_out_type(body: str, kind: str | None) -> None:
    assert opt_out_type(body) == kind
