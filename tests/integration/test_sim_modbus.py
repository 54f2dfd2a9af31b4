"""The simulator's Modbus face on loopback: pymodbus and Debian's mbpoll as independent clients."""

from __future__ import annotations

import asyncio
import re

import pytest
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException

from evgui.devices.loader import get_profile
from evgui.transports.modbus.codec import decode
from tests.helpers import need_tool, run_tool, until

PROFILE = get_profile("generic-l2")


async def _client(port: int) -> AsyncModbusTcpClient:
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
    assert await client.connect()
    return client


async def _read_point(client, point_id: str):
    point = PROFILE.catalogue[point_id]
    mb = point.modbus
    if mb.table.value == "coil":
        reply = await client.read_coils(mb.address, count=mb.count, device_id=1)
        words = [int(b) for b in reply.bits[: mb.count]]
    else:
        reply = await client.read_holding_registers(mb.address, count=mb.count, device_id=1)
        words = reply.registers
    assert not reply.isError(), f"{point_id}: {reply}"
    return decode(point, words).value


async def test_every_point_decodes_to_the_session_value(sim_factory):
    charger = await sim_factory(scenario="charge", clock=False)
    charger.advance(10)
    client = await _client(charger.modbus_port)
    try:
        expected = charger.session.values()
        for point in PROFILE.points:
            if point.modbus is None or point.value_type.value == "action":
                continue
            value = await _read_point(client, point.id)
            want = expected[point.id]
            if isinstance(want, float):
                assert value == pytest.approx(want, abs=point.resolution or 1e-6), point.id
            else:
                assert value == want, point.id
    finally:
        client.close()


def _mbpoll_values(stdout: str) -> dict[int, float]:
    return {int(m[1]): float(m[2]) for m in re.finditer(r"\[(\d+)\]:\s+(-?[\d.]+)", stdout)}


async def test_mbpoll_power_matches_v_times_i_times_pf(sim_factory):
    mbpoll = need_tool("mbpoll")
    charger = await sim_factory(scenario="charge")
    charger.advance(10)
    port = str(charger.modbus_port)
    base = [mbpoll, "-m", "tcp", "-a", "1", "-1", "-0"]
    power = await run_tool(
        *base, "-t", "4:float", "-B", "-r", "0", "-c", "1", "127.0.0.1", "-p", port
    )
    assert power.returncode == 0, power.stderr
    kw = _mbpoll_values(power.stdout)[0]
    v1i1 = _mbpoll_values(
        (await run_tool(*base, "-t", "4", "-r", "2", "-c", "2", "127.0.0.1", "-p", port)).stdout
    )
    ext = _mbpoll_values(
        (await run_tool(*base, "-t", "4", "-r", "1000", "-c", "5", "127.0.0.1", "-p", port)).stdout
    )
    volts = [v1i1[2] / 10, ext[1000] / 10, ext[1001] / 10]
    amps = [v1i1[3] / 10, ext[1002] / 10, ext[1003] / 10]
    pf = ext[1004] / 1000
    computed = sum(v * i for v, i in zip(volts, amps, strict=True)) * pf / 1000
    assert kw > 15
    assert kw == pytest.approx(computed, rel=0.05)


async def test_mbpoll_write_limit_then_refused_out_of_range(sim_factory):
    mbpoll = need_tool("mbpoll")
    charger = await sim_factory(scenario="charge", speed=10)
    charger.advance(10)
    port = str(charger.modbus_port)
    ok = await run_tool(mbpoll, "-m", "tcp", "-a", "1", "-0", "-t", "4", "-r", "100", "-1",
                        "127.0.0.1", "-p", port, "10")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert charger.session.max_current_limit == 10
    await until(lambda: max(charger.session.current_a) <= 10.0, timeout=2)
    refused = await run_tool(mbpoll, "-m", "tcp", "-a", "1", "-0", "-t", "4", "-r", "100", "-1",
                             "127.0.0.1", "-p", port, "40")  # fmt: skip
    assert refused.returncode != 0
    assert "Illegal data value" in refused.stdout + refused.stderr
    assert charger.session.max_current_limit == 10


