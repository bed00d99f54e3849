"""Request bodies of webhooks: form-encoded (what Twilio sends for SMS) or JSON, parsed strictly.

Parsing never raises anything but :class:`BodyError`, which carries the HTTP status to answer
(400 for malformed bodies, 415 for an unusable charset) and a reason for the request log.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from multidict import MultiDict, MultiDictProxy
from yarl import URL

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
ACCEPTED_TYPES = (FORM, JSON)
MAX_FIELDS = 1000
_HIGH_ESCAPE = re.compile(r"%[89a-fA-F]")
_CHARSETS = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1"})


class BodyError(Exception):
    """The body cannot be used; ``status`` is the HTTP status to answer (400 or 415)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Body:
    """A parsed body: its parameters (repeated names kept, in order) and whether it was JSON."""

    params: MultiDictProxy[str]
    is_json: bool


def _json_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _fast_utf8(text: str) -> MultiDictProxy[str] | None:
    """yarl's C query parser, used when it gives exactly what ``parse_qsl`` would.

    That is whenever no percent-escape encodes a byte ≥ 0x80: such a byte may start invalid
    UTF-8, which yarl would replace silently while the strict parser refuses it (400). None
    means "use parse_qsl". Equivalence is property-tested in tests/unit/test_signature_params.py.
    """
    if _HIGH_ESCAPE.search(text) or text.count("&") >= MAX_FIELDS:
        return None
    return URL.build(query_string=text, encoded=True).query


def parse_body(content_type: str, charset: str | None, raw: bytes) -> Body:
    """Parse ``raw`` as ``content_type`` (one of :data:`ACCEPTED_TYPES`)."""
    if content_type == JSON:
        return _parse_json(raw)
    encoding = (charset or "utf-8").strip() or "utf-8"
    try:
        known = codecs.lookup(encoding).name in _CHARSETS
    except LookupError:
        known = False
    if not known:
        raise BodyError(415, f"unsupported charset {encoding[:40]!r}; send UTF-8")
    try:
        text = raw.decode(encoding)
        fast = _fast_utf8(text) if encoding == "utf-8" else None
        pairs = (
            fast
            if fast is not None
            else parse_qsl(
                text,
                keep_blank_values=True,
                encoding=encoding,
                errors="strict",
                max_num_fields=MAX_FIELDS,
            )
        )
    except UnicodeError:
        raise BodyError(400, f"the form body is not valid {encoding} text") from None
    except ValueError as exc:
        raise BodyError(400, f"malformed form body: {exc}") from None
    if isinstance(pairs, MultiDictProxy):  # yarl's result is already read-only
        return Body(pairs, is_json=False)
    return Body(MultiDictProxy(MultiDict(pairs)), is_json=False)


def _parse_json(raw: bytes) -> Body:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeError:
        raise BodyError(400, "the JSON body is not valid UTF-8") from None
    except RecursionError:
        raise BodyError(400, "the JSON body is nested too deeply") from None
    except ValueError as exc:
        raise BodyError(400, f"malformed JSON body: {exc}") from None
    if not isinstance(data, dict):
        raise BodyError(400, "the JSON body must be an object of parameters")
    if len(data) > MAX_FIELDS:
        raise BodyError(400, f"the JSON body has more than {MAX_FIELDS} parameters")
    params: MultiDict[str] = MultiDict()
    try:
        for key, value in data.items():
            if value is not None:
                params.add(key, _json_value(value))
    except RecursionError:
        raise BodyError(400, "the JSON body is nested too deeply") from None
    return Body(MultiDictProxy(params), is_json=True)
