"""Non-secret settings: typed, persisted as JSON in the data directory, overridable per run.

The data directory holds everything the console keeps (database, settings, logs): by default the
platform's user data dir, else ``--data-dir`` or ``SMS_CONSOLE_HOME``. Secrets never live here —
they are in the OS keyring (:mod:`console.secrets`); :meth:`Settings.save` refuses to write a
field whose name suggests a secret, as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

log = logging.getLogger(__name__)

APP_NAME = "sms-console"
SETTINGS_FILE = "settings.json"
DB_FILE = "console.db"
_SECRET_WORDS = ("token", "secret", "password")


def default_data_dir() -> Path:
    """``SMS_CONSOLE_HOME`` if set, else the platform's per-user data directory."""
    env = os.environ.get("SMS_CONSOLE_HOME")
    return Path(env).expanduser() if env else Path(user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True, slots=True)
class Pacing:
    """Send rate limits in segments per second, per sender kind (FACTS.md defaults)."""

    long_code: float = 1.0
    toll_free: float = 3.0
    short_code: float = 100.0
    messaging_service: float = 1.0
    alphanumeric: float = 1.0


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the console remembers that is not a secret."""

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str = ""  # empty: SQLite file in the data dir
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""  # fixed public base URL (disables the tunnel)
    tunnel: bool = True  # use ngrok when no fixed public URL is set
    ngrok_path: str = ""
    ngrok_domain: str = ""
    ngrok_region: str = ""
    api_base_url: str = ""  # where Twilio's REST API lives (empty: Twilio itself)
    demo: bool = False
    active_profile: str = "default"
    profiles: tuple[str, ...] = ("default",)
    default_region: str = "US"
    pacing: Pacing = field(default_factory=Pacing)
    request_timeout: float = 15.0
    reconcile_after: float = 600.0  # seconds without a final status before polling
    theme: str = "system"  # system | light | dark
    notifications: bool = True
    validate_signatures: bool = True  # development only: False accepts unsigned webhooks
    log_level: str = "INFO"

    @property
    def db_url(self) -> str:
        """The SQLAlchemy URL of the ledger."""
        return self.database_url or f"sqlite:///{self.data_dir / DB_FILE}"

    @property
    def local_url(self) -> str:
        """The webhook server's local base URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def log_dir(self) -> Path:
        """Where the rotating log files live."""
        return self.data_dir / "logs"

    # -- persistence -------------------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path | None = None) -> Settings:
        """Read the settings file of ``data_dir`` (defaults for anything missing or invalid)."""
        base = cls(data_dir=data_dir) if data_dir else cls()
        path = base.data_dir / SETTINGS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return base
        except (OSError, ValueError) as exc:
            log.warning("settings file %s unreadable (%s); using defaults", path, exc)
            return base
        return base.merged(raw if isinstance(raw, dict) else {})

    def merged(self, values: dict[str, Any]) -> Settings:
        """A copy with known, well-typed values from ``values`` applied (others ignored)."""
        known = {f.name: f for f in fields(self)}
        changes: dict[str, Any] = {}
        for name, value in values.items():
            if name not in known or name == "data_dir":
                continue
            current = getattr(self, name)
            if name == "pacing" and isinstance(value, dict):
                pacing_fields = {f.name for f in fields(Pacing)}
                changes[name] = replace(
                    self.pacing,
                    **{
                        k: float(v)
                        for k, v in value.items()
                        if k in pacing_fields and isinstance(v, int | float) and v > 0
                    },
                )
            elif name == "profiles" and isinstance(value, list):
                names = (str(v) for v in value)
                changes[name] = tuple(n for n in names if 0 < len(n) <= MAX_PROFILE_NAME) or (
                    "default",
                )
            elif name == "active_profile" and isinstance(value, str):
                if 0 < len(value) <= MAX_PROFILE_NAME:
                    changes[name] = value
            elif isinstance(current, bool):
                if isinstance(value, bool):
                    changes[name] = value
            elif isinstance(current, int | float) and not isinstance(current, bool):
                if isinstance(value, int | float) and not isinstance(value, bool):
                    changes[name] = type(current)(value)
            elif isinstance(current, str) and isinstance(value, str):
                changes[name] = value
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The persisted form (the data dir itself is not stored in its own file)."""
        data = asdict(self)
        data.pop("data_dir")
        data["profiles"] = list(self.profiles)
        for name in data:
            if any(word in name.lower() for word in _SECRET_WORDS):
                raise ValueError(f"refusing to write secret-looking setting {name!r} to disk")
        return data

    def save(self) -> Path:
        """Write the settings file atomically (temp file + rename)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / SETTINGS_FILE
        fd, tmp = tempfile.mkstemp(dir=self.data_dir, prefix=".settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=2, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        return path


MAX_PROFILE_NAME = 64  # the ledger's profile column holds 64 characters
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure_logging(settings: Settings, *, console_level: str | None = None) -> Path:
    """Log to a rotating file in the data dir (and to stderr at ``console_level`` if given)."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    path = settings.log_dir / "console.log"
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its plugin chatter is not news
    for handler in list(root.handlers):
        if getattr(handler, "_sms_console", False):
            root.removeHandler(handler)
            handler.close()
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
    )
    level = settings.log_level.upper()
    known = level in LOG_LEVELS
    file_handler.setLevel(level if known else "INFO")
    file_handler.setFormatter(fmt)
    file_handler._sms_console = True  # type: ignore[attr-defined]  # marks our own handlers
    root.addHandler(file_handler)
    if not known:  # a hand-edited settings.json must not stop the console from starting
        logging.getLogger(__name__).warning(
            "settings.json has log_level %r, which is not one of %s; logging at INFO",
            settings.log_level[:40],
            ", ".join(LOG_LEVELS),
        )
    if console_level:
        stream = logging.StreamHandler()
        stream.setLevel(console_level.upper())
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        stream._sms_console = True  # type: ignore[attr-defined]  # marks our own handlers
        root.addHandler(stream)
    return path
