"""Trial-account rules: the predefined SMS templates, the old trial prefix, verified-number limit.

Current Twilio trial accounts may only send predefined template messages (error 572006
otherwise) to verified numbers (at most ``MAX_VERIFIED_CALLER_IDS``, shared with Voice).
``TEMPLATE_IDS`` are Twilio's template names. The template *bodies* below are the console's own
short, neutral wording: Twilio's exact template texts are not confirmed here, nor is how a
trial request selects a template (by matching body or by a template name in the request;
Twilio's 572006 page speaks of a "template name"). Treat a body match as the console's best
guess, not as Twilio's acceptance.

Older trial accounts could send free text, which Twilio prefixed with ``TRIAL_PREFIX``.
Every body is GSM-7 and fits one segment even with that prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_VERIFIED_CALLER_IDS",
    "TEMPLATE_IDS",
    "TRIAL_PREFIX",
    "TrialTemplate",
    "get_template",
    "matches_template",
    "templates",
]

#: Prefix older trial accounts added to every free-text message.
TRIAL_PREFIX: Final = "Sent from your Twilio trial account - "

#: Verified caller IDs a trial account may have (shared between SMS and Voice).
MAX_VERIFIED_CALLER_IDS: Final = 5

#: Twilio's trial template names, in Twilio's order.
TEMPLATE_IDS: Final[tuple[str, ...]] = (
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


@dataclass(frozen=True, slots=True)
class TrialTemplate:
    """A template a trial account can send: Twilio's id, a label and the console's body text."""

    id: str
    label: str
    body: str


_TEMPLATES: Final[tuple[TrialTemplate, ...]] = (
    TrialTemplate(
        "sms_2fa",
        "Two-factor code",
        "Your verification code is 123456. Do not share it with anyone.",
    ),
    TrialTemplate(
        "sms_appointment_reminders",
        "Appointment reminder",
        "Reminder: you have an appointment tomorrow at 10:00. Reply to reschedule.",
    ),
    TrialTemplate(
        "sms_order_confirmation",
        "Order confirmation",
        "Thank you for your order. We will let you know when it ships.",
    ),
    TrialTemplate(
        "sms_delivery_updates",
        "Delivery update",
        "Your package is on its way and should arrive within 2 business days.",
    ),
    TrialTemplate(
        "sms_customer_support",
        "Customer support",
        "Thanks for contacting support. An agent will reply to you shortly.",
    ),
    TrialTemplate(
        "sms_marketing_promotions",
        "Marketing promotion",
        "This week only: 10% off your next purchase. Reply STOP to opt out.",
    ),
    TrialTemplate(
        "sms_event_notifications",
        "Event notification",
        "Reminder: the event you registered for starts today at 18:00.",
    ),
    TrialTemplate(
        "sms_account_alerts",
        "Account alert",
        "Security alert: a new sign-in to your account was detected. Contact us if it was not you.",
    ),
    TrialTemplate(
        "sms_feedback_surveys",
        "Feedback survey",
        "How did we do? Reply with a number from 1 (poor) to 5 (excellent).",
    ),
    TrialTemplate(
        "sms_internal_alerts",
        "Internal alert",
        "Internal alert: a monitored system needs attention. Please check the dashboard.",
    ),
)

_BY_ID: Final[dict[str, TrialTemplate]] = {t.id: t for t in _TEMPLATES}
_BY_BODY: Final[dict[str, str]] = {t.body: t.id for t in _TEMPLATES}


def templates() -> tuple[TrialTemplate, ...]:
    """All trial templates, in ``TEMPLATE_IDS`` order."""
    return _TEMPLATES


def get_template(template_id: str) -> TrialTemplate:
    """The template called ``template_id``; ``KeyError`` naming the valid ids otherwise."""
    try:
        return _BY_ID[template_id]
    except KeyError:
        raise KeyError(
            f"{template_id!r} is not a trial template: use one of {', '.join(TEMPLATE_IDS)}."
        ) from None


def matches_template(body: str) -> str | None:
    """The id of the template whose body equals ``body`` (surrounding whitespace ignored)."""
    return _BY_BODY.get(body.strip())
