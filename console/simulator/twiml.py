"""Reading the TwiML a webhook answered with: the ``<Message>`` replies it asks Twilio to send."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def reply_bodies(twiml: str) -> list[str]:
    """Bodies of ``<Response><Message>…</Message></Response>`` (or ``<Message><Body>``)."""
    text = twiml.strip()
    if not text.startswith("<"):
        return []
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return []
    if root.tag != "Response":
        return []
    bodies: list[str] = []
    for message in root.iter("Message"):
        body = message.find("Body")
        content = (body.text if body is not None else message.text) or ""
        if content.strip():
            bodies.append(content.strip())
    return bodies
