"""The doctor's pure parts: results, URL questions, the runner's guards, the CLI report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.commands.doctor import DEMO_NOTE, Report, payload, render
from console.doctor.checks import CHECKS, Check, run_checks
from console.doctor.context import DoctorContext
from console.doctor.fixes import FixTargets, FixUnavailable, apply_fix
from console.doctor.result import (
    ACTION_LABELS,
    CORE_ACTIONS,
    WINDOW_ACTIONS,
    CheckResult,
    Outcome,
    all_passed,
    fail,
    ok,
    skip,
    summary_line,
    warn,
)
from console.doctor.urlcheck import host_of, hostname_problem, local_problem, scheme_of
from console.secrets import Credentials, SecretStore
from console.store.queries import Reader


def test_check_result_rejects_unknown_states_and_actions() -> None:
    with pytest.raises(ValueError, match="state"):
        CheckResult("x", "X", "bad", "finding")  # type: ignore[arg-type]  # the point
    with pytest.raises(ValueError, match="action"):
        CheckResult("x", "X", "fail", "finding", "fix", "format_disk")
    assert set(ACTION_LABELS) == CORE_ACTIONS | WINDOW_ACTIONS


def test_passing_means_ok_or_skipped() -> None:
    results = [
        ok("fine").as_result("a", "A"),
        skip("n/a").as_result("b", "B"),
    ]
    assert all_passed(results)
    assert not all_passed([*results, warn("hmm").as_result("c", "C")])
    assert not all_passed([*results, fail("broken").as_result("d", "D")])
    mixed = [*results, warn("w").as_result("c", "C"), warn("w").as_result("e", "E")]
    assert summary_line(mixed) == "4 checks: 1 ok, 2 warnings, 1 skipped"


def test_outcome_keeps_fix_and_action() -> None:
    result = fail("Broken.", "Do this.", "open_settings").as_result("id", "Title")
    assert result.to_dict() == {
        "id": "id",
        "title": "Title",
        "state": "fail",
        "finding": "Broken.",
        "fix": "Do this.",
        "action": "open_settings",
    }


@pytest.mark.parametrize(
    ("url", "scheme", "host"),
    [
        ("https://Abc.ngrok.app", "https", "abc.ngrok.app"),
        ("http://127.0.0.1:8080", "http", "127.0.0.1"),
        ("https://[::1]:443", "https", "::1"),
        ("not a url", "", ""),
    ],
)
def test_scheme_and_host(url: str, scheme: str, host: str) -> None:
    assert scheme_of(url) == scheme
    assert host_of(url) == host


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("my_host.example.com", "contains '_'"),
        ("-bad.example.com", "'-bad'"),
        ("a..b.com", "invalid part ''"),
        ("x" * 64 + ".com", "invalid part"),
        ("", "no host name"),
    ],
)
def test_invalid_host_names(host: str, words: str) -> None:
    problem = hostname_problem(host)
    assert problem is not None and words in problem


@pytest.mark.parametrize("host", ["abc.ngrok-free.app", "console.example.com", "8.8.8.8", "::1"])
def test_valid_host_names(host: str) -> None:
    assert hostname_problem(host) is None


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("localhost", "names this computer"),
        ("printer.local", "local network"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("192.168.1.10", "private"),
        ("10.0.0.2", "private"),
        ("intranet", "single-label"),
    ],
)
def test_local_hosts(host: str, words: str) -> None:
    problem = local_problem(host)
    assert problem is not None and words in problem


@pytest.mark.parametrize("host", ["abc.ngrok.app", "8.8.8.8", "2001:4860:4860::8888"])
def test_public_hosts(host: str) -> None:
    assert local_problem(host) is None


def _context(reader: Reader, timeout: float) -> DoctorContext:
    return DoctorContext(
        mode="live",
        credentials=Credentials(),
        gateway=None,
        reader=reader,
        secret_store=SecretStore(),
        public_url=None,
        check_timeout=timeout,
    )


async def test_runner_turns_a_hang_and_a_crash_into_failed_results(reader: Reader) -> None:
    hang_forever = asyncio.Event()

    async def hangs(_ctx: DoctorContext) -> Outcome:
        await hang_forever.wait()
        return ok("never")

    async def crashes(_ctx: DoctorContext) -> Outcome:
        raise KeyError("boom")

    async def works(_ctx: DoctorContext) -> Outcome:
        return ok("fine")

    checks = (
        Check("hang", "Hangs", hangs, "the moon"),
        Check("crash", "Crashes", crashes, "nothing"),
        Check("fine", "Works", works, "nothing"),
    )
    results = await run_checks(_context(reader, 0.2), checks)
    assert [r.id for r in results] == ["hang", "crash", "fine"]
    assert (
        results[0].state == "fail" and "within 0.2 s: the moon did not answer" in results[0].finding
    )
    assert results[1].state == "fail" and "KeyError" in results[1].finding
    assert results[2].state == "ok"


async def test_without_credentials_the_account_checks_say_what_to_do(reader: Reader) -> None:
    account_ids = {"credentials", "auth_token", "sender"}
    checks = tuple(c for c in CHECKS if c.id in account_ids)
    results = {r.id: r for r in await run_checks(_context(reader, 5), checks)}
    assert results["credentials"].state == "fail"
    assert "Account SID and Auth Token not set" in results["credentials"].finding
    assert results["credentials"].action == "open_settings"
    assert results["auth_token"].state == "fail"
    assert results["sender"].state == "fail"


async def test_window_actions_are_not_run_by_the_console(tmp_path: Path) -> None:
    targets = FixTargets(None, None, None, None, tmp_path)
    for action in WINDOW_ACTIONS:
        with pytest.raises(FixUnavailable, match="done in the window"):
            await apply_fix(action, targets)
    with pytest.raises(FixUnavailable, match="not connected to an account"):
        await apply_fix("configure_webhooks", targets)
    with pytest.raises(FixUnavailable, match="no tunnel to restart"):
        await apply_fix("restart_tunnel", targets)
    with pytest.raises(FixUnavailable, match="no public URL to probe"):
        await apply_fix("probe_again", targets)
    with pytest.raises(ValueError, match="unknown doctor action"):
        await apply_fix("reboot", targets)


def test_report_text_and_json() -> None:
    results = [
        ok("Accepted.").as_result("credentials", "Twilio credentials"),
        fail("Not https.", "Use https.", "open_settings").as_result("https", "HTTPS"),
        warn("Trial.", "Upgrade.").as_result("account", "Account"),
    ]
    report = Report("demo", "http://127.0.0.1:8080", ("No credentials.",), results)
    text = render(report)
    lines = text.splitlines()
    assert lines[0] == DEMO_NOTE
    assert "Note: No credentials." in lines
    assert "[FAIL] HTTPS: Not https." in lines
    assert "       Fix: Use https. [in the window: Open Settings]" in lines
    assert "       Fix: Upgrade." in lines
    assert lines[-1] == "3 checks: 1 ok, 1 warning, 1 failed"
    data = payload(report)
    assert data["ok"] is False and data["demo"] is True and data["note"] == DEMO_NOTE
    assert data["error"] == "2 of 3 checks did not pass (https, account)"
    assert [c["id"] for c in data["checks"]] == ["credentials", "https", "account"]
