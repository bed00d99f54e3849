"""Where Twilio can reach the console: the provider protocol, a fixed URL, or no public URL.

``PublicUrlProvider`` is what the rest of the console depends on; ``NgrokTunnel`` (ngrok.py),
:class:`FixedPublicUrl` (the seed's ``BASE_HOST_URL``, e.g. a reverse proxy) and
:class:`LocalOnly` (no callbacks; reconciliation polling only) implement it.
:func:`validate_public_url` lists what would stop Twilio from calling a URL; the doctor reuses it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Protocol, runtime_checkable
from urllib.parse import SplitResult, urlsplit

from console.tunnel.state import StateCallback, StateFeed, TunnelPhase, TunnelState

_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@runtime_checkable
class PublicUrlProvider(Protocol):
    """Something that gives the console a public base URL (or says why there is none)."""

    @property
    def state(self) -> TunnelState:
        """The newest state."""
        ...

    @property
    def public_url(self) -> str | None:
        """The public base URL (no trailing slash) while online, else None."""
        ...

    async def start(self) -> TunnelState:
        """Bring the URL up; never raises for expected failures (they become a FAILED state)."""
        ...

    async def stop(self) -> None:
        """Release everything (processes, tasks); the state becomes STOPPED."""
        ...

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback`` on every state change (on the owning loop); returns unsubscribe."""
        ...


class InvalidPublicUrlError(ValueError):
    """A configured public URL cannot be used; ``problems`` says why, one item each."""

    def __init__(self, url: str, problems: list[str]) -> None:
        super().__init__(f"Public URL {url!r} cannot be used: " + "; ".join(problems))
        self.url = url
        self.problems = problems


def _structural_problems(url: str) -> tuple[list[str], SplitResult | None]:
    """Problems that make ``url`` unusable as a base URL at all (scheme, host, path...)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        return [f"it is not a valid URL ({exc}); expected e.g. https://example.com"], None
    problems: list[str] = []
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        problems.append("it is not an absolute http(s) URL; expected e.g. https://example.com")
        return problems, None
    host = parts.hostname or ""
    if not host:
        problems.append("it has no hostname")
    if "_" in host:
        problems.append(
            f"the hostname {host!r} contains '_': Twilio rejects callback URLs whose hostname "
            "has underscores; use a hostname with letters, digits, '-' and '.' only"
        )
    if parts.username is not None or parts.password is not None:
        problems.append(
            "it contains credentials (user:password@); keep secrets out of settings and give "
            "only scheme://host[:port]"
        )
    if parts.path not in ("", "/"):
        problems.append(
            f"it has a path ({parts.path!r}); give only the base scheme://host[:port], the "
            "console appends /webhooks/twilio/... itself"
        )
    if parts.query or parts.fragment:
        problems.append("it has a query or fragment; give only the base scheme://host[:port]")
    if port == 0:
        problems.append("port 0 is not a usable port")
    return problems, parts


def _is_non_public_host(host: str) -> bool:
    name = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
            return True
        return "." not in name  # a single-label name only resolves on a local network
    return not address.is_global


def validate_public_url(url: str) -> list[str]:
    """List what stops Twilio from calling ``url`` as the console's public base URL.

    An empty list means the URL looks usable: absolute https, a public hostname without
    underscores, no path beyond '/', no query or credentials.
    """
    problems, parts = _structural_problems(url)
    if parts is None:
        return problems
    if parts.scheme.lower() != "https":
        problems.append(
            "it is not https: callbacks and their signatures would travel unencrypted; "
            "use an https URL (ngrok and most reverse proxies provide one)"
        )
    host = parts.hostname or ""
    if host and _is_non_public_host(host):
        problems.append(
            f"the host {host!r} is local or private: Twilio, on the internet, cannot reach it; "
            "use an ngrok tunnel or a public reverse proxy"
        )
    return problems


def normalise_base_url(url: str) -> str:
    """Return ``url`` as ``scheme://host[:port]`` (lower case, no default port, no slash).

    Raises :class:`InvalidPublicUrlError` when the URL is structurally unusable; it does not
    insist on https or a public host (see :func:`validate_public_url` for that).
    """
    problems, parts = _structural_problems(url)
    if problems or parts is None:
        raise InvalidPublicUrlError(url, problems)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


class FixedPublicUrl(PublicUrlProvider):
    """A public base URL that someone else keeps reachable (reverse proxy, own tunnel).

    It is the seed's ``BASE_HOST_URL``: validated and normalised at construction (raises
    :class:`InvalidPublicUrlError`), ONLINE once started. http and private hosts are accepted
    here (a LAN test rig may need them); :func:`validate_public_url` flags them for the doctor.
    """

    def __init__(self, url: str) -> None:
        self._url = normalise_base_url(url)
        self._feed = StateFeed(
            TunnelState(kind="fixed", phase=TunnelPhase.STOPPED, detail="Not started yet.")
        )

    @property
    def url(self) -> str:
        """The normalised base URL, whether started or not."""
        return self._url

    @property
    def state(self) -> TunnelState:
        """The newest state."""
        return self._feed.state

    @property
    def public_url(self) -> str | None:
        """The base URL while started, else None."""
        return self._feed.state.public_url

    async def start(self) -> TunnelState:
        """Report the fixed URL as online (nothing to launch)."""
        self._feed.publish(
            TunnelState(
                kind="fixed",
                phase=TunnelPhase.ONLINE,
                public_url=self._url,
                detail=(
                    f"Using the fixed public URL {self._url} (no tunnel). It must forward "
                    "/webhooks/twilio/... to this console's webhook server."
                ),
            )
        )
        return self._feed.state

    async def stop(self) -> None:
        """Report STOPPED."""
        self._feed.publish(TunnelState(kind="fixed", phase=TunnelPhase.STOPPED, detail="Stopped."))

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback`` on every state change; returns unsubscribe."""
        return self._feed.subscribe(callback)


class LocalOnly(PublicUrlProvider):
    """No public URL at all: Twilio cannot call the console; reconciliation polling fills in."""

    def __init__(self, local_url: str) -> None:
        self._local_url = local_url.rstrip("/")
        self._feed = StateFeed(
            TunnelState(kind="local", phase=TunnelPhase.STOPPED, detail="Not started yet.")
        )

    @property
    def local_url(self) -> str:
        """Where the webhook server listens locally."""
        return self._local_url

    @property
    def state(self) -> TunnelState:
        """The newest state."""
        return self._feed.state

    @property
    def public_url(self) -> str | None:
        """Always None: there is no public URL."""
        return None

    async def start(self) -> TunnelState:
        """Report LOCAL_ONLY with what that means and how to get live callbacks."""
        self._feed.publish(
            TunnelState(
                kind="local",
                phase=TunnelPhase.LOCAL_ONLY,
                detail=(
                    f"No public URL: Twilio cannot reach this console at {self._local_url}, so "
                    "no status callbacks or inbound messages arrive live. The console relies on "
                    "reconciliation polling (delivery statuses appear later). For live updates "
                    "set an ngrok auth token or a fixed public URL (--public-url)."
                ),
            )
        )
        return self._feed.state

    async def stop(self) -> None:
        """Report STOPPED."""
        self._feed.publish(TunnelState(kind="local", phase=TunnelPhase.STOPPED, detail="Stopped."))

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback`` on every state change; returns unsubscribe."""
        return self._feed.subscribe(callback)
