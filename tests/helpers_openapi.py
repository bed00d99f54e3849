"""Validate JSON the simulator sends against Twilio's own OpenAPI descriptions.

The spec (``../shared/twilio-spec``) is OpenAPI 3.0: ``nullable: true`` is rewritten to JSON
Schema's ``[type, "null"]``, and ``$ref``s are resolved through a ``referencing`` registry.
Twilio always sends every property of a resource (null when unknown) and nothing else, but the
spec lists no ``required`` properties; ``strict`` (the default) adds ``required`` = all properties
and ``additionalProperties: false`` to every object schema, so a missing or invented field fails.
Twilio's formats are checked too: RFC 2822 and ISO 8601 dates, E.164 numbers, currencies, URIs.
Error bodies (which the spec does not describe) must be ``{code, message, more_info, status}``
(+ optional ``detail``) with ``status`` equal to the HTTP status.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SpecName = Literal["api_v2010", "messaging_v1"]
# A copy of ../shared/twilio-spec (twilio/twilio-oai, see SOURCE.txt), so a clone is complete.
SPEC_DIR = Path(__file__).resolve().parent / "twilio_spec"
_FILES: dict[SpecName, str] = {
    "api_v2010": "twilio_api_v2010.json",
    "messaging_v1": "twilio_messaging_v1.json",
}
_RFC2822 = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000")
_E164 = re.compile(r"(?:[a-z]+:)?\+[1-9]\d{1,14}")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
    },
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Exchange:
    """One HTTP request/response the client saw."""

    method: str
    url: str
    status: int
    text: str


def _openapi_to_jsonschema(node: Any, *, strict: bool) -> Any:
    if isinstance(node, list):
        return [_openapi_to_jsonschema(item, strict=strict) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi_to_jsonschema(value, strict=strict) for key, value in node.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list):
            out["enum"] = [*out["enum"], None]
    props = out.get("properties")
    if strict and isinstance(props, dict) and all(isinstance(v, dict) for v in props.values()):
        out.setdefault("required", sorted(props))
        out.setdefault("additionalProperties", False)
    return out


@cache
def load_spec(name: SpecName, strict: bool = True) -> dict[str, Any]:
    """The spec as JSON Schema (nullable rewritten; strict objects unless ``strict=False``)."""
    path = SPEC_DIR / _FILES[name]
    if not path.is_file():
        raise FileNotFoundError(f"Twilio's OpenAPI spec is expected at {path}")
    raw = json.loads(path.read_text(encoding="utf-8"))
    # Only the schema parts are transformed: "properties" elsewhere (e.g. request bodies) too,
    # which is harmless because only response schemas are validated.
    return _openapi_to_jsonschema(copy.deepcopy(raw), strict=strict)  # type: ignore[no-any-return]


def _format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()

    @checker.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
    def _rfc2822(value: object) -> bool:
        return not isinstance(value, str) or bool(
            _RFC2822.fullmatch(value) and parsedate_to_datetime(value)
        )

    @checker.checks("date-time", raises=ValueError)
    def _iso(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None

    @checker.checks("phone-number")
    def _phone(value: object) -> bool:
        return not isinstance(value, str) or bool(_E164.fullmatch(value))

    @checker.checks("currency")
    def _currency(value: object) -> bool:
        return not isinstance(value, str) or bool(re.fullmatch(r"[A-Za-z]{3}", value))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        # Twilio's *_uri fields are relative ("/2010-04-01/…"); callback URLs are absolute.
        if not isinstance(value, str) or value == "":
            return True
        parts = urlsplit(value)
        return value.startswith("/") or (parts.scheme in ("http", "https") and bool(parts.netloc))

    @checker.checks("uri-map")
    def _uri_map(value: object) -> bool:
        return not isinstance(value, dict) or all(
            isinstance(v, str) and _uri(v) for v in value.values()
        )

    return checker


@cache
def _registry(strict: bool) -> Registry:
    registry: Registry = Registry()
    for name in _FILES:
        resource = Resource.from_contents(
            load_spec(name, strict), default_specification=DRAFT202012
        )
        registry = registry.with_resource(f"urn:twilio:{name}", resource)
    return registry


def _pointer(*parts: str) -> str:
    escaped = [p.replace("~", "~0").replace("/", "~1") for p in parts]
    return quote("/" + "/".join(escaped), safe="/~")


def validate(instance: Any, name: SpecName, *parts: str, strict: bool = True) -> None:
    """Validate ``instance`` against the schema at JSON-pointer ``parts`` of spec ``name``."""
    schema = {"$ref": f"urn:twilio:{name}#{_pointer(*parts)}"}
    validator = jsonschema.Draft202012Validator(
        schema, registry=_registry(strict), format_checker=_format_checker()
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:8])
        raise AssertionError(f"not as Twilio's OpenAPI says ({'/'.join(parts)}): {details}")


def validate_component(instance: Any, name: SpecName, component: str) -> None:
    """Validate against ``#/components/schemas/<component>``."""
    validate(instance, name, "components", "schemas", component)


def _template_regex(template: str) -> re.Pattern[str]:
    pieces = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces)
    return re.compile(body)


def match_operation(path: str) -> tuple[SpecName, str]:
    """Which spec and path template a concrete request path belongs to."""
    name: SpecName = "messaging_v1" if path.startswith("/v1/") else "api_v2010"
    candidates = [t for t in load_spec(name)["paths"] if _template_regex(t).fullmatch(path)]
    if not candidates:
        raise AssertionError(f"{path} is not an endpoint of Twilio's {name} API")
    # The most literal template wins (e.g. /Services/PreregisteredUsa2p over /Services/{Sid}).
    return name, max(candidates, key=lambda t: len(re.sub(r"\{[^}]+\}", "", t)))


def assert_response_conforms(method: str, url: str, status: int, text: str) -> None:
    """One response: a documented status and a body matching its schema (or the error shape)."""
    path = urlsplit(url).path
    name, template = match_operation(path)
    if status >= 400:
        body = json.loads(text)
        jsonschema.validate(body, ERROR_SCHEMA)
        assert body["status"] == status, f"error body status {body['status']} != HTTP {status}"
        return
    operation = load_spec(name)["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not an operation Twilio offers"
    responses = operation["responses"]
    assert str(status) in responses, f"{method} {template} never answers {status}"
    content = responses[str(status)].get("content")
    if content is None:
        assert text == "", f"{method} {template} answers {status} without a body"
        return
    validate(
        json.loads(text),
        name,
        "paths",
        template,
        method.lower(),
        "responses",
        str(status),
        "content",
        "application/json",
        "schema",
    )


def assert_all_conform(exchanges: Iterable[Exchange]) -> int:
    """Check every exchange; return how many were checked."""
    count = 0
    for ex in exchanges:
        assert_response_conforms(ex.method, ex.url, ex.status, ex.text)
        count += 1
    return count
