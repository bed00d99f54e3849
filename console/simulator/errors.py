"""Twilio's JSON error bodies and the texts the simulator uses for them.

Every refusal is ``{"code", "message", "more_info", "status"}`` (401 also carries ``detail``),
which twilio-python turns into ``TwilioRestException(status, uri, msg, code)``.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

MORE_INFO: Final = "https://www.twilio.com/docs/errors/{code}"

# error_message texts Twilio shows on a failed/undelivered Message (subject to change, per Twilio).
DELIVERY_ERROR_MESSAGES: Final[dict[int, str]] = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30032: "Toll-Free Number Has Not Been Verified",
    30034: "Message from an Unregistered Number",
    30450: "Message delivery blocked by SMS Pumping Protection",
}


class ApiError(Exception):
    """A refusal answered with Twilio's JSON error body."""

    def __init__(self, status: int, code: int, message: str, detail: str | None = None) -> None:
        """Keep the HTTP status, Twilio error code and message."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail

    def body(self) -> dict[str, Any]:
        """The JSON document Twilio sends for this error."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }
        if self.detail is not None:
            body["detail"] = self.detail
        return body

    def response(self) -> web.Response:
        """An aiohttp response carrying the body (with WWW-Authenticate on 401)."""
        headers = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if self.status == 401 else None
        return web.json_response(self.body(), status=self.status, headers=headers)


def bad_request(code: int, message: str) -> ApiError:
    """A 400 refusal of a create/update (validation errors)."""
    return ApiError(400, code, message)


def not_found(path: str) -> ApiError:
    """Twilio's 20404 for an unknown resource."""
    return ApiError(404, 20404, f"The requested resource {path} was not found")


def unauthenticated() -> ApiError:
    """Twilio's 20003 for missing or wrong credentials."""
    return ApiError(401, 20003, "Authenticate", "Your AccountSid or AuthToken was incorrect.")


def too_many_requests() -> ApiError:
    """Twilio's 20429 concurrency refusal (nothing was processed; safe to retry)."""
    return ApiError(429, 20429, "Too Many Requests")


def internal_error() -> ApiError:
    """A 500 before anything was stored."""
    return ApiError(500, 20500, "Internal Server Error")


def method_not_allowed(method: str) -> ApiError:
    """Twilio's 20004 for a method the resource does not support."""
    return ApiError(405, 20004, f"Method not allowed: {method}")
