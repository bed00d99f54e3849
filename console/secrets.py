"""Credentials: kept in the OS keyring per profile, overridable by environment variables per run.

A profile is one place: every field (SIDs, numbers and the secrets) is one keyring entry under the
service name, with the username ``"<profile>:<field>"``. Keyring calls can hang (an unlock prompt
nobody answers on a headless Linux), so every call runs in a worker thread with a timeout, off
the calling event loop. When no usable keyring exists the store raises ``KeyringUnavailable``
saying what to do; it never falls back to a plaintext file. Secrets are masked in every
``repr``/``str`` and never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Final, TypeVar

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail

__all__ = [
    "ENV_VARS",
    "BackendStatus",
    "Credentials",
    "KeyringUnavailable",
    "SecretStore",
    "from_environment",
    "mask_secret",
    "mask_sid",
    "merge",
    "resolve",
    "withhold_from_children",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Credentials field -> environment variable that overrides it for one run.
ENV_VARS: Final[Mapping[str, str]] = {
    "account_sid": "TWILIO_ACCOUNT_SID",
    "auth_token": "TWILIO_AUTH_TOKEN",
    "api_key_sid": "TWILIO_API_KEY",
    "api_key_secret": "TWILIO_API_SECRET",
    "from_number": "TWILIO_FROM_NUMBER",
    "messaging_service_sid": "TWILIO_MESSAGING_SERVICE_SID",
    "ngrok_authtoken": "NGROK_AUTHTOKEN",
}
_SECRET_FIELDS: Final = frozenset({"auth_token", "api_key_secret", "ngrok_authtoken"})
_SID_FIELDS: Final = frozenset({"account_sid", "api_key_sid", "messaging_service_sid"})
_HOW_TO_FIX: Final = (
    "install and unlock a Secret Service (e.g. gnome-keyring) or another OS keyring, "
    "or, for headless runs, set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN "
    "(and the other TWILIO_* variables) in the environment"
)


def mask_sid(value: str) -> str:
    """``AC12…cdef`` for a SID (short values are fully hidden); ``""`` stays ``""``."""
    if not value:
        return ""
    if len(value) <= 10:
        return "••••"
    return f"{value[:4]}…{value[-4:]}"


def mask_secret(value: str) -> str:
    """``••••`` for any non-empty secret (nothing of it is shown); ``""`` stays ``""``."""
    return "••••" if value else ""


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """One profile's Twilio (and ngrok) credentials; empty strings mean "not set"."""

    account_sid: str = ""
    auth_token: str = ""
    api_key_sid: str = ""
    api_key_secret: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    ngrok_authtoken: str = ""

    @property
    def has_rest_auth(self) -> bool:
        """True when REST calls can authenticate (Account SID plus Auth Token or API key)."""
        key = bool(self.api_key_sid and self.api_key_secret)
        return bool(self.account_sid and (self.auth_token or key))

    @property
    def has_webhook_auth(self) -> bool:
        """True when webhook signatures can be checked: that needs the Auth Token itself."""
        return bool(self.auth_token)

    @property
    def uses_api_key(self) -> bool:
        """True when REST calls authenticate with the API key rather than the Auth Token."""
        return bool(self.api_key_sid and self.api_key_secret)

    @property
    def is_empty(self) -> bool:
        """True when no field is set."""
        return not any(getattr(self, f.name) for f in fields(self))

    def masked(self) -> dict[str, str]:
        """Every field, with SIDs shortened and secrets replaced, safe to show or log."""
        out: dict[str, str] = {}
        for f in fields(self):
            value: str = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                out[f.name] = mask_secret(value)
            elif f.name in _SID_FIELDS:
                out[f.name] = mask_sid(value)
            else:
                out[f.name] = value
        return out

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.masked().items() if v)
        return f"Credentials({shown})"

    __str__ = __repr__


_withheld: dict[str, str] = {}  # the credential variables taken out of os.environ at start


def withhold_from_children() -> None:
    """Take the credential variables out of ``os.environ``, keeping them for
    :func:`from_environment`, so that no process the console starts (the browser a link opens,
    ngrok, anything a library spawns) inherits a token. The entry point calls it once."""
    for var in ENV_VARS.values():
        value = os.environ.pop(var, None)
        if value is not None:
            _withheld[var] = value


def from_environment(environ: Mapping[str, str] | None = None) -> Credentials:
    """Credentials from the ``TWILIO_*``/``NGROK_AUTHTOKEN`` variables (unset ones empty);
    by default from the process environment, including what :func:`withhold_from_children`
    took out of it."""
    env = {**_withheld, **os.environ} if environ is None else environ
    return Credentials(**{name: env.get(var, "").strip() for name, var in ENV_VARS.items()})


def merge(stored: Credentials, env: Credentials) -> Credentials:
    """``stored`` with every field the environment sets overriding it, field by field."""
    changes = {f.name: getattr(env, f.name) for f in fields(env) if getattr(env, f.name)}
    return replace(stored, **changes)


