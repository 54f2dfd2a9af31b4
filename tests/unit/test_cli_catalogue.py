"""`evgui --version`, `evgui profiles`, `evgui points` (in-process and as real processes)."""

from __future__ import annotations

import json
import subprocess
import sys

from evgui import __version__
from evgui.cli.main import main


def test_points_json_lists_the_seed_and_jeedom_names(capsys):
    assert main(["points", "--profile", "generic-l2", "--json"]) == 0
    points = json.loads(capsys.readouterr().out)
    keys = {"id", "name", "kind", "unit", "range", "period_s", "haystack", "jeedom", "modbus",
            "bacnet", "ocpp"}  # fmt: skip
    assert all(keys <= set(p) for p in points)
    seed = [p for p in points if not p["extension"]]
    assert len(seed) == 23
    assert sorted({p["kind"] for p in seed}) == ["command", "measure", "status"]
    assert len([p for p in points if p["jeedom"]]) == 14
    power = next(p for p in points if p["id"] == "active_power")
    assert power["modbus"]["register"] == "40001-40002"
    assert power["haystack"] == "sensor-elec-power-point"
    assert power["range"] == [0, 22] and power["period_s"] == 1


def test_points_table_is_readable(capsys):
    assert main(["points"]) == 0
    out = capsys.readouterr().out
    assert "max_current_limit" in out and "holding 40101" in out and "6-32 A" in out


def test_unknown_profile_is_a_clear_error_not_a_traceback(capsys):
    assert main(["points", "--profile", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no profile 'nope'" in err and "Traceback" not in err


def test_profiles_json(capsys):
    assert main(["profiles", "--json"]) == 0
    profiles = json.loads(capsys.readouterr().out)
    generic = next(p for p in profiles if p["id"] == "generic-l2")
    assert {"vendor", "models", "transports", "confidence"} <= set(generic)


def test_version_and_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "evgui", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"evgui {__version__}"
