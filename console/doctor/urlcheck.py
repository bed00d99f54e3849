"""Three separate questions about a public base URL: https? a valid hostname? a public host?

:func:`console.tunnel.public_url.validate_public_url` lists every problem of a URL as one list;
the doctor asks the questions one by one so that each has its own line, finding and fix.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import urlsplit

_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_LOCAL_NAMES: Final = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES: Final = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def scheme_of(url: str) -> str:
    """The URL's scheme in lower case (``""`` when it has none)."""
    return urlsplit(url.strip()).scheme.lower()


def host_of(url: str) -> str:
    """The URL's host name or address in lower case, without brackets or port."""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def hostname_problem(host: str) -> str | None:
    """Why ``host`` is not a valid callback hostname for Twilio, or None when it is."""
    if not host:
        return "the URL has no host name"
    if _ip(host) is not None:
        return None
    name = host.rstrip(".")
    if "_" in name:
        return (
            f"the host name {host!r} contains '_', and Twilio refuses callback URLs whose host "
            "name has underscores"
        )
    if len(name) > 253:
        return f"the host name is {len(name)} characters long (at most 253)"
    bad = [label for label in name.split(".") if not _LABEL.match(label)]
    if bad:
        return (
            f"the host name {host!r} has an invalid part {bad[0]!r} (letters, digits and inner "
            "'-' only, 1-63 characters each)"
        )
    return None


def local_problem(host: str) -> str | None:
    """Why the internet cannot reach ``host`` (loopback, private, local name), or None."""
    address = _ip(host)
    if address is not None:
        if address.is_loopback:
            return f"{host} is this computer's loopback address"
        if not address.is_global:
            return f"{host} is a private or reserved address, not reachable from the internet"
        return None
    name = host.rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
        return f"{host} names this computer or the local network"
    if "." not in name:
        return f"{host} is a single-label name that only resolves on a local network"
    return None
