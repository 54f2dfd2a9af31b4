"""OCPP MeterValues throughput: the console's central system vs a bare `ocpp` central system.

Each server runs in its own process; this process opens N charge point connections (1, 10, 100)
on loopback and each sends a realistic MeterValues (11 sampled values) as soon as the previous
one is answered, for a fixed time. Prints MeterValues/s and round-trip p50/p99 for both servers
and the ratio console/bare. Target (issue 5): the console handles >= 1.0x the bare one.

    uv run python bench/ocpp_throughput.py [--seconds 5] [--counts 1,10,100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import re
import statistics
import sys
import time

from websockets.asyncio.client import connect

SAMPLED = [
    {"value": "1250000", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
    {"value": "21800.5", "measurand": "Power.Active.Import", "unit": "W"},
    *(
        {"value": "229.8", "measurand": "Voltage", "phase": f"L{n}-N", "unit": "V"}
        for n in (1, 2, 3)
    ),
    *(
        {"value": "31.9", "measurand": "Current.Import", "phase": f"L{n}", "unit": "A"}
        for n in (1, 2, 3)
    ),
    {"value": "32.0", "measurand": "Current.Offered", "unit": "A"},
    {"value": "31.5", "measurand": "Temperature", "unit": "Celsius"},
    {"value": "0.998", "measurand": "Power.Factor"},
]


# ------------------------------------------------------------------ the two servers


async def serve_console(port: int) -> None:
    """Serve the console's OCPP service (models, readings, derived state, frame log)."""
    from evgui.core.dispatcher import CommandDispatcher
    from evgui.core.events import EventHub
    from evgui.devices.loader import get_profile
    from evgui.transports.ocpp.registry import AdHocRegistry
    from evgui.transports.ocpp.server import OcppServerConfig
    from evgui.transports.ocpp.service import OcppService

    hub = EventHub()
    config = OcppServerConfig(host="127.0.0.1", port=port, meter_setup=False, ping_interval=None)
    service = OcppService(
        config, AdHocRegistry(hub, get_profile("generic-l2")), hub, CommandDispatcher(hub)
    )
    print(f"PORT {await service.start()}", flush=True)
    await asyncio.Event().wait()


async def serve_bare(port: int) -> None:
    """Serve a central system made of nothing but the ocpp library and websockets."""
    from ocpp.routing import on
    from ocpp.v16 import ChargePoint, call_result
    from ocpp.v16.enums import Action
    from websockets.asyncio.server import serve

    class Bare(ChargePoint):
        @on(Action.meter_values)
        def on_meter_values(self, **_):
            return call_result.MeterValues()

        @on(Action.boot_notification)
        def on_boot(self, **_):
            now = dt.datetime.now(dt.UTC).isoformat()
            return call_result.BootNotification(current_time=now, interval=300, status="Accepted")

    async def handler(ws):
        cp = Bare(ws.request.path.rsplit("/", 1)[-1], ws)
        with contextlib.suppress(Exception):  # the client closing ends the session
            await cp.start()

    server = await serve(handler, "127.0.0.1", port, subprotocols=["ocpp1.6"], ping_interval=None)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


# ----------------------------------------------------------------------- the load


async def charge_point(url: str, cp_id: str, deadline: float, rtts: list[float]) -> int:
    """Send MeterValues back to back until the deadline; return how many were answered."""
    sent = 0
    async with connect(
        f"{url}/{cp_id}", subprotocols=["ocpp1.6"], proxy=None, ping_interval=None
    ) as ws:
        while time.monotonic() < deadline:
            uid = f"{cp_id}-{sent}"
            now = dt.datetime.now(dt.UTC).isoformat()
            payload = {
                "connectorId": 1,
                "meterValue": [{"timestamp": now, "sampledValue": SAMPLED}],
            }
            started = time.perf_counter()
            await ws.send(json.dumps([2, uid, "MeterValues", payload]))
            reply = json.loads(await ws.recv())
            rtts.append((time.perf_counter() - started) * 1000)
            if reply[0] != 3 or reply[1] != uid:
                raise RuntimeError(f"unexpected answer {reply}")
            sent += 1
    return sent


async def measure(kind: str, count: int, seconds: float) -> tuple[float, float, float]:
    """Start one server kind in its own process and load it with `count` charge points."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", kind, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    port = int(re.search(rb"PORT (\d+)", await proc.stdout.readline())[1])  # type: ignore[index]
    url = f"ws://127.0.0.1:{port}/ocpp"
    rtts: list[float] = []
    try:
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        done = await asyncio.gather(
            *(charge_point(url, f"CP{n}", deadline, rtts) for n in range(count))
        )
        elapsed = time.monotonic() - started
    finally:
        proc.terminate()
        await proc.wait()
    rtts.sort()
    p99 = rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))]
    return sum(done) / elapsed, statistics.median(rtts), p99


async def main(seconds: float, counts: list[int]) -> None:
    print(f"{'CPs':>4s} {'console/s':>10s} {'bare/s':>9s} {'ratio':>6s}   "
          f"{'console p50/p99 ms':>19s} {'bare p50/p99 ms':>16s}")  # fmt: skip
    for count in counts:
        ours = await measure("console", count, seconds)
        bare = await measure("bare", count, seconds)
        print(f"{count:4d} {ours[0]:10.0f} {bare[0]:9.0f} {ours[0] / bare[0]:6.2f}   "
              f"{ours[1]:8.2f} / {ours[2]:8.2f} {bare[1]:7.2f} / {bare[2]:7.2f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--counts", default="1,10,100")
    parser.add_argument("--serve", choices=("console", "bare"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import logging

        logging.getLogger("ocpp").setLevel(logging.CRITICAL)
        asyncio.run(serve_console(0) if args.serve == "console" else serve_bare(0))
    else:
        asyncio.run(main(args.seconds, [int(c) for c in args.counts.split(",")]))
