"""Startup: process start to the first painted main window, source and frozen vs bare PySide6.

In one run, alternating N rounds of:
  bare:   a Python process that opens an empty QMainWindow (the floor for any Qt app here);
  source: `python -m evgui` (fresh settings, no chargers);
  frozen: `dist/evgui/evgui` (the onedir build: `bash packaging/build.sh`), if present.
Each child prints "first-paint" from the window's first paint event and exits; the time is taken
in this process from spawn to that line. Reports medians, ratios to bare, and the build size.
Targets (issue 7): source <= 1.5x bare, frozen onedir <= 2.0x bare.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FROZEN = ROOT / "dist" / "evgui" / "evgui"
ONEFILE = ROOT / "dist" / "onefile" / "evgui"
BARE = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1440, 900)
class Reporter(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print("first-paint", flush=True)
            QTimer.singleShot(0, app.quit)
        return False
reporter = Reporter()
window.installEventFilter(reporter)
window.show()
app.exec()
"""


def first_paint(command: list[str], env: dict[str, str], timeout: float = 60.0) -> float:
    """Return seconds from spawning command to its 'first-paint' line."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)  # fmt: skip
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if line.strip() == "first-paint":
                elapsed = time.perf_counter() - started
                break
        else:
            raise RuntimeError(f"{command[0]} exited without painting (code {child.wait()})")
    finally:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
    return elapsed


def size_of(folder: Path) -> int:
    """Return the bytes under a folder (symbolic links counted once, as links)."""
    total = 0
    for base, _dirs, files in os.walk(folder):
        total += sum(os.lstat(os.path.join(base, name)).st_size for name in files)
    return total


def main() -> int:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as config:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "EVGUI_CONFIG_DIR": config, "EVGUI_EXIT_ON_FIRST_PAINT": "1"}  # fmt: skip
        # As installed software runs: with bytecode caches (the warm-up run writes them). A
        # PYTHONDONTWRITEBYTECODE environment would otherwise recompile every module each start.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = {
            "bare PySide6 window": [sys.executable, "-c", BARE],
            "python -m evgui": [sys.executable, "-m", "evgui"],
        }
        if FROZEN.exists():
            commands["frozen onedir"] = [str(FROZEN)]
        if ONEFILE.exists():
            commands["frozen onefile"] = [str(ONEFILE)]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the disk cache and write bytecode once
            first_paint(command, env)
        for _ in range(args.rounds):
            for name, command in commands.items():
                times[name].append(first_paint(command, env))
    bare = statistics.median(times["bare PySide6 window"])
    print(f"{'program':<22} {'median s':>9} {'min s':>7} {'ratio':>6}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:9.3f} {min(values):7.3f} {median / bare:6.2f}")
    if FROZEN.exists():
        print(f"onedir build size: {size_of(FROZEN.parent) / 1e6:.0f} MB ({FROZEN.parent})")
    else:
        print("no frozen build (run: bash packaging/build.sh)")
    if ONEFILE.exists():
        print(f"onefile build size: {ONEFILE.stat().st_size / 1e6:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
