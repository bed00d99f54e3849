"""Trial-account rules: template ids, bodies, matching, prefix and verified-number limit."""

from __future__ import annotations

import dataclasses

import pytest

from console.domain.segments import analyze
from console.domain.trial import (
    MAX_VERIFIED_CALLER_IDS,
    TEMPLATE_IDS,
    TRIAL_PREFIX,
    TrialTemplate,
    get_template,
    matches_template,
    templates,
)

FACTS_IDS = (
    "sms_2fa",
    "sms_appointment_reminders",
    "sms_order_confirmation",
    "sms_delivery_updates",
    "sms_customer_support",
    "sms_marketing_promotions",
    "sms_event_notifications",
    "sms_account_alerts",
    "sms_feedback_surveys",
    "sms_internal_alerts",
)


def test_template_ids_are_the_ten_from_facts_in_order() -> None:
    assert TEMPLATE_IDS == FACTS_IDS


def test_templates_follow_the_ids() -> None:
    assert tuple(t.id for t in templates()) == TEMPLATE_IDS


def test_labels_and_bodies_are_distinct_and_clean() -> None:
    all_templates = templates()
    assert len({t.label for t in all_templates}) == len(all_templates)
    assert len({t.body for t in all_templates}) == len(all_templates)
    for template in all_templates:
        assert template.label
        assert template.body
        assert template.body == template.body.strip()


@pytest.mark.parametrize("template", templates(), ids=lambda t: t.id)
def test_body_is_gsm7_and_one_segment_even_with_the_trial_prefix(template: TrialTemplate) -> None:
    info = analyze(TRIAL_PREFIX + template.body)
    assert info.encoding == "GSM-7"
    assert info.segments == 1


@pytest.mark.parametrize("template", templates(), ids=lambda t: t.id)
def test_each_body_matches_its_own_template(template: TrialTemplate) -> None:
    assert matches_template(template.body) == template.id
    assert matches_template(f"  \n{template.body}\t ") == template.id


def test_changed_bodies_do_not_match() -> None:
    body = get_template("sms_2fa").body
    assert matches_template(body[:-1]) is None
    assert matches_template(body.upper()) is None
    assert matches_template(TRIAL_PREFIX + body) is None
    assert matches_template("") is None
    assert matches_template("Hello there") is None


def test_get_template() -> None:
    assert get_template("sms_delivery_updates").label == "Delivery update"
    with pytest.raises(KeyError, match="sms_2fa"):
        get_template("sms_unknown")


def test_template_is_frozen() -> None:
    template = get_template("sms_2fa")
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.body = "changed"  # type: ignore[misc]


def test_trial_constants() -> None:
    assert TRIAL_PREFIX == "Sent from your Twilio trial account - "
    assert MAX_VERIFIED_CALLER_IDS == 5