async def test_exception_codes_for_bad_writes_and_addresses(sim_factory):
    charger = await sim_factory()
    client = await _client(charger.modbus_port)
    try:
        too_high = await client.write_register(100, 40, device_id=1)
        assert too_high.isError() and too_high.exception_code == 3
        read_only = await client.write_register(0, 1, device_id=1)
        assert read_only.isError() and read_only.exception_code == 2
        unknown = await client.read_holding_registers(500, count=1, device_id=1)
        assert unknown.isError() and unknown.exception_code == 2
        bad_enum = await client.write_register(1100, 7, device_id=1)  # charge mode 0/1 only
        assert bad_enum.isError() and bad_enum.exception_code == 3
        bad_action = await client.write_register(1102, 5, device_id=1)  # cable lock takes 0 / 1
        assert bad_action.isError() and bad_action.exception_code == 3
        other_unit = await client.read_holding_registers(0, count=1, device_id=9)
        assert other_unit.isError() and other_unit.exception_code == 0x0B
        assert charger.session.charge_mode == "NORMAL" and charger.session.max_current_limit == 32
    finally:
        client.close()


@pytest.mark.parametrize(
    ("address", "value", "check"),
    [
        (1100, 1, lambda s: s.charge_mode == "SMART"),
        (1101, 1, lambda s: s.connector_lock == "LOCK"),
        (1102, 1, lambda s: s.permanent_lock is True),
    ],
)
async def test_register_commands_reach_the_session(sim_factory, address, value, check):
    charger = await sim_factory()
    client = await _client(charger.modbus_port)
    try:
        reply = await client.write_register(address, value, device_id=1)
        assert not reply.isError(), reply
        assert check(charger.session)
    finally:
        client.close()


async def test_coil_commands_enable_load_management_and_stop(sim_factory):
    charger = await sim_factory(scenario="charge")
    charger.advance(10)
    assert charger.session.transaction_active
    client = await _client(charger.modbus_port)
    try:
        assert not (await client.write_coil(100, True, device_id=1)).isError()
        assert charger.session.load_management_enable is True
        assert not (await client.write_coil(101, True, device_id=1)).isError()  # remote stop
        assert not charger.session.transaction_active
        assert not (await client.write_coil(0, False, device_id=1)).isError()  # charge enable
        assert charger.session.charge_enable is False
        coils = await client.read_coils(0, count=1, device_id=1)
        assert coils.bits[0] is False
    finally:
        client.close()


async def test_several_clients_at_once(sim_factory):
    charger = await sim_factory(scenario="charge")
    charger.advance(10)
    clients = [await _client(charger.modbus_port) for _ in range(5)]
    try:
        replies = await asyncio.gather(
            *(c.read_holding_registers(0, count=7, device_id=1) for c in clients for _ in range(10))
        )
        assert all(not r.isError() and len(r.registers) == 7 for r in replies)
    finally:
        for c in clients:
            c.close()


async def test_injected_faults_delay_exception_silence_and_gaps(sim_factory):
    charger = await sim_factory()
    client = AsyncModbusTcpClient("127.0.0.1", port=charger.modbus_port, timeout=0.3, retries=0)
    assert await client.connect()
    faults = charger.faults.modbus
    try:
        faults.exception_code = 6
        reply = await client.read_holding_registers(0, count=2, device_id=1)
        assert reply.isError() and reply.exception_code == 6
        faults.exception_code = 0
        faults.unimplemented = {5}
        gap = await client.read_holding_registers(0, count=7, device_id=1)
        assert gap.isError() and gap.exception_code == 2
        assert not (await client.read_holding_registers(0, count=5, device_id=1)).isError()
        faults.unimplemented = set()
        faults.silent = True
        with pytest.raises(ModbusException):
            await client.read_holding_registers(0, count=2, device_id=1)
    finally:
        faults.silent = False
        client.close()


async def test_refused_connections_then_served_again_on_the_same_port(sim_factory):
    charger = await sim_factory()
    port = charger.modbus_port
    await charger.refuse_modbus(True)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await charger.refuse_modbus(False)
    assert charger.modbus_port == port
    client = await _client(port)
    try:
        assert not (await client.read_holding_registers(0, count=2, device_id=1)).isError()
    finally:
        client.close()
