"""`evgui --self-test`: prove a build works end to end, offscreen, in a few seconds.

Loads every shipped profile, starts the simulated charger, reads one value over Modbus and one
over OCPP through the real transports, renders the main window to a PNG, prints one line and
exits 0; or exits 1 naming what failed. Used on the frozen build by CI (.ci/run).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

WAIT_S = 30.0


@dataclass
class SelfTestReport:
    """What worked and what did not."""

    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self, elapsed_s: float) -> str:
        """Return the one-line summary."""
        verdict = "OK" if not self.failures else "FAILED: " + "; ".join(self.failures)
        return f"evgui self-test {verdict} in {elapsed_s:.1f} s — " + "; ".join(self.checks)


def check_profiles(report: SelfTestReport) -> None:
    """Load every shipped profile."""
    from evgui.devices.loader import ProfileError, load_profile, profiles_dir

    paths = sorted(profiles_dir().glob("*.toml"))
    broken = []
    for path in paths:
        try:
            load_profile(path)
        except (ProfileError, OSError) as exc:
            broken.append(f"{path.name}: {exc}")
    if broken or not paths:
        report.failures.append("profiles: " + (", ".join(broken) or "none found"))
    else:
        report.checks.append(f"{len(paths)} profiles loaded")


async def check_console(report: SelfTestReport, png: Path) -> None:
    """Run the console with the demo charger; read over Modbus and OCPP; render a PNG."""
    from evgui.app import Console, ConsoleOptions, application
    from evgui.core.reading import Source

    with tempfile.TemporaryDirectory(prefix="evgui-selftest-") as folder:
        options = ConsoleOptions(demo=True, listen=("127.0.0.1", 0), screenshot=png,
                                 settings_path=Path(folder) / "settings.json")  # fmt: skip
        console = Console(application(), options)
        try:
            window = await console.start()
            model = console.fleet.entries["demo"].model
            wanted = {Source.MODBUS: "Modbus", Source.OCPP: "OCPP"}
            deadline = time.monotonic() + WAIT_S
            while wanted and time.monotonic() < deadline:
                for source in list(wanted):
                    reading = model.latest("output_voltage", source)
                    if reading is not None and reading.usable:
                        report.checks.append(f"{wanted.pop(source)} voltage {reading.value:.1f} V")
                await asyncio.sleep(0.1)
            for name in wanted.values():
                why = model.link_state(name.lower())[1] or "no value"
                report.failures.append(f"no value over {name} within {WAIT_S:g} s ({why})")
            await asyncio.sleep(0.3)  # one more frame so the PNG shows the values
            if Console.screenshot(window, png):
                report.checks.append(f"window {window.width()}x{window.height()} -> {png}")
            else:
                report.failures.append(f"could not write {png}")
            window.close()
        except Exception as exc:  # the self-test reports, it never shows a traceback
            report.failures.append(f"console: {type(exc).__name__}: {exc}")
        finally:
            await console.stop()


def run_self_test(png: Path | None = None) -> int:
    """Run every check; print one line; return the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.monotonic()
    report = SelfTestReport()
    check_profiles(report)
    target = png or Path(tempfile.gettempdir()) / "evgui-self-test.png"

    import qasync

    from evgui.app import application

    app = application()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(check_console(report, target))
    print(report.line(time.monotonic() - started), flush=True)
    return 0 if not report.failures else 1
