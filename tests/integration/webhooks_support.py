"""Helpers for the webhook tests: a real server on a free port and a client that signs like Twilio.

Signatures are made with twilio's own ``RequestValidator.compute_signature`` over the URL the
"sender" called, exactly as Twilio does; the server only ever sees 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from twilio.request_validator import RequestValidator
from yarl import URL

from console.store.writer import Writer
from console.webhooks.app import INBOUND_PATH, STATUS_PATH, WebhookServer

TOKEN = "test-auth-token-0123456789abcdef"
OTHER_TOKEN = "another-accounts-token-fedcba987"
PUBLIC = "https://console-test.ngrok.app"

__all__ = ["INBOUND_PATH", "OTHER_TOKEN", "PUBLIC", "STATUS_PATH", "TOKEN"]


def sign(url: str, params: Mapping[str, str], token: str = TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for ``params`` posted to ``url``."""
    return str(RequestValidator(token).compute_signature(url, dict(params)))


@dataclass
class Config:
    """The server's current token and public URL (tests change them while it runs)."""

    token: str | None = TOKEN
    public_url: str | None = PUBLIC
    api_key_only: bool = False


@dataclass
class Answer:
    """An HTTP answer: status, body text and headers."""

    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)


@asynccontextmanager
async def running_server(
    writer: Writer, config: Config | None = None, **kwargs: Any
) -> AsyncIterator[tuple[WebhookServer, Config]]:
    """A started server on a free port of 127.0.0.1, stopped afterwards."""
    cfg = config or Config()
    server = WebhookServer(
        writer,
        auth_token=lambda: cfg.token,
        public_url=lambda: cfg.public_url,
        api_key_only=lambda: cfg.api_key_only,
        port=0,
        **kwargs,
    )
    await server.start()
    try:
        yield server, cfg
    finally:
        await server.stop()


@asynccontextmanager
async def serving(
    writer: Writer, config: Config | None = None, **kwargs: Any
) -> AsyncIterator[TwilioLike]:
    """A started server and a client session for it (``client.config`` is the live config)."""
    async with (
        running_server(writer, config, **kwargs) as (server, cfg),
        aiohttp.ClientSession() as session,
    ):
        client = TwilioLike(server, session)
        client.config = cfg
        yield client


class TwilioLike:
    """Posts to the server the way Twilio does (form body, signed for the public URL)."""

    def __init__(self, server: WebhookServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session
        self.config = Config()

    async def post(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        signed_url: str | None = None,
        token: str = TOKEN,
        headers: Mapping[str, str] | None = None,
        query: str = "",
        signature: str | None = None,
        data: bytes | None = None,
    ) -> Answer:
        """POST ``params`` to ``path``; signed for ``signed_url`` (default: PUBLIC + path)."""
        url = signed_url if signed_url is not None else PUBLIC + path + query
        sent = {
            "X-Twilio-Signature": signature if signature is not None else sign(url, params, token)
        }
        sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        body = data if data is not None else urlencode(params).encode()
        return await self.raw("POST", path + query, body, sent)

    async def post_json(
        self, path: str, payload: dict[str, Any], *, token: str = TOKEN, body: bytes | None = None
    ) -> Answer:
        """POST a JSON body the way Twilio does (bodySHA256 in the signed URL)."""
        raw = json.dumps(payload).encode()
        query = "?bodySHA256=" + hashlib.sha256(raw).hexdigest()
        sig = sign(PUBLIC + path + query, {}, token)
        headers = {"X-Twilio-Signature": sig, "Content-Type": "application/json"}
        return await self.raw("POST", path + query, raw if body is None else body, headers)

    async def raw(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """Any request, as given."""
        async with self.session.request(
            method,
            URL(self.server.local_url + path, encoded=True),  # sent exactly as given
            data=body,
            headers=dict(headers),
        ) as resp:
            text = await resp.text(errors="replace")
            return Answer(resp.status, text, dict(resp.headers))

    async def health(self) -> dict[str, Any]:
        """GET /healthz as JSON."""
        async with self.session.get(self.server.local_url + "/healthz") as resp:
            assert resp.status == 200
            data: dict[str, Any] = await resp.json()
            return data


def status_params(sid: str, status: str, **extra: str) -> dict[str, str]:
    """A status callback's parameters, as Twilio sends them."""
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "From": "+14155550100",
        "To": "+14155550199",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def inbound_params(sid: str, sender: str, body: str, **extra: str) -> dict[str, str]:
    """An inbound message's parameters, as Twilio sends them."""
    return {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+14155550100",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        **extra,
    }


# -- `sms-console serve` in a child process ----------------------------------------------------
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port of 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def start_serve(
    data_dir: Path, port: int, *extra: str, token: str | None = TOKEN
) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    """Run ``sms-console serve --json`` in a child process; returns it and its ready line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env["SMS_CONSOLE_HOME"] = str(data_dir)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never the real keyring
    if token is not None:
        env["TWILIO_AUTH_TOKEN"] = token
    stderr = (data_dir.parent / f"serve-{port}.stderr").open("ab")
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "console.app",
            "serve",
            "--json",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--public-url",
            f"http://127.0.0.1:{port}",
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=REPO,
        )
    finally:
        stderr.close()
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout=60)
    if not line:
        await proc.wait()
        errors = (data_dir.parent / f"serve-{port}.stderr").read_text()
        raise AssertionError(f"serve exited with {proc.returncode}: {errors}")
    return proc, json.loads(line)


def signer_for(local_url: str) -> Callable[[str, Mapping[str, str]], str]:
    """Signs for the child's public URL, which is its local URL in these tests."""
    return lambda path, params: sign(local_url + path, params)
