"""`evgui ocpp-server --json` as a real process: readings out, commands in, survives bad input."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sys

from websockets.asyncio.client import connect

from tests.helpers import until


class Server:
    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc, self.port, self.lines = proc, port, []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            self.lines.append(json.loads(line))

    def events(self, kind: str) -> list[dict]:
        return [line for line in self.lines if line.get("event") == kind]

    async def command(self, obj: dict | str) -> None:
        text = obj if isinstance(obj, str) else json.dumps(obj)
        self.proc.stdin.write((text + "\n").encode())
        await self.proc.stdin.drain()


async def start_server(*args: str) -> Server:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evgui", "ocpp-server", "--host", "127.0.0.1", "--port", "0", "--json",
        "--meter-interval", "1", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    while True:
        line = (await asyncio.wait_for(proc.stderr.readline(), 20)).decode()
        assert line, "ocpp-server exited"
        if match := re.search(r"listening on port (\d+)", line):
            return Server(proc, int(match[1]))


async def test_ocpp_server_readings_commands_and_bad_input(sim_factory):
    server = await start_server()
    try:
        charger = await sim_factory(modbus_host=None, scenario="charge", speed=20, cp_id="CP001",
                                    ocpp_url=f"ws://127.0.0.1:{server.port}/ocpp")  # fmt: skip
        await until(lambda: server.events("connected"), timeout=10)
        await until(lambda: server.events("boot"), timeout=10)
        wanted = {"active_power", "energy_delivered", "output_voltage", "voltage_2", "voltage_3",
                  "output_current", "current_2", "current_3", "charger_temperature"}  # fmt: skip
        await until(lambda: wanted <= {r["id"] for r in server.events("reading")}, timeout=15)
        power = [r for r in server.events("reading") if r["id"] == "active_power"][-1]
        assert power["jeedom"] == "power" and power["unit"] == "kW" and "ts" in power
        assert server.events("status") and server.events("frame")
        await server.command({"cp": "CP001", "command": "max_current_limit", "value": 16})
        result = await until(lambda: server.events("call_result"), timeout=10)
        assert result[0]["status"] == "accepted" and result[0]["command"] == "max_current_limit"
        await until(lambda: 0 < max(charger.session.current_a) <= 16)
        await server.command({"cp": "CP001", "command": "max_current_limit", "value": 99})
        await server.command("this is not json")
        await server.command({"cp": "NOPE", "command": "remote_stop"})
        await server.command({"cp": "CP001", "command": "remote_stop"})
        results = await until(
            lambda: len(server.events("call_result")) >= 5 and server.events("call_result"),
            timeout=10,
        )
        by_text = json.dumps(results)
        assert "must be within 6-32 A (got 99)" in by_text
        assert "bad command line" in by_text
        assert "unknown charger 'NOPE'" in by_text
        assert results[-1]["status"] == "accepted" and results[-1]["command"] == "remote_stop"
        async with connect(
            f"ws://127.0.0.1:{server.port}/ocpp/JUNK", subprotocols=["ocpp1.6"], proxy=None
        ) as ws:
            await ws.send("}{ not json")
            await ws.send('[2,"j1","Heartbeat"')
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply[2] == "FormationViolation"
        await charger.ocpp.drop_connection()
        await until(
            lambda: len(server.events("connected")) >= 3, timeout=10
        )  # CP001 twice, JUNK once
        assert server.proc.returncode is None  # still up
    finally:
        server.proc.send_signal(signal.SIGINT)
        with contextlib.suppress(Exception):
            server.proc.stdin.close()
        await asyncio.wait_for(server.proc.wait(), 15)
        await server.reader
    assert server.proc.returncode == 0
    err = (await server.proc.stderr.read()).decode()
    assert "Traceback" not in err
