"""RTU over RS-485 without hardware: socat's virtual serial pair, simulator on one end."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from evgui.core.commands import Command, CommandStatus
from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import EventHub
from evgui.core.reading import Quality
from evgui.devices.loader import get_profile
from evgui.simulators.session import ChargerSession, Vehicle
from evgui.transports.modbus.link import ModbusLink
from evgui.transports.modbus.planner import PollPlan
from evgui.transports.modbus.poller import BlockReader
from evgui.transports.modbus.url import parse_link_url
from evgui.transports.modbus.writer import ModbusCommandExecutor
from tests.helpers import need_tool, until

GENERIC = get_profile("generic-l2")


@pytest.fixture
async def serial_pair(tmp_path):
    socat = need_tool("socat")
    a, b = tmp_path / "ptyA", tmp_path / "ptyB"
    proc = await asyncio.create_subprocess_exec(
        socat, f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await until(lambda: a.exists() and b.exists(), timeout=5)
    yield str(a), str(b)
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    await proc.wait()


async def test_rtu_read_and_write_over_a_virtual_serial_line(serve_profile, serial_pair):
    server_end, client_end = serial_pair
    session = ChargerSession(seed=1)
    session.plug(Vehicle())
    session.present_tag("DEMO")
    for _ in range(30):
        session.tick(0.1)
    # A Linux pty refuses even/odd parity (tcsetattr: EINVAL), so the virtual line runs 8N1;
    # parity itself is pyserial's job on a real adapter.
    await serve_profile(GENERIC, session=session, framing="rtu", serial_port=server_end,
                        baudrate=19200, parity="N", stopbits=1)  # fmt: skip
    config = parse_link_url(f"rtu://{client_end}?baud=19200&parity=N&stopbits=1&unit=1")
    link = ModbusLink(config)
    try:
        plan = PollPlan(GENERIC.points, GENERIC.modbus)
        readings = {
            r.point_id: r for r in await BlockReader("rtu", link, 1, plan).read(plan.full_cycle())
        }
        assert readings["active_power"].quality is Quality.GOOD
        assert readings["active_power"].value == pytest.approx(
            session.values()["active_power"], abs=1e-3
        )
        assert readings["iec_state"].value == "C2"
        dispatcher = CommandDispatcher(EventHub())
        dispatcher.register("rtu", GENERIC.catalogue, ModbusCommandExecutor("rtu", link, 1))
        result = await dispatcher.submit(Command("rtu", "max_current_limit", 20))
        assert result.status is CommandStatus.ACCEPTED, result.message
        assert session.max_current_limit == 20
        silent = await link.read_any(7)  # nobody at unit 7 on this bus: silence, not an error reply
        assert silent.timed_out
    finally:
        await link.close()
