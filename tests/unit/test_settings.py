"""Settings: defaults, persistence, overrides, and no secrets on disk."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from console.cli import build_parser, settings_from_args
from console.settings import Settings, configure_logging


def test_defaults_live_in_the_data_dir(data_dir: Path) -> None:
    s = Settings.load()
    assert s.data_dir == data_dir
    assert s.db_url == f"sqlite:///{data_dir / 'console.db'}"
    assert (s.port, s.tunnel, s.validate_signatures) == (8080, True, True)


def test_round_trip(settings: Settings) -> None:
    changed = replace(settings, port=9090, default_region="GB", profiles=("default", "acme"))
    changed.save()
    loaded = Settings.load(settings.data_dir)
    assert loaded == changed


def test_bad_values_fall_back_to_defaults(settings: Settings) -> None:
    (settings.data_dir / "settings.json").write_text(
        json.dumps(
            {
                "port": "eighty",
                "tunnel": 3,
                "pacing": {"long_code": -1, "toll_free": 5},
                "unknown": 1,
            }
        )
    )
    loaded = Settings.load(settings.data_dir)
    assert loaded.port == 8080 and loaded.tunnel is True
    assert loaded.pacing.long_code == 1.0 and loaded.pacing.toll_free == 5.0


def test_profile_names_longer_than_the_ledger_holds_are_dropped(settings: Settings) -> None:
    long = "p" * 65
    (settings.data_dir / "settings.json").write_text(
        json.dumps({"profiles": ["support", long], "active_profile": long})
    )
    loaded = Settings.load(settings.data_dir)
    assert loaded.profiles == ("support",) and loaded.active_profile == "default"


def test_corrupt_file_gives_defaults(settings: Settings) -> None:
    (settings.data_dir / "settings.json").write_text("{not json")
    assert Settings.load(settings.data_dir) == settings


def test_settings_file_holds_no_secret_fields(settings: Settings) -> None:
    path = settings.save()
    text = path.read_text()
    for word in ("token", "secret", "password"):
        assert word not in text.lower()


def test_command_line_overrides(data_dir: Path) -> None:
    args = build_parser().parse_args(
        ["--port", "9999", "--public-url", "https://example.com", "export", "--demo"]
    )
    s = settings_from_args(args)
    assert (s.port, s.public_url, s.tunnel, s.demo) == (9999, "https://example.com", False, True)


def test_data_dir_option(tmp_path: Path) -> None:
    args = build_parser().parse_args(["segments", "hi", "--data-dir", str(tmp_path / "d")])
    assert settings_from_args(args).data_dir == tmp_path / "d"


def test_unknown_subcommand_is_an_error() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["frobnicate"])


def test_an_unknown_log_level_in_the_file_logs_at_info_and_says_so(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    odd = replace(settings, log_level="loud")
    with caplog.at_level(logging.WARNING):
        path = configure_logging(odd)
    try:
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_sms_console", False)]
        assert [h.level for h in ours] == [logging.INFO]
        assert "log_level 'loud'" in caplog.text and path.exists()
    finally:
        for handler in ours:
            logging.getLogger().removeHandler(handler)
            handler.close()
