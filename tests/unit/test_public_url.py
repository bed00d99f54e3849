"""validate_public_url, normalise_base_url and the fixed / local-only providers."""

from __future__ import annotations

from datetime import UTC

import pytest

from console.tunnel.public_url import (
    FixedPublicUrl,
    InvalidPublicUrlError,
    LocalOnly,
    PublicUrlProvider,
    normalise_base_url,
    validate_public_url,
)
from console.tunnel.state import TunnelPhase, TunnelState


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "https://example.com/",
        "https://abc123.ngrok-free.app",
        "https://sms.example.org:8443",
        "https://8.8.8.8",
    ],
)
def test_usable_urls_have_no_problems(url: str) -> None:
    assert validate_public_url(url) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://example.com", "not https"),
        ("https://localhost:8080", "local or private"),
        ("https://127.0.0.1", "local or private"),
        ("https://127.8.9.10", "local or private"),
        ("https://[::1]", "local or private"),
        ("https://10.1.2.3", "local or private"),
        ("https://172.16.0.5", "local or private"),
        ("https://192.168.1.20", "local or private"),
        ("https://169.254.1.1", "local or private"),
        ("https://printer.local", "local or private"),
        ("https://intranet", "local or private"),
        ("https://my_app.example.com", "underscores"),
        ("https://example.com/sms", "has a path"),
        ("https://example.com/?x=1", "query or fragment"),
        ("https://example.com/#top", "query or fragment"),
        ("https://user:pw@example.com", "credentials"),
        ("example.com", "not an absolute http(s) URL"),
        ("ftp://example.com", "not an absolute http(s) URL"),
        ("https://example.com:99999", "not a valid URL"),
        ("", "not an absolute http(s) URL"),
    ],
)
def test_problems_are_named(url: str, expected: str) -> None:
    problems = validate_public_url(url)

    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    problems = validate_public_url("http://my_host.local/path?q=1")

    assert len(problems) == 5


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://Example.COM/", "https://example.com"),
        ("HTTPS://example.com:443", "https://example.com"),
        ("http://example.com:80/", "http://example.com"),
        ("https://example.com:8443", "https://example.com:8443"),
        ("  https://example.com  ", "https://example.com"),
        ("https://[2001:db8::1]:8443/", "https://[2001:db8::1]:8443"),
    ],
)
def test_normalise_base_url(url: str, normalised: str) -> None:
    assert normalise_base_url(url) == normalised


async def test_fixed_url_is_online_with_normalised_base() -> None:
    provider = FixedPublicUrl("https://Proxy.Example.com/")
    seen: list[TunnelState] = []
    provider.subscribe(seen.append)
    assert isinstance(provider, PublicUrlProvider)
    before = provider.state
    assert before.phase is TunnelPhase.STOPPED and before.public_url is None

    state = await provider.start()

    assert state.kind == "fixed"
    assert state.phase is TunnelPhase.ONLINE and state.is_online
    assert state.public_url == provider.public_url == "https://proxy.example.com"
    assert state.since.tzinfo is UTC
    assert seen == [state]
    await provider.stop()
    assert provider.state.phase is TunnelPhase.STOPPED and provider.public_url is None


def test_fixed_url_accepts_http_on_a_lan_but_not_structural_problems() -> None:
    assert FixedPublicUrl("http://192.168.1.5:8080").url == "http://192.168.1.5:8080"
    with pytest.raises(InvalidPublicUrlError) as caught:
        FixedPublicUrl("https://bad_host.example.com/webhooks")

    assert len(caught.value.problems) == 2
    assert "underscores" in str(caught.value)


async def test_local_only_explains_that_polling_takes_over() -> None:
    provider = LocalOnly("http://127.0.0.1:8080/")
    seen: list[TunnelState] = []
    unsubscribe = provider.subscribe(seen.append)
    assert isinstance(provider, PublicUrlProvider)

    state = await provider.start()

    assert state.kind == "local"
    assert state.phase is TunnelPhase.LOCAL_ONLY and not state.is_online
    assert state.public_url is None and provider.public_url is None
    assert "Twilio cannot reach" in state.detail
    assert "http://127.0.0.1:8080" in state.detail
    assert "reconciliation polling" in state.detail
    unsubscribe()
    await provider.stop()
    assert seen == [state]


async def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    provider = FixedPublicUrl("https://example.com")
    seen: list[TunnelPhase] = []

    def broken(_state: TunnelState) -> None:
        raise RuntimeError("subscriber bug")

    provider.subscribe(broken)
    provider.subscribe(lambda s: seen.append(s.phase))

    await provider.start()

    assert seen == [TunnelPhase.ONLINE]
