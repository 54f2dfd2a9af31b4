"""`evgui --self-test`: the check CI runs on the frozen build, here from source, and its failures."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from evgui import selftest
from evgui.devices import loader

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Return (width, height) from a PNG's header chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_self_test_reads_both_protocols_and_renders_the_window(tmp_path):
    png = tmp_path / "self-test.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", EVGUI_CONFIG_DIR=str(tmp_path / "cfg"))
    done = subprocess.run(
        [sys.executable, "-m", "evgui", "--self-test", "--screenshot", str(png)],
        env=env, capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("evgui self-test OK"), line
    shipped = len(list(loader.profiles_dir().glob("*.toml")))
    assert f"{shipped} profiles loaded" in line
    for protocol in ("Modbus", "OCPP"):
        volts = float(line.split(f"{protocol} voltage ")[1].split(" V")[0])
        assert 200.0 < volts < 260.0, line  # the simulator's mains, read through the transport
    assert png_size(png) == (1600, 1000)


def test_a_broken_profile_fails_the_self_test_naming_the_file(tmp_path, monkeypatch):
    (tmp_path / "good.toml").write_text(
        (loader.profiles_dir() / "generic-l2.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "broken.toml").write_text("[profile\nid = 'x'\n", encoding="utf-8")
    monkeypatch.setattr(loader, "profiles_dir", lambda: tmp_path)
    report = selftest.SelfTestReport()
    selftest.check_profiles(report)
    assert report.checks == []
    assert len(report.failures) == 1 and "broken.toml" in report.failures[0]
    assert "good.toml" not in report.failures[0]
    assert report.line(1.0).startswith("evgui self-test FAILED: profiles: broken.toml")


def test_no_profiles_at_all_is_a_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(loader, "profiles_dir", lambda: tmp_path)
    report = selftest.SelfTestReport()
    selftest.check_profiles(report)
    assert report.failures == ["profiles: none found"]


@pytest.mark.parametrize(("failures", "code"), [([], 0), (["no value over OCPP within 30 s"], 1)])
def test_the_exit_code_follows_the_failures(monkeypatch, failures, code, tmp_path):
    async def fake_console(report: selftest.SelfTestReport, png: Path) -> None:
        report.failures.extend(failures)

    monkeypatch.setattr(selftest, "check_console", fake_console)
    assert selftest.run_self_test(tmp_path / "x.png") == code
