"""Composition root: one QApplication, one qasync loop, the fleet, the bridge, the window.

This is the only module that knows both the Qt side and the transports: it builds the Fleet
(Qt-free), hands it to the windows as a ConsoleBackend, and shuts everything down in order.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_API", "pyside6")  # before qasync / pyqtgraph pick a binding

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from evgui.core.config import ChargerConfig
from evgui.core.events import EventHub, Level
from evgui.fleet import Fleet
from evgui.qt.bridge import QtBridge
from evgui.qt.i18n import install_translator
from evgui.qt.theme import resolve
from evgui.storage.settings import load_settings, save_settings
from evgui.ui.common import UiContext
from evgui.ui.main_window import MainWindow

if TYPE_CHECKING:
    from evgui.simulators.runner import SimulatedCharger

log = logging.getLogger(__name__)
FIRST_PAINT_ENV = "EVGUI_EXIT_ON_FIRST_PAINT"  # bench/startup.py: report the first paint, exit
DEMO_ID = "demo"
DEMO_CP_ID = "EVGUI-DEMO"
SCREENSHOT_SIZE = (1600, 1000)
PAINT_WAIT_S = 1.0


@dataclass
class ConsoleOptions:
    """How to run the console (from the command line, the self-test or a test)."""

    demo: bool = False
    theme: str | None = None  # None: the remembered one
    screenshot: Path | None = None
    quit_after: float | None = None
    listen: tuple[str, int] | None = None  # (host, port) for this run; None: saved settings
    settings_path: Path | None = None
    demo_meter_interval_s: float = 2.0


class PaintWatcher(QObject):
    """Call back once, on the window's first paint (the console then starts its links)."""

    def __init__(self, window: QWidget, on_paint: Callable[[], None]) -> None:
        super().__init__(window)
        self.on_paint: Callable[[], None] | None = on_paint
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Catch the first paint event."""
        if event.type() == QEvent.Type.Paint and self.on_paint is not None:
            on_paint, self.on_paint = self.on_paint, None
            on_paint()
        return False


class Console:
    """The running application: fleet, simulator (demo), bridge, context, window."""

    def __init__(self, app: QApplication, options: ConsoleOptions) -> None:
        self.app = app
        self.options = options
        self.closed = asyncio.Event()
        self.settings = load_settings(options.settings_path)
        self.hub = EventHub()
        host, port = options.listen or ("0.0.0.0", None)
        self.fleet = Fleet(
            self.hub, self.settings.server, self.settings.chargers,
            listen_host=host, listen_port=port,
        )  # fmt: skip
        self.sim: SimulatedCharger | None = None  # --demo only
        self.bridge = QtBridge(self.hub)
        self.ctx = UiContext(self.fleet, self.bridge, self.settings, self._save)
        self.window: MainWindow | None = None
        self.painted = asyncio.Event()

    def _save(self, settings: object) -> None:
        save_settings(self.settings, self.options.settings_path)

    async def start(self) -> MainWindow:
        """Show the window first, then start servers and pollers (and the demo charger).

        The transports cost about a second of imports: painting first puts the console on
        screen in a fraction of that (bench/startup.py); values appear as the links come up.
        """
        theme = self.options.theme or self.settings.theme
        self.ctx.theme = resolve(theme)  # the widgets are built in these colours...
        window = MainWindow(self.ctx, on_closed=self.closed.set)
        # ...and the stylesheet is applied once they all exist: one pass over the finished
        # window instead of a re-polish at every reparenting (-30 ms at start, bench/startup.py)
        self.ctx.apply_theme(theme, remember=False)
        restored = self.options.screenshot is None and window.restore_layout()
        if not restored:
            window.resize(*(SCREENSHOT_SIZE if self.options.screenshot else (1440, 900)))
        self._watcher = PaintWatcher(window, self._first_paint)
        window.show()
        if restored is False:
            window.default_layout()
        self.window = window
        with contextlib.suppress(TimeoutError):  # offscreen or hidden: do not wait for ever
            await asyncio.wait_for(self.painted.wait(), PAINT_WAIT_S)
        await self.fleet.start()
        if self.options.demo:
            await self._start_demo()
            window.select(DEMO_ID)
        window.refresh_status()
        return window

    def _first_paint(self) -> None:
        self.painted.set()
        if os.environ.get(FIRST_PAINT_ENV):  # bench/startup.py measures up to here
            print("first-paint", flush=True)
            QTimer.singleShot(0, self.closed.set)

    async def _start_demo(self) -> None:
        """Run the simulated charger in-process: Modbus on loopback, OCPP into our own server."""
        fleet = self.fleet
        if fleet.server_state != "listening":  # the saved port is busy: any port will do here
            fleet.hub.log(None, Level.WARNING, "demo: the OCPP port is busy, using a free one")
            fleet.listen_port = 0
            await fleet.start_server()
        from evgui.simulators.runner import SimConfig, SimulatedCharger

        sim = SimulatedCharger(
            SimConfig(
                modbus_host="127.0.0.1", modbus_port=0, ocpp_url=None, cp_id=DEMO_CP_ID,
                scenario="cycle", soc=0.35, seed=7,
                meter_interval_s=self.options.demo_meter_interval_s,
            )
        )  # fmt: skip
        await sim.start()
        self.sim = sim
        config = ChargerConfig(
            id=DEMO_ID, name="Demo charger (simulated)", profile_id="generic-l2",
            modbus_kind="tcp", host="127.0.0.1", port=sim.modbus_port, unit_id=sim.unit_id,
            ocpp_id=DEMO_CP_ID, ocpp_password=fleet.server_settings.password,
        )  # fmt: skip
        await fleet.add(config, transient=True)
        port = fleet.server_port()
        settings = fleet.server_settings
        if port is None or settings.tls_cert:
            fleet.hub.log(
                DEMO_ID, Level.WARNING, "demo: OCPP face not started (server down or TLS)"
            )
            return
        path = "/" + settings.path.strip("/") if settings.path.strip("/") else ""
        if settings.password:
            sim.config.password = settings.password
        sim.connect_ocpp(f"ws://127.0.0.1:{port}{path}")  # the face appends its id

    async def run(self) -> int:
        """Run until the window closes (or --quit-after), then shut down cleanly."""
        window = await self.start()
        opts = self.options
        if opts.quit_after is not None:
            self.ctx.spawn(self._quit_later(window, opts.quit_after), "quit-after")
        await self.closed.wait()
        await self.stop()
        return 0

    async def _quit_later(self, window: MainWindow, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if self.options.screenshot is not None:
            self.screenshot(window, self.options.screenshot)
        window.close()

    @staticmethod
    def screenshot(window: MainWindow, path: Path) -> bool:
        """Save a PNG of the main window."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return bool(window.grab().save(str(path), "PNG"))

    async def stop(self) -> None:
        """Stop in order: UI tasks, bridge, our clients and server (fleet), then the simulator."""
        await self.ctx.tasks.cancel_all()
        self.bridge.close()
        if self.window is not None:
            self.window.shutdown()  # deleted by Qt now, not by a garbage collection later
            self.window = None
        await self.fleet.stop()
        if self.sim is not None:
            await self.sim.stop()
        await asyncio.sleep(0.01)  # let Qt run the deferred deletions


def application() -> QApplication:
    """Return the QApplication (created once), named and with its icon."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):  # a host (a test harness) made one: make it ours
        existing.setQuitOnLastWindowClosed(False)
        return existing
    app = QApplication(sys.argv[:1])
    app.setApplicationName("evgui")
    app.setOrganizationName("evgui")
    app.setQuitOnLastWindowClosed(False)  # the main coroutine decides when to stop
    install_translator(app)
    return app


def run(options: ConsoleOptions) -> int:
    """Run the console on one qasync loop, created once."""
    import qasync

    app = application()
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(Console(app, options).run())


def run_console(args: argparse.Namespace) -> int:
    """Start the console from parsed command-line arguments."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quit_after = args.quit_after
    if quit_after is None and args.screenshot:
        quit_after = 8.0
    options = ConsoleOptions(
        demo=args.demo, theme=args.theme, quit_after=quit_after, listen=args.ocpp_listen,
        screenshot=Path(args.screenshot) if args.screenshot else None,
    )  # fmt: skip
    return run(options)
