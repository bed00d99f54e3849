"""The webhook backup file: the URLs ``configure_webhooks`` replaced, so they can be put back.

``<data_dir>/webhook-backup.json`` holds, per account SID, per Messaging Service and per owned
number, the URLs found before the console changed them. Nothing secret. Accounts are kept apart
(a demo run and a live account can share a data directory). A section that was never restored
keeps its original values when the webhooks are configured again, so restoring always returns
to the state before the console first touched them. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

__all__ = ["BACKUP_FILE", "load_section", "remove_section", "save_section"]

BACKUP_FILE: Final = "webhook-backup.json"
_VERSION: Final = 1


def _read(data_dir: Path) -> dict[str, Any]:
    path = data_dir / BACKUP_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"version": _VERSION, "accounts": {}}
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{path} is unreadable ({exc}): fix or remove it; it holds the webhook URLs the "
            "console replaced."
        ) from exc
    if not (isinstance(raw, dict) and isinstance(raw.get("accounts"), dict)):
        raise ValueError(f"{path} is not a webhook backup: fix or remove it.")
    data: dict[str, Any] = raw
    return data


def _write(data_dir: Path, data: dict[str, Any]) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / BACKUP_FILE
    if not data["accounts"]:
        path.unlink(missing_ok=True)
        return path
    fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".webhook-backup-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def load_section(data_dir: Path, account_sid: str) -> dict[str, Any] | None:
    """``{"saved_at", "services": {MG…: {...}}, "numbers": {PN…: {...}}}`` or ``None``."""
    section = _read(data_dir)["accounts"].get(account_sid)
    if section is None:
        return None
    if not (isinstance(section.get("services"), dict) and isinstance(section.get("numbers"), dict)):
        raise ValueError(
            f"{data_dir / BACKUP_FILE} has a damaged entry for {account_sid}: fix or remove it."
        )
    result: dict[str, Any] = section
    return result


def save_section(
    data_dir: Path,
    account_sid: str,
    services: dict[str, dict[str, Any]],
    numbers: dict[str, dict[str, Any]],
) -> Path:
    """Remember the original URLs; entries already saved for a SID are kept as they are."""
    data = _read(data_dir)
    section = data["accounts"].setdefault(
        account_sid, {"saved_at": datetime.now(UTC).isoformat(), "services": {}, "numbers": {}}
    )
    for sid, values in services.items():
        section["services"].setdefault(sid, values)
    for sid, values in numbers.items():
        section["numbers"].setdefault(sid, values)
    return _write(data_dir, data)


def remove_section(data_dir: Path, account_sid: str) -> Path:
    """Forget ``account_sid``'s saved URLs (the file goes when no account is left)."""
    data = _read(data_dir)
    data["accounts"].pop(account_sid, None)
    return _write(data_dir, data)
