"""Every shipped profile: served by the simulator, read back through the real Modbus transport."""

from __future__ import annotations

import math

import pytest

from evgui.core.commands import Command, CommandStatus
from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import EventHub
from evgui.core.model import ChargerModel
from evgui.core.points import PointDef, ValueType
from evgui.core.reading import Quality
from evgui.devices.loader import get_profile, shipped_profiles
from evgui.simulators.modbus_face import sim_key
from evgui.transports.modbus.link import ModbusLink
from evgui.transports.modbus.planner import PollPlan, readable_points
from evgui.transports.modbus.poller import BlockReader
from evgui.transports.modbus.url import LinkConfig
from evgui.transports.modbus.writer import ModbusCommandExecutor

MODBUS_PROFILES = [p.id for p in shipped_profiles() if p.modbus is not None]
PER_PHASE = ("output_voltage", "voltage_2", "voltage_3", "output_current", "current_2", "current_3")


def tolerance(point: PointDef, expected: float) -> float:
    """One least significant bit of the wire value, plus float32 rounding."""
    mb = point.modbus
    step = max(point.resolution or 0.0, abs(mb.scale) if mb else 0.0)
    return step + abs(expected) * 2e-7 + 1e-9


def test_at_least_eleven_profiles_and_ten_real_families():
    ids = {p.id for p in shipped_profiles()}
    assert len(ids) >= 11 and "generic-l2" in ids
    vendors = {p.vendor for p in shipped_profiles() if p.id != "generic-l2"}
    assert len(vendors) >= 10


@pytest.mark.parametrize("profile_id", MODBUS_PROFILES)
async def test_profile_is_served_and_decodes_back(sim_factory, teardown, profile_id):
    profile = get_profile(profile_id)
    assert profile.modbus is not None
    unit = profile.modbus.unit_id
    charger = await sim_factory(profile_id=profile_id, scenario="charge", clock=False, unit_id=unit)
    charger.advance(10)  # plugged, authorised, charging
    link = ModbusLink(
        LinkConfig(kind="tcp", host="127.0.0.1", port=charger.modbus_port, unit_id=unit)
    )
    teardown(link.close)
    plan = PollPlan(profile.points, profile.modbus)
    reader = BlockReader(profile_id, link, unit, plan)
    model = ChargerModel(profile_id, profile.catalogue, e_while_idle=profile.quirks.e_while_idle)

    readings = {r.point_id: r for r in await reader.read(plan.full_cycle())}
    values = charger.session.values()
    checked = []
    for point in readable_points(profile.points):
        reading = readings[point.id]
        assert reading.quality in (Quality.GOOD, Quality.OUT_OF_RANGE), (point.id, reading.reason)
        expected = values.get(sim_key(point))
        if expected is None or (point.value_type is ValueType.ENUM and point.id == "iec_state"):
            continue
        if isinstance(expected, float | int) and not isinstance(expected, bool):
            assert math.isclose(reading.value, expected, abs_tol=tolerance(point, expected)), (
                point.id, reading.value, expected,
            )  # fmt: skip
        else:
            assert reading.value == expected, (point.id, reading.value, expected)
        checked.append(point.id)
    limit = profile.catalogue["max_current_limit"].modbus
    assert "active_power" in checked
    assert (limit.verify_with or "max_current_limit") in checked  # write-only: its read-back
    assert any(pid in checked for pid in ("energy_delivered", "energy_total", "energy_charged"))
    phases = [pid for pid in PER_PHASE if pid in profile.catalogue]
    assert set(phases) <= set(checked)
    assert values["active_power"] > 15  # really charging, three phases

    model.apply(readings.values())
    assert model.latest("state").raw == values["vehicle_state"] == 3

    dispatcher = CommandDispatcher(EventHub())
    executor = ModbusCommandExecutor(profile_id, link, unit, catalogue=profile.catalogue,
                                     write_multiple=profile.modbus.write_multiple)  # fmt: skip
    dispatcher.register(profile_id, profile.catalogue, executor)
    result = await dispatcher.submit(Command(profile_id, "max_current_limit", 10))
    assert result.status is CommandStatus.ACCEPTED, result.message
    assert charger.session.max_current_limit == pytest.approx(10)
    sent = link.requests
    refused = await dispatcher.submit(Command(profile_id, "max_current_limit", 99))
    assert refused.status is CommandStatus.INVALID and "99" in refused.message
    assert link.requests == sent  # refused before anything went on the wire

    charger.session.unplug()
    charger.advance(1)
    model.apply(await reader.read(plan.full_cycle()))
    assert model.latest("state").raw == charger.session.values()["vehicle_state"] == 1
