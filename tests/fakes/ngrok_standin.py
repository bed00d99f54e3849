"""A stand-in for the ngrok v3 agent, driven by the real pyngrok in tests (standard library only).

Run through the executable wrapper ``tests/fakes/ngrok`` (pyngrok execs its ``ngrok_path``
directly). It speaks what pyngrok 9 expects:

* ``ngrok start --none --log stdout [--config P] [--authtoken T] [--region R]`` prints logfmt
  lines (``starting web service addr=127.0.0.1:PORT``, ``client session established``,
  ``tunnel session started``), flushing each, and serves the agent API on that port:
  ``/api/endpoints`` (config version 3) and ``/api/tunnels`` (version 2): GET list, POST create,
  GET/DELETE ``uri``.
* ``ngrok version`` / ``--version``, ``ngrok config add-authtoken T``, ``config upgrade`` and
  ``config check``.

Each endpoint gets a real forwarding listener on ``127.0.0.1:<free port>`` that relays method,
raw path and query, headers and body to the upstream and relays the answer back; its public URL
is reported as ``http://127.0.0.1:<port>``. A real ngrok gives ``https://<name>.ngrok-free.app``
(or the reserved domain) reachable from the internet; none is reachable here. When a create
request asks for a ``url`` (a reserved domain), that URL is reported as the real agent would,
and the local listener is named in ``forward_url``.

Behaviour knobs (environment variables, read at start):

``NGROK_STANDIN_REQUIRE_AUTH=1``  exit with ``lvl=eror ... ERR_NGROK_4018`` unless an auth token
    is configured (--authtoken, the --config file, or ``NGROK_AUTHTOKEN``), like real ngrok.
``NGROK_STANDIN_FAIL_WITH=ERR_NGROK_108``  fail the session with that ngrok error code.
``NGROK_STANDIN_SILENT=1``  print nothing and hang (a binary that never gets ready).
``NGROK_STANDIN_RECORD=FILE``  append one JSON line per run: pid, argv, the config file's
    contents with secrets replaced by ``"<redacted>"``, where the auth token came from, and the
    sorted *names* of the environment variables the process was started with (``env``; never
    their values, so the record itself cannot leak a secret).
``NGROK_STANDIN_DIE_AFTER_REQUESTS=N``  exit (status 3) after answering N forwarded requests.
``NGROK_STANDIN_DIE_ON_SIGNAL=USR1``  on that signal log ``lvl=crit`` and exit (status 1).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

WRAPPER = Path(__file__).with_name("ngrok")
VERSION = "3.22.1"
ENV_REQUIRE_AUTH = "NGROK_STANDIN_REQUIRE_AUTH"
ENV_FAIL_WITH = "NGROK_STANDIN_FAIL_WITH"
ENV_SILENT = "NGROK_STANDIN_SILENT"
ENV_RECORD = "NGROK_STANDIN_RECORD"
ENV_DIE_AFTER = "NGROK_STANDIN_DIE_AFTER_REQUESTS"
ENV_DIE_ON_SIGNAL = "NGROK_STANDIN_DIE_ON_SIGNAL"
ALL_KNOBS = (
    ENV_REQUIRE_AUTH,
    ENV_FAIL_WITH,
    ENV_SILENT,
    ENV_RECORD,
    ENV_DIE_AFTER,
    ENV_DIE_ON_SIGNAL,
)

_SESSION_ERRORS = {
    "ERR_NGROK_4018": "authentication failed: Usage of ngrok requires a verified account and "
    "authtoken.\\n\\nSign up for an account: https://dashboard.ngrok.com/signup\\nInstall your "
    "authtoken: https://dashboard.ngrok.com/get-started/your-authtoken",
    "ERR_NGROK_105": "authentication failed: The authtoken you specified does not look like a "
    "proper ngrok authtoken.\\nYour authtoken: {token}",
    "ERR_NGROK_107": "authentication failed: The authtoken you specified is properly formed, "
    "but it is invalid.\\nYour authtoken: {token}",
    "ERR_NGROK_108": "authentication failed: Your account is limited to 1 simultaneous ngrok "
    "agent sessions.",
}
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}
_SECRET_KEYS = {"authtoken", "api_key", "password", "basic_auth"}
# Re-entrant: a signal handler that logs may interrupt the main thread inside log().
_print_lock = threading.RLock()
_HANDLED_SIGNALS = {
    getattr(signal, name)
    for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)
}


def log(lvl: str, msg: str, **fields: object) -> None:
    """Print one logfmt line like ngrok's ``--log stdout`` and flush it."""
    # datetime.UTC is 3.11+; the stand-in runs on whatever python3 is on PATH.
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")  # noqa: UP017
    extra = "".join(f" {key}={_logfmt(value)}" for key, value in fields.items())
    with _print_lock:
        sys.stdout.write(f't={stamp} lvl={lvl} msg="{msg}"{extra}\n')
        sys.stdout.flush()


