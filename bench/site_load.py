"""Site load: 200 OCPP 1.6J charge points and 10 Modbus chargers against one console, 60 s.

The console runs in this process, as on a laptop: fleet, OCPP server, Modbus pollers and (unless
--no-gui) the Qt bridge and main window offscreen, on one qasync loop. The load runs in a second
process (`--generator`): 10 simulated Modbus chargers (polled by the console at 1 Hz) and N
charge points speaking OCPP 1.6J over websockets, each sending MeterValues (11 sampled values)
every second, phases spread over the second, one call at a time as OCPP-J requires, answering
the console's own calls (meter setup).

Reports, over the measured window: event-loop lag (a 20 ms probe's lateness) p50/p99/max,
receipt-to-paint latency of readings p50/p99/max (gauges of the shown charger and the visible
rows of the fleet table), MeterValues sent / received / answered, CPU of both processes, RSS at
start and end, trend redraw time, and the memory and redraw time of 24 h x 1 Hz x 12 series.
Targets (issue 8): lag p99 <= 50 ms, paint p99 <= 50 ms, 0 lost, RSS growth <= 5 %,
24 h x 12 series <= 30 MB with a redraw <= 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
PROBE_S = 0.02
CALL_TIMEOUT_S = 30.0

# --------------------------------------------------------------------------- generator process


class ChargePointLoad:
    """One charge point: Boot, Status, then MeterValues every second; answers the server."""

    def __init__(self, cp_id: str, stats: dict[str, int]) -> None:
        self.cp_id = cp_id
        self.stats = stats
        self.ids = itertools.count(1)
        self.pending: dict[str, asyncio.Future[Any]] = {}

    async def call(self, ws: Any, action: str, payload: dict[str, Any]) -> Any:
        """Send a Call and wait for its CallResult."""
        message_id = f"{self.cp_id}-{next(self.ids)}"
        future = asyncio.get_running_loop().create_future()
        self.pending[message_id] = future
        await ws.send(json.dumps([2, message_id, action, payload]))
        try:
            return await asyncio.wait_for(future, CALL_TIMEOUT_S)
        finally:
            self.pending.pop(message_id, None)

    async def reader(self, ws: Any) -> None:
        """Resolve our calls; answer the central system's calls (meter setup, triggers)."""
        async for text in ws:
            frame = json.loads(text)
            if frame[0] in (3, 4):
                future = self.pending.get(frame[1])
                if future is not None and not future.done():
                    future.set_result(frame)
            elif frame[0] == 2:
                action = frame[2]
                answer: dict[str, Any] = {"status": "Accepted"}
                if action == "GetConfiguration":
                    answer = {"configurationKey": [], "unknownKey": []}
                await ws.send(json.dumps([3, frame[1], answer]))

    def meter_values(self, n: int) -> dict[str, Any]:
        """Return one MeterValues payload with 11 sampled values."""
        amps = 16 + random.random()
        values = [
            ("Power.Active.Import", None, f"{3 * 230 * amps:.1f}", "W"),
            ("Energy.Active.Import.Register", None, f"{1_000_000 + n * 3.1:.1f}", "Wh"),
            ("Current.Offered", None, "32", "A"),
            ("Frequency", None, f"{50 + random.uniform(-0.04, 0.04):.2f}", None),
            ("Power.Factor", None, "0.99", None),
        ]
        for phase in ("L1", "L2", "L3"):
            values.append(("Voltage", f"{phase}-N", f"{230 + random.uniform(-2, 2):.1f}", "V"))
            values.append(("Current.Import", phase, f"{amps:.2f}", "A"))
        sampled = []
        for measurand, phase, value, unit in values:
            entry = {"value": value, "measurand": measurand, "context": "Sample.Periodic"}
            if phase:
                entry["phase"] = phase
            if unit:
                entry["unit"] = unit
            sampled.append(entry)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"connectorId": 1, "transactionId": 1,
                "meterValue": [{"timestamp": stamp, "sampledValue": sampled}]}  # fmt: skip

    async def run(self, url: str, until: float, phase_s: float) -> None:
        """Connect, boot, then send MeterValues every second until `until` (loop time)."""
        import websockets

        loop = asyncio.get_running_loop()
        async with websockets.connect(f"{url}/{self.cp_id}", subprotocols=["ocpp1.6"],
                                      proxy=None, open_timeout=60) as ws:  # fmt: skip
            reader = asyncio.create_task(self.reader(ws))
            try:
                boot = {"chargePointVendor": "Bench", "chargePointModel": "LoadCP"}
                await self.call(ws, "BootNotification", boot)
                status = {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
                await self.call(ws, "StatusNotification", status)
                self.stats["connected"] += 1
                await asyncio.sleep(phase_s)
                due = loop.time()
                n = 0
                while loop.time() < until:
                    self.stats["sent"] += 1
                    try:
                        reply = await self.call(ws, "MeterValues", self.meter_values(n))
                        self.stats["answered" if reply[0] == 3 else "call_errors"] += 1
                    except TimeoutError:
                        self.stats["timeouts"] += 1
                    n += 1
                    due += 1.0
                    await asyncio.sleep(max(0.0, due - loop.time()))
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader


async def generator(modbus: int) -> None:
    """Serve Modbus chargers; on a line {"url", "cps", "seconds"} on stdin run the charge points."""
    from evgui.simulators.runner import SimConfig, SimulatedCharger

    sims = [SimulatedCharger(SimConfig(modbus_host="127.0.0.1", modbus_port=0, scenario="charge",
                                       seed=n, soc=0.3)) for n in range(modbus)]  # fmt: skip
    for sim in sims:
        await sim.start()
    print(json.dumps({"modbus_ports": [s.modbus_port for s in sims]}), flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    order = json.loads(line)
    stats = {"connected": 0, "sent": 0, "answered": 0, "timeouts": 0, "call_errors": 0}
    until = asyncio.get_running_loop().time() + order["seconds"]
    points = [ChargePointLoad(f"CP{n:03d}", stats) for n in range(1, order["cps"] + 1)]
    cpu0 = psutil.Process().cpu_times()
    wall0 = time.monotonic()
    results = await asyncio.gather(
        *(p.run(order["url"], until, random.random()) for p in points), return_exceptions=True
    )
    cpu1 = psutil.Process().cpu_times()
    stats["failed_cps"] = sum(isinstance(r, BaseException) for r in results)
    busy = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
    stats["cpu_percent"] = round(100 * busy / (time.monotonic() - wall0), 1)
    print(json.dumps({"generator": stats}), flush=True)
    for sim in sims:
        await sim.stop()


# ----------------------------------------------------------------------------- console process


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """Return p50, p99 and max (in milliseconds) of values in seconds."""
    if not values:
        return float("nan"), float("nan"), float("nan")
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


async def probe_lag(samples: list[float], stop: asyncio.Event) -> None:
    """Record how late a 20 ms sleep wakes up (the event loop's lag)."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(PROBE_S)
        samples.append(max(0.0, loop.time() - started - PROBE_S))


def settings_file(folder: Path, ports: list[int], cps: int) -> Path:
    """Write a settings file with every charger of the site."""
    chargers = [{"id": f"cp-{n:03d}", "name": f"CP{n:03d}", "ocpp_id": f"CP{n:03d}"}
                for n in range(1, cps + 1)]  # fmt: skip
    chargers += [{"id": f"mb-{n:02d}", "name": f"Modbus {n:02d}", "modbus_kind": "tcp",
                  "host": "127.0.0.1", "port": port, "unit_id": 1}
                 for n, port in enumerate(ports, 1)]  # fmt: skip
    path = folder / "settings.json"
    path.write_text(json.dumps({"chargers": chargers, "theme": "dark"}))
    return path


class Site:
    """The console under load, and what is measured of it."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.lag: list[float] = []
        self.received = 0
        self.redraw_ms: list[float] = []

    def count(self, event: Any) -> None:
        """Count MeterValues as the console receives them (hub subscriber)."""
        if getattr(event, "action", None) == "MeterValues" and event.direction == "rx":
            self.received += 1

    async def run(self) -> dict[str, Any]:
        """Start the load and the console; measure; return the figures."""
        args = self.args
        # Popen returns at once and its lines are read in the executor: qasync's loop has no
        # subprocess transport, so asyncio.create_subprocess_exec is not an option here.
        child = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, __file__, "--generator", "--modbus", str(args.modbus)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        assert child.stdin is not None
        assert child.stdout is not None
        loop = asyncio.get_running_loop()
        ports = json.loads(await loop.run_in_executor(None, child.stdout.readline))["modbus_ports"]
        with tempfile.TemporaryDirectory() as folder:
            path = settings_file(Path(folder), ports, args.cps)
            try:
                return await self._measure(child, path)
            finally:
                child.kill()

    async def _start_console(self, path: Path) -> tuple[Any, Any]:
        """Start the console (GUI or core only); return (fleet, console or None)."""
        if self.args.no_gui:
            from evgui.core.events import EventHub
            from evgui.fleet import Fleet
            from evgui.storage.settings import load_settings

            settings = load_settings(path)
            fleet = Fleet(EventHub(), settings.server, settings.chargers,
                          listen_host="127.0.0.1", listen_port=0)  # fmt: skip
            await fleet.start()
            return fleet, None
        from evgui.app import Console, ConsoleOptions, application

        console = Console(application(), ConsoleOptions(listen=("127.0.0.1", 0),
                                                        settings_path=path))  # fmt: skip
        await console.start()
        console.window.select("cp-001")
        trends = console.window.dashboard.trends
        original = trends.redraw

        def timed_redraw() -> None:
            original()
            if trends.last_redraw_ms:
                self.redraw_ms.append(trends.last_redraw_ms)

        trends._timer.timeout.disconnect()
        trends._timer.timeout.connect(timed_redraw)
        return console.fleet, console

    async def _measure(self, child: subprocess.Popen[str], path: Path) -> dict[str, Any]:
        from evgui.qt.latency import PAINT_LATENCY

        args = self.args
        fleet, console = await self._start_console(path)
        fleet.hub.subscribe(self.count)
        url = f"ws://127.0.0.1:{fleet.server_port()}/ocpp"
        seconds = args.warmup + args.duration
        assert child.stdin is not None
        assert child.stdout is not None
        child.stdin.write(json.dumps({"url": url, "cps": args.cps, "seconds": seconds}) + "\n")
        child.stdin.flush()
        stop = asyncio.Event()
        probe = asyncio.create_task(probe_lag(self.lag, stop))
        await asyncio.sleep(args.warmup)
        online = sum(
            e.model.link_state("ocpp")[0].value == "online" for e in fleet.entries.values()
        )
        me = psutil.Process()
        self.lag.clear()
        self.redraw_ms.clear()
        PAINT_LATENCY.samples.clear()
        PAINT_LATENCY.enabled = True
        rss0, cpu0, wall0 = me.memory_info().rss, me.cpu_times(), time.monotonic()
        await asyncio.sleep(args.duration)
        cpu1, rss1 = me.cpu_times(), me.memory_info().rss
        busy = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)
        wall = time.monotonic() - wall0
        PAINT_LATENCY.enabled = False
        lag = list(self.lag)
        stop.set()
        await probe
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(None, child.stdout.readline)
        await asyncio.sleep(1.0)  # the last answers' log events
        generated = json.loads(report)["generator"] if report else {}
        polls = {e.config.id: e.poller.link.requests for e in fleet.entries.values()
                 if e.poller is not None}  # fmt: skip
        result = {
            "online_at_start": online, "lag": percentiles(lag), "lag_samples": len(lag),
            "paint": percentiles([s for _, _, s in PAINT_LATENCY.samples]),
            "paint_by": {where: percentiles([s for w, _, s in PAINT_LATENCY.samples if w == where])
                         for where in {w for w, _, _ in PAINT_LATENCY.samples}},
            "slowest": sorted(PAINT_LATENCY.samples, key=lambda x: -x[2])[:8],
            "paint_samples": len(PAINT_LATENCY.samples), "received": self.received,
            "generator": generated, "cpu_percent": 100 * busy / wall, "rss0": rss0, "rss1": rss1,
            "redraw": percentiles([ms / 1000 for ms in self.redraw_ms]),
            "modbus_requests": sum(polls.values()), "modbus_chargers": len(polls),
        }  # fmt: skip
        if console is not None:
            console.window.close()
            await console.stop()
        else:
            await fleet.stop()
        return result


def day_of_trends() -> tuple[float, float]:
    """Return (MB, median redraw ms) of 24 h x 1 Hz x 12 series in a 24 h trend window."""
    from evgui.app import application
    from evgui.core.model import ChargerModel
    from evgui.devices.loader import get_profile
    from evgui.qt.theme import DARK
    from evgui.ui.trends import TrendsPanel, trendable

    application()
    profile = get_profile("generic-l2")
    model = ChargerModel("day", profile.catalogue)
    ids = [p.id for p in profile.catalogue if trendable(p)][:12]
    now = time.time()
    for pid in ids:
        for t in range(86_400):
            model.series.append(pid, now - 86_400 + t, 10 + (t % 600) / 60)
    panel = TrendsPanel(DARK)
    panel.resize(1000, 300)
    panel.show()
    panel.set_model(model)
    panel.choose(ids)
    panel.set_window(86_400)
    times = []
    for _ in range(11):
        panel.redraw()
        times.append(panel.last_redraw_ms)
    panel.close()
    return model.series.nbytes / 2**20, statistics.median(times[1:])


def verdict(ok: bool) -> str:
    """Return 'met' or 'NOT met'."""
    return "met" if ok else "NOT met"


def figures(values: tuple[float, float, float], decimals: int = 1) -> str:
    """Format p50 / p99 / max."""
    return " / ".join(f"{v:.{decimals}f}" for v in values)


def print_report(r: dict[str, Any], args: argparse.Namespace, day: Any) -> None:
    """Print the results as a table."""
    g = r["generator"]
    lost = g.get("sent", 0) - r["received"]
    growth = 100 * (r["rss1"] - r["rss0"]) / r["rss0"]
    mode = "core only (--no-gui)" if args.no_gui else "core + GUI offscreen"
    print(
        f"\nsite load: {args.cps} OCPP 1.6J charge points at 1 Hz + {args.modbus} Modbus "
        f"chargers polled at 1 Hz, {args.duration:g} s measured after {args.warmup:g} s, {mode}"
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"charge points online when measuring: {r['online_at_start']} / {args.cps}")
    paint_note = "no GUI" if args.no_gui else f"p99 <= 50: {verdict(r['paint'][1] <= 50)}"
    sent = f"{g.get('sent')} / {r['received']} / {g.get('answered')}"
    rss = f"{r['rss0'] / 2**20:.0f} / {r['rss1'] / 2**20:.0f} ({growth:+.1f} %)"
    rows = [
        ("event-loop lag p50 / p99 / max ms", figures(r["lag"]),
         f"p99 <= 50: {verdict(r['lag'][1] <= 50)}"),
        ("receipt-to-paint p50 / p99 / max ms",
         f"{figures(r['paint'])} ({r['paint_samples']} paints)", paint_note),
        ("MeterValues sent / received / answered", sent,
         f"lost {lost}, timeouts {g.get('timeouts')}: "
         f"{verdict(lost == 0 and not g.get('timeouts'))}"),
        ("Modbus requests (all chargers)",
         f"{r['modbus_requests']} for {r['modbus_chargers']}", ""),
        ("console CPU % (of one core)", f"{r['cpu_percent']:.0f}",
         f"load generator {g.get('cpu_percent')}"),
        ("RSS start / end MB", rss, f"<= 5 %: {verdict(growth <= 5)}"),
        ("trend redraw p50 / p99 / max ms (live)", figures(r["redraw"], 2), ""),
    ]  # fmt: skip
    if day is not None:
        rows.append(("24 h x 1 Hz x 12 series: MB, redraw ms", f"{day[0]:.1f} MB, {day[1]:.1f} ms",
                     f"<= 30 MB, <= 10 ms: {verdict(day[0] <= 30 and day[1] <= 10)}"))  # fmt: skip
    for where, values in sorted(r.get("paint_by", {}).items()):
        rows.insert(2, (f"  paint of {where}", figures(values), ""))
    width = max(len(name) for name, _, _ in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<32} {note}")
    if args.verbose:
        print("slowest paints:", [(w, p, round(s * 1000)) for w, p, s in r.get("slowest", [])])


def main() -> int:
    """Run the generator (child) or the whole benchmark (parent)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cps", type=int, default=200)
    parser.add_argument("--modbus", type=int, default=10)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--no-gui", action="store_true", help="the console's core alone")
    parser.add_argument("--verbose", action="store_true", help="also list the slowest paints")
    parser.add_argument("--generator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from evgui.cli.common import setup_logging

    setup_logging(False)  # pymodbus and websockets speak through the console's own events
    if args.generator:
        asyncio.run(generator(args.modbus))
        return 0
    site = Site(args)
    if args.no_gui:
        result = asyncio.run(site.run())
        day = None
    else:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        import qasync

        from evgui.app import application

        app = application()
        with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
            result = runner.run(site.run())
        day = day_of_trends()
    print_report(result, args, day)
    return 0


if __name__ == "__main__":
    sys.exit(main())
