"""`evgui sim` as a real process: serves Modbus, prints state changes, stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys

import pytest

from tests.helpers import need_tool, run_tool


async def _start_sim(*args: str) -> tuple[asyncio.subprocess.Process, int, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evgui", "sim", "--modbus", "127.0.0.1:0", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    first = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
    match = re.search(r"127\.0\.0\.1:(\d+)", first)
    assert match, first
    return proc, int(match[1]), [first]


async def _stop(proc: asyncio.subprocess.Process) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 15)
    return proc.returncode, out.decode(), err.decode()


async def test_sim_serves_prints_state_changes_and_stops_on_ctrl_c():
    mbpoll = need_tool("mbpoll")
    proc, port, _ = await _start_sim("--scenario", "charge", "--speed", "10", "--seed", "2")
    try:
        await asyncio.sleep(1.0)
        reply = await run_tool(mbpoll, "-m", "tcp", "-a", "1", "-0", "-1", "-t", "4:float", "-B",
                               "-r", "0", "-c", "1", "127.0.0.1", "-p", str(port))  # fmt: skip
        assert reply.returncode == 0, reply.stderr
        assert float(re.search(r"\[0\]:\s+([\d.]+)", reply.stdout)[1]) > 15
    finally:
        code, out, err = await _stop(proc)
    assert code == 0
    assert "vehicle plugged" in out and "session started" in out and "pilot C2" in out
    assert "simulator stopped" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scenario", "nap"], "invalid choice"),
        (["--speed", "0"], "speed must be > 0"),
        (["--profile", "nope"], "no profile 'nope'"),
        (["--soc", "3"], "--soc must be within 0..1"),
        (["--modbus", "127.0.0.1:99999"], "outside 0..65535"),
        (["--modbus-exception", "42"], "exception code 1..11"),
    ],
)
async def test_bad_sim_arguments_are_explained(args, message):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evgui", "sim", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert message in err.decode()
    assert "Traceback" not in err.decode()


async def test_port_in_use_is_a_clear_error():
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "evgui", "sim", "--modbus", f"127.0.0.1:{port}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _out, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        blocker.close()
        await blocker.wait_closed()
    assert proc.returncode == 2
    assert f"cannot serve Modbus on 127.0.0.1:{port}" in err.decode()


async def test_sim_serves_a_vendor_profile_and_probe_reads_it():
    proc, port, _ = await _start_sim(
        "--profile", "keba-p30", "--scenario", "charge", "--speed", "20"
    )
    try:
        await asyncio.sleep(1.0)
        probe = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "evgui", "probe", f"tcp://127.0.0.1:{port}?unit=255",
            "--profile", "keba-p30", "--json",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(probe.communicate(), 30)
    finally:
        code, _out, _err = await _stop(proc)
    assert probe.returncode == 0, err.decode()
    points = {p["id"]: p for p in json.loads(out)["points"]}
    assert points["iec_state"]["value"] == "CHARGING"
    assert points["active_power"]["value"] > 15
    assert points["cable_connected"]["value"] is True
    assert code == 0
