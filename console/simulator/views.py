"""JSON representations of the simulator's records, field for field as Twilio's OpenAPI says.

Every property of the spec's schema is present (null when unknown), and nothing else is:
``tests/helpers_openapi.py`` checks that against tests/twilio_spec (a copy of twilio/twilio-oai).
"""

from __future__ import annotations

from typing import Any

from console.simulator.ids import API_VERSION, MESSAGING_HOST, iso8601, rfc2822
from console.simulator.state import (
    CallerIdRecord,
    MessageRecord,
    NumberRecord,
    PendingVerification,
    ServiceRecord,
    SimState,
)

_ACCOUNT_SUBRESOURCES = (
    ("messages", "Messages"),
    ("incoming_phone_numbers", "IncomingPhoneNumbers"),
    ("outgoing_caller_ids", "OutgoingCallerIds"),
    ("balance", "Balance"),
    ("calls", "Calls"),
    ("notifications", "Notifications"),
    ("applications", "Applications"),
    ("keys", "Keys"),
    ("usage", "Usage"),
)


def account_base(account_sid: str) -> str:
    """``/2010-04-01/Accounts/AC…`` (no suffix)."""
    return f"/{API_VERSION}/Accounts/{account_sid}"


def account_json(state: SimState, *, include_token: bool) -> dict[str, Any]:
    """The Account resource (the token only when the caller authenticated with it)."""
    base = account_base(state.account_sid)
    return {
        "auth_token": state.auth_token if include_token else None,
        "date_created": rfc2822(state.date_created),
        "date_updated": rfc2822(state.date_created),
        "friendly_name": state.friendly_name,
        "owner_account_sid": state.account_sid,
        "sid": state.account_sid,
        "status": "active",
        "subresource_uris": {key: f"{base}/{name}.json" for key, name in _ACCOUNT_SUBRESOURCES},
        "type": state.type,
        "uri": f"{base}.json",
    }


def balance_json(state: SimState) -> dict[str, Any]:
    """The Balance resource."""
    return {"account_sid": state.account_sid, "balance": state.balance, "currency": state.currency}


def message_json(m: MessageRecord) -> dict[str, Any]:
    """The Message resource in its current state."""
    base = f"{account_base(m.account_sid)}/Messages/{m.sid}"
    return {
        "account_sid": m.account_sid,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": rfc2822(m.date_created),
        "date_sent": rfc2822(m.date_sent),
        "date_updated": rfc2822(m.date_updated),
        "direction": m.direction,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "from": m.from_,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": str(m.num_media),
        "num_segments": str(m.num_segments),
        "price": m.price,
        "price_unit": m.price_unit,
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": {
            "media": f"{base}/Media.json",
            "feedback": f"{base}/Feedback.json",
        },
        "to": m.to,
        "uri": f"{base}.json",
    }


def number_json(account_sid: str, n: NumberRecord) -> dict[str, Any]:
    """The IncomingPhoneNumber resource."""
    return {
        "account_sid": account_sid,
        "address_requirements": "none",
        "address_sid": None,
        "api_version": API_VERSION,
        "beta": False,
        "capabilities": {"voice": n.voice, "sms": n.sms, "mms": n.mms, "fax": False},
        "date_created": rfc2822(n.date_created),
        "date_updated": rfc2822(n.date_updated),
        "emergency_status": "Inactive",
        "emergency_address_sid": None,
        "emergency_address_status": "unregistered",
        "friendly_name": n.friendly_name,
        "identity_sid": None,
        "origin": "twilio",
        "phone_number": n.phone_number,
        "sid": n.sid,
        "sms_application_sid": None,
        "sms_fallback_method": n.sms_fallback_method,
        "sms_fallback_url": n.sms_fallback_url,
        "sms_method": n.sms_method,
        "sms_url": n.sms_url,
        "status_callback": n.status_callback,
        "status_callback_method": n.status_callback_method,
        "trunk_sid": None,
        "uri": f"{account_base(account_sid)}/IncomingPhoneNumbers/{n.sid}.json",
        "voice_receive_mode": "voice",
        "voice_application_sid": None,
        "voice_caller_id_lookup": False,
        "voice_fallback_method": "POST",
        "voice_fallback_url": None,
        "voice_method": n.voice_method,
        "voice_url": n.voice_url,
        "bundle_sid": None,
        "status": "in-use",
        "type": "local",
    }


def caller_id_json(account_sid: str, c: CallerIdRecord) -> dict[str, Any]:
    """The OutgoingCallerId resource."""
    return {
        "account_sid": account_sid,
        "date_created": rfc2822(c.date_created),
        "date_updated": rfc2822(c.date_updated),
        "friendly_name": c.friendly_name,
        "phone_number": c.phone_number,
        "sid": c.sid,
        "uri": f"{account_base(account_sid)}/OutgoingCallerIds/{c.sid}.json",
    }


def validation_request_json(account_sid: str, p: PendingVerification) -> dict[str, Any]:
    """The ValidationRequest answer (carries the 6-digit code)."""
    return {
        "account_sid": account_sid,
        "call_sid": p.call_sid,
        "friendly_name": p.friendly_name,
        "phone_number": p.phone_number,
        "validation_code": p.validation_code,
    }


def service_url(sid: str) -> str:
    """The absolute URL of a Messaging Service (v1 APIs use absolute URLs)."""
    return f"{MESSAGING_HOST}/v1/Services/{sid}"


def service_json(account_sid: str, s: ServiceRecord) -> dict[str, Any]:
    """The Messaging Service resource (v1)."""
    url = service_url(s.sid)
    links = {
        "phone_numbers": f"{url}/PhoneNumbers",
        "short_codes": f"{url}/ShortCodes",
        "alpha_senders": f"{url}/AlphaSenders",
        "messages": f"{url}/Messages",
        "us_app_to_person": f"{url}/Compliance/Usa2p",
        "us_app_to_person_usecases": f"{url}/Compliance/Usa2p/Usecases",
        "channel_senders": f"{url}/ChannelSenders",
        "destination_alpha_senders": f"{url}/DestinationAlphaSenders",
    }
    return {
        "sid": s.sid,
        "account_sid": account_sid,
        "friendly_name": s.friendly_name,
        "date_created": iso8601(s.date_created),
        "date_updated": iso8601(s.date_updated),
        "inbound_request_url": s.inbound_request_url,
        "inbound_method": s.inbound_method,
        "fallback_url": s.fallback_url,
        "fallback_method": s.fallback_method,
        "status_callback": s.status_callback,
        "sticky_sender": s.sticky_sender,
        "mms_converter": True,
        "smart_encoding": False,
        "scan_message_content": "inherit",
        "fallback_to_long_code": False,
        "area_code_geomatch": True,
        "synchronous_validation": True,
        "validity_period": s.validity_period,
        "url": url,
        "links": links,
        "usecase": "notifications",
        "us_app_to_person_registered": False,
        "use_inbound_webhook_on_number": s.use_inbound_webhook_on_number,
    }
