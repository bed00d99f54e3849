"""Build the PyInstaller bundle from this checkout and run its self-test headless.

Run on its own with ``pytest -m installer``; .ci/run runs it with the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.installer, pytest.mark.slow]


@pytest.mark.skipif(
    shutil.which("pyinstaller", path=str(Path(sys.executable).parent)) is None,
    reason="PyInstaller is not installed (pip install -e '.[build]')",
)
def test_bundle_builds_and_passes_its_self_test(tmp_path: Path) -> None:
    pyinstaller = Path(sys.executable).parent / "pyinstaller"
    build = subprocess.run(
        [
            str(pyinstaller),
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(tmp_path / "dist"),
            "--workpath",
            str(tmp_path / "build"),
            str(ROOT / "build.spec"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=ROOT,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    bundle = tmp_path / "dist" / "sms-console"
    exe = bundle / ("sms-console.exe" if sys.platform == "win32" else "sms-console")
    assert exe.exists()
    assert not list(bundle.rglob("test_*.py")), "the test suite must not be bundled"
    assert (bundle / "_internal" / "console" / "store" / "migrations" / "env.py").exists()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SMS_CONSOLE_HOME": str(tmp_path / "h")}
    result = subprocess.run(
        [str(exe), "--self-test"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for step in ("database", "keyring", "services", "send", "callbacks", "window"):
        assert any(line.startswith(f"ok   {step}:") for line in lines), result.stdout
    assert lines[-1] == "self-test passed"
    size_mb = sum(f.stat().st_size for f in bundle.rglob("*") if f.is_file()) / 2**20
    print(f"bundle size: {size_mb:.0f} MB")


def test_self_test_from_source(tmp_path: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SMS_CONSOLE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--self-test"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "self-test passed"
