"""`evgui probe | write | scan | watch` as real processes against the simulator."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest

from evgui.devices.loader import load_profile
from evgui.simulators.faults import ModbusFaults
from evgui.simulators.session import ChargerSession, Vehicle

SEED_ONLY = load_profile(Path(__file__).parents[1] / "data" / "profiles" / "seed-only.toml")
SEED_POINTS = {p.id for p in SEED_ONLY.points}


async def evgui(*args: str, timeout: float = 30) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evgui", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    return proc.returncode, out.decode(), err.decode()


def charging_session() -> ChargerSession:
    session = ChargerSession(seed=1)
    session.plug(Vehicle())
    session.present_tag("DEMO")
    for _ in range(30):
        session.tick(0.1)
    return session


async def test_probe_a_server_with_only_the_seed_map(serve_profile):
    face = await serve_profile(SEED_ONLY, session=charging_session())
    code, out, err = await evgui("probe", f"tcp://127.0.0.1:{face.port}?unit=1",
                                 "--profile", "generic-l2", "--json")  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    points = {p["id"]: p for p in result["points"]}
    for pid in SEED_POINTS:
        assert points[pid]["quality"] == "good", points[pid]
        assert points[pid]["value"] is not None
    assert points["active_power"]["jeedom"] == "power" and points["active_power"]["unit"] == "kW"
    assert points["charger_status"]["value"] == "CHARGING"
    missing = [p for pid, p in points.items() if pid not in SEED_POINTS]
    assert missing
    for p in missing:
        assert p["quality"] == "bad" and "exception 2 (illegal data address)" in p["reason"], p
    assert {"id", "jeedom", "value", "unit", "quality", "source", "ts"} <= set(result["points"][0])


async def test_probe_fails_cleanly_within_the_timeout_against_a_silent_server(serve_profile):
    face = await serve_profile(SEED_ONLY, faults=ModbusFaults(silent=True))
    started = time.monotonic()
    code, _out, err = await evgui("probe", f"tcp://127.0.0.1:{face.port}", "--timeout", "2")
    assert code == 1
    assert time.monotonic() - started < 2 + 4  # 2 s budget plus interpreter start-up
    assert "cannot read tcp://127.0.0.1" in err and "Traceback" not in err


async def test_probe_unreachable_port():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    code, _out, err = await evgui("probe", f"tcp://127.0.0.1:{port}", "--timeout", "2")
    assert code == 1 and "connection refused" in err


@pytest.mark.parametrize(
    ("url", "message"),
    [("http://x", "must start with tcp://"), ("tcp://", "has no host"),
     ("tcp://h:1?unit=300", "unit id 300 is outside 0..255"), ("rtu://x?unit=250", "outside 0..247"),
     ("rtu://x?parity=Q", "parity 'Q'"),
     ("tcp://h:1?speed=3", "unknown option(s) speed")],
)  # fmt: skip
async def test_bad_urls_are_explained(url, message):
    code, _out, err = await evgui("probe", url)
    assert code == 2 and message in err and "Traceback" not in err


async def test_write_scan_and_watch(serve_profile):
    session = charging_session()
    face = await serve_profile(SEED_ONLY, session=session, unit_ids=(1, 3))
    url = f"tcp://127.0.0.1:{face.port}"
    code, out, err = await evgui(
        "write", url, "max_current_limit", "16", "--profile", "generic-l2", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "accepted" and session.max_current_limit == 16
    code, out, err = await evgui("write", url, "max_current_limit", "40")
    assert code == 2 and "must be within 6-32 A (got 40)" in err and session.max_current_limit == 16
    code, out, err = await evgui("write", url, "no_point", "1")
    assert code == 2 and "no point 'no_point'" in err
    code, out, err = await evgui("scan", url, "--units", "1-5", "--json")
    assert code == 0, err
    assert [f["unit"] for f in json.loads(out)["found"]] == [1, 3]
    assert "scanning unit 5 (5/5)" in err
    code, out, err = await evgui("watch", url + "?unit=1", "--duration", "2.5", "--json")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    ids = {line.get("id") for line in lines}
    assert {"active_power", "output_current", "state"} <= ids