def _logfmt(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "='):
        return text
    return '"' + text.replace('"', '\\"') + '"'


def spawn(target: Callable[[], object]) -> None:
    """Start a daemon thread that never receives process signals.

    CPython runs signal handlers in the main thread, but the kernel may deliver a signal to any
    thread; the main thread, blocked in a lock wait, would then never notice. Threads inherit
    the creator's signal mask, so block the handled signals while creating them.
    """
    block = getattr(signal, "pthread_sigmask", None)
    if block is None:  # not POSIX
        threading.Thread(target=target, daemon=True).start()
        return
    previous = block(signal.SIG_BLOCK, _HANDLED_SIGNALS)
    try:
        threading.Thread(target=target, daemon=True).start()
    finally:
        block(signal.SIG_SETMASK, previous)


# --- the config file: a tiny YAML subset (nested mappings of scalars), enough for ngrok.yml ---


def _scalar(raw: str) -> Any:
    raw = raw.strip()
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return json.loads(raw)
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return raw[1:-1].replace("''", "'")
    if raw in ("{}", "[]"):
        return {} if raw == "{}" else []
    return raw


def parse_config(text: str) -> dict[str, Any]:
    """Parse the mapping-only YAML subset an ngrok.yml written by the console or pyngrok uses."""
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for line in text.splitlines():
        stripped = line.split(" #", 1)[0].rstrip()
        if not stripped.strip() or stripped.lstrip().startswith(("#", "- ")):
            continue
        indent = len(stripped) - len(stripped.lstrip())
        key, _, value = stripped.strip().partition(":")
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if value.strip():
            parent[key.strip()] = _scalar(value)
        else:
            child: dict[str, Any] = {}
            parent[key.strip()] = child
            stack.append((indent, child))
    return root


def _redacted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<redacted>" if k in _SECRET_KEYS else _redacted(v) for k, v in value.items()}
    return value


def _config_token(config: dict[str, Any]) -> str | None:
    agent = config.get("agent")
    token = agent.get("authtoken") if isinstance(agent, dict) else None
    return token or config.get("authtoken") or None


# --- forwarding listeners: the "public URL" of each endpoint ---


class _Counter:
    """Counts forwarded requests for NGROK_STANDIN_DIE_AFTER_REQUESTS."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.count = 0
        self.lock = threading.Lock()

    def hit(self) -> bool:
        """Count one request; True when the stand-in must die after answering it."""
        with self.lock:
            self.count += 1
            return self.limit is not None and self.count >= self.limit


class ForwardHandler(BaseHTTPRequestHandler):
    """Relays one request to the endpoint's upstream and the answer back."""

    protocol_version = "HTTP/1.1"
    server: Forwarder

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the stdlib access log off stderr; ngrok logs connections on stdout instead."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _relay(self) -> None:
        body = self._read_body()
        upstream = self.server.upstream
        log(
            "info",
            "join connections",
            obj="join",
            id=uuid.uuid4().hex[:12],
            l=upstream.netloc,
            r=f"{self.client_address[0]}:{self.client_address[1]}",
        )
        status, reason, headers, data = self._call_upstream(body)
        self.send_response_only(status, reason)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()
        if self.server.counter.hit():
            log(
                "crit",
                "stand-in exiting after its request limit",
                requests=self.server.counter.count,
            )
            os._exit(3)

    def _call_upstream(self, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        upstream = self.server.upstream
        conn_class = (
            http.client.HTTPSConnection
            if upstream.scheme == "https"
            else http.client.HTTPConnection
        )
        conn = conn_class(upstream.hostname or "127.0.0.1", upstream.port, timeout=30)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
            conn.putheader("X-Forwarded-For", self.client_address[0])
            conn.putheader("X-Forwarded-Host", self.headers.get("Host", ""))
            conn.putheader("X-Forwarded-Proto", "http")
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        except OSError as exc:
            text = (
                f"Traffic made it to the ngrok agent, but the agent failed to establish a "
                f"connection to the upstream web service at {upstream.netloc}. ({exc})\n"
                "ERR_NGROK_8012\n"
            )
            return (
                502,
                "Bad Gateway",
                [("Content-Type", "text/plain"), ("Ngrok-Error-Code", "ERR_NGROK_8012")],
                text.encode(),
            )
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _relay


class Forwarder(ThreadingHTTPServer):
    """The listener behind one endpoint's public URL."""

    daemon_threads = True

    def __init__(self, upstream_url: str, counter: _Counter) -> None:
        if "://" not in upstream_url:
            upstream_url = "http://" + (
                upstream_url if ":" in upstream_url else f"localhost:{upstream_url}"
            )
        self.upstream = urlsplit(upstream_url)
        self.counter = counter
        super().__init__(("127.0.0.1", 0), ForwardHandler)
        spawn(self.serve_forever)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.server_address[1]}"


# --- the agent API ---


class Agent:
    """The endpoints (v3) and tunnels (v2) this stand-in serves."""

    def __init__(self, counter: _Counter) -> None:
        self.counter = counter
        self.items: dict[str, dict[str, dict[str, Any]]] = {"endpoints": {}, "tunnels": {}}
        self.forwarders: dict[tuple[str, str], Forwarder] = {}
        self.lock = threading.Lock()

    def create(self, kind: str, req: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Create an endpoint (``kind='endpoints'``) or tunnel; returns (status, body)."""
        name = str(req.get("name") or f"{kind}-{uuid.uuid4().hex[:8]}")
        if kind == "endpoints":
            upstream = (req.get("upstream") or {}).get("url")
        else:
            upstream = req.get("addr")
        if not upstream:
            return 400, _api_error(400, f"{kind[:-1]} {name!r} has no upstream address")
        with self.lock:
            if name in self.items[kind]:
                return 400, _api_error(400, f"a {kind[:-1]} named {name!r} already exists")
            forwarder = Forwarder(str(upstream), self.counter)
            self.forwarders[(kind, name)] = forwarder
            requested = req.get("url") or (
                f"https://{req['domain']}" if req.get("domain") else None
            )
            public = str(requested or forwarder.url)
            item: dict[str, Any] = {
                "id": f"ep_{uuid.uuid4().hex[:24]}" if kind == "endpoints" else uuid.uuid4().hex,
                "name": name,
                "uri": f"/api/{kind}/{name}",
                "public_url": public,
                "proto": urlsplit(public).scheme,
                "forward_url": forwarder.url,
                "metrics": {},
            }
            if kind == "endpoints":
                item.update(url=public, upstream={"url": upstream, "protocol": "http1"})
            else:
                item["config"] = {"addr": upstream, "inspect": True}
            self.items[kind][name] = item
        log("info", "started tunnel", obj="tunnels", name=name, addr=upstream, url=public)
        return 201, item

    def delete(self, kind: str, name: str) -> bool:
        """Remove an endpoint and close its listener; False when there is none."""
        with self.lock:
            item = self.items[kind].pop(name, None)
            forwarder = self.forwarders.pop((kind, name), None)
        if forwarder is not None:
            spawn(lambda: _close_forwarder(forwarder))
        return item is not None


def _close_forwarder(forwarder: Forwarder) -> None:
    forwarder.shutdown()
    forwarder.server_close()


def _api_error(status: int, msg: str) -> dict[str, Any]:
    return {"error_code": 100, "status_code": status, "msg": msg, "details": {}}


class ApiHandler(BaseHTTPRequestHandler):
    """The agent's local API (``/api/endpoints``, ``/api/tunnels``)."""

    server: ApiServer

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the stdlib access log off stderr."""

    def _send(self, status: int, body: dict[str, Any] | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self) -> tuple[str | None, str | None]:
        parts = [p for p in urlsplit(self.path).path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "api" and parts[1] in ("endpoints", "tunnels"):
            return parts[1], "/".join(parts[2:]) or None
        return None, None

    def do_GET(self) -> None:
        """List, or show one."""
        kind, name = self._route()
        if kind is None:
            self._send(404, _api_error(404, f"no such path: {self.path}"))
        elif name is None:
            with self.server.agent.lock:
                items = list(self.server.agent.items[kind].values())
            self._send(200, {kind: items, "uri": f"/api/{kind}"})
        elif name in self.server.agent.items[kind]:
            self._send(200, self.server.agent.items[kind][name])
        else:
            self._send(404, _api_error(404, f"{kind[:-1]} {name!r} not found"))

    def do_POST(self) -> None:
        """Create."""
        kind, name = self._route()
        length = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, _api_error(400, "request body is not JSON"))
            return
        if kind is None or name is not None or not isinstance(req, dict):
            self._send(404, _api_error(404, f"no such path: {self.path}"))
            return
        self._send(*self.server.agent.create(kind, req))

    def do_DELETE(self) -> None:
        """Delete."""
        kind, name = self._route()
        if kind is not None and name is not None and self.server.agent.delete(kind, name):
            self._send(204, None)
        else:
            self._send(404, _api_error(404, f"no such {self.path}"))


class ApiServer(ThreadingHTTPServer):
    """The web service (agent API) of the stand-in."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], agent: Agent) -> None:
        self.agent = agent
        super().__init__(address, ApiHandler)


# --- commands ---


def _record(args: list[str], config_path: str | None, token_source: str | None) -> None:
    target = os.environ.get(ENV_RECORD)
    if not target:
        return
    config: Any = None
    if config_path and os.path.exists(config_path):
        config = _redacted(parse_config(Path(config_path).read_text()))
    entry = {
        "pid": os.getpid(),
        "argv": [sys.argv[0], *args],
        "config_path": config_path,
        "config": config,
        "authtoken_source": token_source,
        "env": sorted(os.environ),
    }
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def _start(opts: argparse.Namespace, args: list[str]) -> int:
    config_path = opts.config[-1] if opts.config else None
    config = parse_config(Path(config_path).read_text()) if config_path else {}
    env_token = os.environ.get("NGROK_AUTHTOKEN")
    source = (
        "argv"
        if opts.authtoken
        else "config"
        if _config_token(config)
        else "env"
        if env_token
        else None
    )
    _record(args, config_path, source)
    if os.environ.get(ENV_SILENT):
        threading.Event().wait()
    if config_path:
        log("info", "open config file", path=config_path, err="nil")
    failure = os.environ.get(ENV_FAIL_WITH)
    if failure is None and os.environ.get(ENV_REQUIRE_AUTH) and source is None:
        failure = "ERR_NGROK_4018"
    if failure:
        # Like real ngrok, 105/107 echo the rejected token (the console must redact it).
        token = opts.authtoken or _config_token(config) or env_token or ""
        text = _SESSION_ERRORS.get(failure, "session failed").replace("{token}", str(token))
        err = f"{text}\\r\\n\\r\\n{failure}\\r\\n"
        log("eror", "failed to reconnect session", obj="tunnels.session", err=err)
        log("eror", "session closing", obj="tunnels.session", err=err)
        return 1
    limit = int(os.environ[ENV_DIE_AFTER]) if os.environ.get(ENV_DIE_AFTER) else None
    agent = Agent(_Counter(limit))
    web_addr = str((config.get("agent") or {}).get("web_addr") or "127.0.0.1:0")
    host, _, port = web_addr.rpartition(":")
    api = ApiServer((host or "127.0.0.1", int(port)), agent)
    spawn(api.serve_forever)
    log(
        "info",
        "starting web service",
        obj="web",
        addr=f"127.0.0.1:{api.server_address[1]}",
        allow_hosts="[]",
    )
    log("info", "client session established", obj="tunnels.session", region=opts.region or "us")
    log("info", "tunnel session started", obj="tunnels.session")
    threading.Event().wait()
    return 0


def _config_command(opts: argparse.Namespace, args: list[str]) -> int:
    config_path = (
        opts.config[-1] if opts.config else os.path.expanduser("~/.config/ngrok/ngrok.yml")
    )
    _record(args, config_path, None)
    if opts.action == "add-authtoken" and opts.value:
        path = Path(config_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f'version: "3"\nagent:\n  authtoken: {json.dumps(opts.value)}\n')
        os.chmod(path, 0o600)
        print(f"Authtoken saved to configuration file: {config_path}", flush=True)
    elif opts.action == "upgrade":
        print(f"Config file {config_path} is already up to date.", flush=True)
    elif opts.action == "check":
        print(f"Valid configuration file at {config_path}", flush=True)
    else:
        print(f"ERROR: unknown config command {opts.action!r}", file=sys.stderr, flush=True)
        return 1
    return 0


def _install_signal_handlers() -> None:
    def stop(signum: int, _frame: object) -> None:
        log("info", "received stop request", obj="app", signal=signal.Signals(signum).name)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    name = os.environ.get(ENV_DIE_ON_SIGNAL)
    if name:
        number = getattr(signal, name if name.startswith("SIG") else f"SIG{name}")

        def die(signum: int, _frame: object) -> None:
            log("crit", "stand-in dying on signal", signal=signal.Signals(signum).name)
            os._exit(1)

        signal.signal(number, die)


def main(argv: list[str] | None = None) -> int:
    """Dispatch an ngrok command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("version", "--version", "-v"):
        print(f"ngrok version {VERSION}", flush=True)
        return 0
    parser = argparse.ArgumentParser(prog="ngrok")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start")
    start.add_argument("names", nargs="*")
    start.add_argument("--none", action="store_true")
    start.add_argument("--all", action="store_true")
    config = commands.add_parser("config")
    config.add_argument("action")
    config.add_argument("value", nargs="?")
    for sub in (start, config):
        sub.add_argument("--config", action="append")
        sub.add_argument("--log")
        sub.add_argument("--log-level")
        sub.add_argument("--log-format")
    start.add_argument("--authtoken")
    start.add_argument("--region")
    opts = parser.parse_args(args)
    _install_signal_handlers()
    if opts.command == "config":
        return _config_command(opts, args)
    return _start(opts, args)


if __name__ == "__main__":
    sys.exit(main())