class KeyringUnavailable(Exception):
    """The OS keyring cannot be used right now; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """Which keyring backend is in use, whether it works, and what to do if it does not."""

    name: str
    usable: bool
    detail: str


class SecretStore:
    """Profiles' credentials in the OS keyring, every call off-loop with a timeout."""

    def __init__(self, service: str = "sms-console", *, timeout: float = 5.0) -> None:
        self.service = service
        self.timeout = timeout

    # -- public API ----------------------------------------------------------------------------
    async def load(self, profile: str) -> Credentials:
        """The stored credentials of ``profile`` (fields never saved come back empty)."""

        def read() -> Credentials:
            values = {
                f.name: keyring.get_password(self.service, self._user(profile, f.name)) or ""
                for f in fields(Credentials)
            }
            return Credentials(**values)

        return await self._call(read, f"read the credentials of profile {profile!r}")

    async def save(self, profile: str, credentials: Credentials) -> None:
        """Store every field of ``credentials`` for ``profile``; empty fields are removed."""

        def write() -> None:
            for f in fields(Credentials):
                user = self._user(profile, f.name)
                value: str = getattr(credentials, f.name)
                if value:
                    keyring.set_password(self.service, user, value)
                else:
                    _delete_quietly(self.service, user)

        await self._call(write, f"save the credentials of profile {profile!r}")
        log.info("saved credentials of profile %r (%s)", profile, credentials)

    async def delete(self, profile: str) -> None:
        """Remove every entry of ``profile`` (missing entries are fine)."""

        def remove() -> None:
            for f in fields(Credentials):
                _delete_quietly(self.service, self._user(profile, f.name))

        await self._call(remove, f"delete the credentials of profile {profile!r}")
        log.info("deleted credentials of profile %r", profile)

    async def backend_status(self) -> BackendStatus:
        """The active backend and whether a harmless read succeeds within the timeout."""
        try:
            backend = await self._call(keyring.get_keyring, "find a keyring backend")
        except KeyringUnavailable as exc:
            return BackendStatus("unknown", False, str(exc))
        name = _backend_name(backend)
        if isinstance(backend, fail.Keyring):
            return BackendStatus(name, False, f"No OS keyring backend was found: {_HOW_TO_FIX}.")
        try:
            await self._call(
                lambda: keyring.get_password(self.service, "__probe__"), "read from the keyring"
            )
        except KeyringUnavailable as exc:
            return BackendStatus(name, False, str(exc))
        return BackendStatus(name, True, f"Credentials are stored in {name}.")

    # -- internals -----------------------------------------------------------------------------
    @staticmethod
    def _user(profile: str, field_name: str) -> str:
        if not profile or ":" in profile:
            raise ValueError(f"profile name {profile!r} must be non-empty and contain no ':'")
        return f"{profile}:{field_name}"

    async def _call(self, func: Callable[[], T], what: str) -> T:
        """Run ``func`` in a daemon thread; map keyring failures and a timeout to one error."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(result: T | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)  # type: ignore[arg-type]  # result is T when no error

        def work() -> None:
            try:
                outcome: tuple[T | None, BaseException | None] = (func(), None)
            except BaseException as exc:  # handed to the waiting coroutine
                outcome = (None, exc)
            # After a timeout nobody waits any more, and the loop may even be closed.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, *outcome)

        # A daemon thread, not the loop's executor: a keyring call stuck on an unlock prompt
        # must neither block the loop's shutdown nor the interpreter's exit.
        threading.Thread(target=work, name="keyring", daemon=True).start()
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise KeyringUnavailable(
                f"The OS keyring did not answer within {self.timeout:g} s when trying to {what} "
                f"(it may be locked and waiting for a password prompt): unlock it, or "
                f"{_HOW_TO_FIX}."
            ) from None
        except keyring.errors.KeyringLocked:
            raise KeyringUnavailable(
                f"The OS keyring is locked, so the console could not {what}: unlock it "
                f"(e.g. log in to the desktop session or unlock the login keyring), or "
                f"{_HOW_TO_FIX}."
            ) from None
        except keyring.errors.NoKeyringError:
            raise KeyringUnavailable(
                f"No OS keyring backend is available to {what}: {_HOW_TO_FIX}."
            ) from None
        except keyring.errors.InitError as exc:
            raise KeyringUnavailable(
                f"The OS keyring could not be initialised to {what} ({exc}): {_HOW_TO_FIX}."
            ) from None
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The OS keyring failed to {what} ({type(exc).__name__}: {exc}): {_HOW_TO_FIX}."
            ) from None


def _delete_quietly(service: str, user: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing stored there
        keyring.delete_password(service, user)


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    name = getattr(backend, "name", "") or type(backend).__name__
    return str(name)


async def resolve(store: SecretStore, profile: str) -> tuple[Credentials, list[str]]:
    """The effective credentials for this run (keyring, then environment) and warnings.

    The environment overrides the keyring field by field. An unavailable keyring is not an error
    here: its reason becomes a warning, and the environment alone is used.
    """
    env = from_environment()
    warnings: list[str] = []
    try:
        stored = await store.load(profile)
    except KeyringUnavailable as exc:
        stored = Credentials()
        if env.has_rest_auth:
            warnings.append(f"{exc} Using the TWILIO_* environment variables for this run.")
        else:
            warnings.append(str(exc))
    effective = merge(stored, env)
    if effective.has_rest_auth and not effective.has_webhook_auth:
        warnings.append(
            "No Auth Token is configured: REST calls work with the API key, but webhook "
            "signatures cannot be checked without the account's primary Auth Token."
        )
    return effective, warnings
