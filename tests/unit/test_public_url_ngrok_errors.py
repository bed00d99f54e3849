"""Mapping pyngrok/ngrok failures to operator texts (console.tunnel.ngrok_errors)."""

from __future__ import annotations

import pytest
from pyngrok.exception import (
    PyngrokError,
    PyngrokNgrokError,
    PyngrokNgrokHTTPError,
    PyngrokNgrokInstallError,
    PyngrokNgrokURLError,
)
from pyngrok.log import NgrokLog

from console.tunnel.ngrok_errors import TunnelStartError, explain, find_error_code
from console.tunnel.ngrok_setup import normalise_domain

PATH = "/opt/ngrok/ngrok"


@pytest.mark.parametrize(
    ("code", "words", "retryable"),
    [
        ("ERR_NGROK_4018", "needs an auth token", False),
        ("ERR_NGROK_105", "malformed", False),
        ("ERR_NGROK_107", "reset or revoked", False),
        ("ERR_NGROK_108", "Stop the other ngrok", True),
        ("ERR_NGROK_120", "ngrok update", False),
        ("ERR_NGROK_334", "already online", True),
    ],
)
def test_known_startup_codes(code: str, words: str, retryable: bool) -> None:
    error = PyngrokNgrokError("errored", [], f'failed: something\\r\\n\\r\\n{code}\\r\\n"')

    mapped = explain(error, ngrok_path=PATH)

    assert mapped.code == code
    assert words in mapped.detail
    assert mapped.retryable is retryable


def test_unknown_code_points_at_ngrok_docs() -> None:
    error = PyngrokNgrokError("x", [], "tunnel refused\\r\\n\\r\\nERR_NGROK_9999\\r\\n")

    mapped = explain(error, ngrok_path=PATH)

    assert mapped.code == "ERR_NGROK_9999"
    assert "tunnel refused." in mapped.detail
    assert "https://ngrok.com/docs/errors/err_ngrok_9999/" in mapped.detail


def test_code_in_api_error_body_is_found() -> None:
    body = '{"error_code":102,"msg":"The endpoint is already online. ERR_NGROK_334"}'
    error = PyngrokNgrokHTTPError("api said no", "http://x/api/endpoints", 400, "", {}, body)

    assert find_error_code(error) == "ERR_NGROK_334"
    assert explain(error, ngrok_path=PATH).code == "ERR_NGROK_334"


def test_http_error_without_code_quotes_the_body() -> None:
    body = '{"msg":"invalid url"}'
    error = PyngrokNgrokHTTPError("api said no", "http://x/api/endpoints", 400, "", {}, body)

    mapped = explain(error, ngrok_path=PATH)

    assert "HTTP 400" in mapped.detail and "invalid url" in mapped.detail
    assert not mapped.retryable


def test_install_error_says_install_ngrok() -> None:
    mapped = explain(PyngrokNgrokInstallError("no network"), ngrok_path=PATH)

    assert PATH in mapped.detail and "https://ngrok.com/download" in mapped.detail
    assert not mapped.retryable


def test_process_that_never_got_ready_quotes_last_output() -> None:
    logs = [NgrokLog("hello"), NgrokLog('lvl=warn msg="odd thing"')]
    error = PyngrokNgrokError("The ngrok process was unable to start.", logs)

    mapped = explain(error, ngrok_path=PATH)

    assert 'msg="odd thing"' in mapped.detail
    assert f"{PATH} start --none --log stdout" in mapped.detail
    assert mapped.retryable


@pytest.mark.parametrize(
    ("error", "words", "retryable"),
    [
        (PyngrokNgrokURLError("refused", "connection refused"), "did not answer", True),
        (PermissionError(13, "Permission denied"), "Permission denied", False),
        (OSError(8, "Exec format error"), "Exec format error", False),
        (PyngrokError("odd"), "pyngrok failed: odd", True),
        (RuntimeError("boom"), "Unexpected error", True),
    ],
)
def test_other_failures(error: BaseException, words: str, retryable: bool) -> None:
    mapped = explain(error, ngrok_path=PATH)

    assert words in mapped.detail
    assert mapped.retryable is retryable


def test_explain_passes_start_errors_through() -> None:
    original = TunnelStartError("as is", retryable=False)

    assert explain(original, ngrok_path=PATH) is original


@pytest.mark.parametrize(
    ("domain", "host"),
    [
        ("my-app.ngrok-free.app", "my-app.ngrok-free.app"),
        ("https://My-App.ngrok-free.app/", "my-app.ngrok-free.app"),
    ],
)
def test_normalise_domain(domain: str, host: str) -> None:
    assert normalise_domain(domain) == host


@pytest.mark.parametrize("domain", ["bad_name.ngrok.app", "https://x.ngrok.app/path", "nodot"])
def test_invalid_domains(domain: str) -> None:
    with pytest.raises(ValueError, match="not a valid ngrok domain"):
        normalise_domain(domain)
