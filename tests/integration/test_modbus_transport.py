"""The Modbus transport (link, planner, codec, poller, writer) against the simulator on loopback."""

from __future__ import annotations

import dataclasses

import pytest

from evgui.core.commands import Command, CommandStatus
from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import EventHub, LinkState, TrafficEvent
from evgui.core.model import ChargerModel
from evgui.core.reading import Quality
from evgui.devices.loader import get_profile
from evgui.devices.profile import KeepAlive
from evgui.transports.modbus.link import LinkPool, ModbusLink
from evgui.transports.modbus.planner import PollPlan
from evgui.transports.modbus.poller import BlockReader, ModbusPoller
from evgui.transports.modbus.url import LinkConfig
from evgui.transports.modbus.writer import ModbusCommandExecutor
from tests.helpers import until

GENERIC = get_profile("generic-l2")


def tcp(port: int, **kw) -> LinkConfig:
    return LinkConfig(
        kind="tcp", host="127.0.0.1", port=port, timeout_s=kw.pop("timeout_s", 0.5), **kw
    )


@pytest.fixture
def links(teardown):
    def make(config: LinkConfig, **kw) -> ModbusLink:
        link = ModbusLink(config, **kw)
        teardown(link.close)
        return link

    return make


@pytest.fixture
def pollers(teardown):
    def make(*args, **kw) -> ModbusPoller:
        poller = ModbusPoller(*args, **kw)
        poller.start()
        teardown(poller.stop)
        return poller

    return make


async def test_every_point_decodes_to_the_simulator_value(sim_factory, links):
    charger = await sim_factory(scenario="charge", clock=False)
    charger.advance(10)
    link = links(tcp(charger.modbus_port))
    plan = PollPlan(GENERIC.points, GENERIC.modbus)
    reader = BlockReader("t", link, 1, plan)
    readings = {r.point_id: r for r in await reader.read(plan.full_cycle())}
    expected = charger.session.values()
    assert reader.requests == 7
    for point in GENERIC.points:
        if point.modbus is None or point.value_type.value == "action":
            continue
        reading = readings[point.id]
        assert reading.quality is Quality.GOOD, (point.id, reading.reason)
        want = expected[point.id]
        if isinstance(want, float):
            assert reading.value == pytest.approx(want, abs=point.resolution or 1e-6), point.id
        else:
            assert reading.value == want, point.id
    assert link.state is LinkState.ONLINE


async def test_poller_feeds_the_model_and_derives_the_state(sim_factory, links, pollers):
    charger = await sim_factory(scenario="charge", speed=20)
    link = links(tcp(charger.modbus_port))
    model = ChargerModel("cp", GENERIC.catalogue)
    poller = pollers(model, GENERIC, link, 1)
    await until(lambda: model.latest("state") and model.latest("state").raw == 3, timeout=5)
    assert model.link_state("modbus")[0] is LinkState.ONLINE
    assert model.value("active_power") > 15
    assert model.latest("active_power").source.value == "modbus"
    assert poller.ticks >= 1


async def test_write_round_trip_and_out_of_range_refused_before_sending(sim_factory, links):
    charger = await sim_factory(scenario="charge", speed=10)
    charger.advance(10)
    hub = EventHub()
    traffic: list[TrafficEvent] = []
    hub.subscribe(lambda e: traffic.append(e) if isinstance(e, TrafficEvent) else None)
    link = links(tcp(charger.modbus_port))
    dispatcher = CommandDispatcher(hub)
    dispatcher.register("cp", GENERIC.catalogue, ModbusCommandExecutor("cp", link, 1, hub))
    ok = await dispatcher.submit(Command("cp", "max_current_limit", 12))
    assert ok.status is CommandStatus.ACCEPTED, ok.message
    assert charger.session.max_current_limit == 12
    await until(lambda: 0 < max(charger.session.current_a) <= 12, timeout=3)
    sent = link.requests
    refused = await dispatcher.submit(Command("cp", "max_current_limit", 40))
    assert refused.status is CommandStatus.INVALID and "6-32 A" in refused.message
    assert link.requests == sent  # nothing went on the wire
    for point, value, check in [
        ("charge_mode", "SMART", lambda s: s.charge_mode == "SMART"),
        ("load_management_enable", True, lambda s: s.load_management_enable),
        ("cable_lock", None, lambda s: s.permanent_lock),
        ("remote_stop", None, lambda s: not s.transaction_active),
    ]:
        result = await dispatcher.submit(Command("cp", point, value))
        assert result.status is CommandStatus.ACCEPTED, (point, result.message)
        assert check(charger.session), point
    writes = [t for t in traffic if t.action.startswith("write")]
    assert writes and writes[0].payload["decoded"] == {"max_current_limit": 12.0}
    assert all(t.rtt_ms is not None for t in traffic)


async def test_rejected_and_mismatched_writes_are_reported(sim_factory, links):
    charger = await sim_factory()
    link = links(tcp(charger.modbus_port))
    executor = ModbusCommandExecutor("cp", link, 1)
    dispatcher = CommandDispatcher(EventHub())
    dispatcher.register("cp", GENERIC.catalogue, executor)
    charger.faults.modbus.exception_code = 6
    busy = await dispatcher.submit(Command("cp", "max_current_limit", 16))
    assert busy.status is CommandStatus.REJECTED
    assert "exception 6 (server device busy)" in busy.message
    charger.faults.modbus.exception_code = 0
    charger.faults.modbus.ignore_writes = True
    mismatch = await dispatcher.submit(Command("cp", "max_current_limit", 16))
    assert mismatch.status is CommandStatus.VERIFY_MISMATCH
    assert "wrote 16.0, the charger reads back 32.0" in mismatch.message


async def test_a_missing_register_does_not_blank_its_neighbours(sim_factory, links):
    charger = await sim_factory(scenario="charge", clock=False)
    charger.advance(10)
    charger.faults.modbus.unimplemented = {1005}  # frequency, inside the extension block
    link = links(tcp(charger.modbus_port))
    plan = PollPlan(GENERIC.points, GENERIC.modbus)
    reader = BlockReader("t", link, 1, plan)
    readings = {r.point_id: r for r in await reader.read(plan.full_cycle())}
    assert readings["frequency"].quality is Quality.BAD
    assert "exception 2 (illegal data address)" in readings["frequency"].reason
    assert readings["power_factor"].quality is Quality.GOOD
    assert readings["voltage_2"].quality is Quality.GOOD
    assert "frequency" in plan.isolated and "power_factor" in plan.isolated
    before = reader.requests
    await reader.read(plan.full_cycle())  # the split is remembered: no refused block again
    isolated_blocks = len([b for b in plan.full_cycle() if b.points[0].id in plan.isolated])
    assert reader.requests - before == len(plan.full_cycle())
    assert isolated_blocks >= 10


@pytest.mark.parametrize(
    ("fault", "expected_state"),
    [
        ({"silent": True}, LinkState.OFFLINE),
        ({"delay_ms": 400}, LinkState.OFFLINE),
        ({"drop_every": 2}, LinkState.DEGRADED),
        ({"exception_code": 4}, LinkState.ONLINE),
    ],
)
async def test_faults_end_in_the_right_link_state_and_polling_resumes(
    sim_factory, links, pollers, fault, expected_state
):
    charger = await sim_factory(scenario="charge", speed=10)
    link = links(tcp(charger.modbus_port, timeout_s=0.15, retries=0))
    model = ChargerModel("cp", GENERIC.catalogue)
    pollers(model, GENERIC, link, 1)
    await until(lambda: model.link_state("modbus")[0] is LinkState.ONLINE)
    await until(lambda: model.value("active_power"))
    for key, value in fault.items():
        setattr(charger.faults.modbus, key, value)
    await until(lambda: model.link_state("modbus")[0] is expected_state, timeout=8)
    power = model.latest("active_power")
    if expected_state is LinkState.OFFLINE:
        assert power.quality is Quality.STALE and power.value is not None
    if fault.get("exception_code"):
        await until(lambda: model.latest("active_power").quality is Quality.BAD)
        assert "exception 4 (server device failure)" in model.latest("active_power").reason
    charger.faults.clear()
    await until(lambda: model.link_state("modbus")[0] is LinkState.ONLINE, timeout=10)
    await until(lambda: model.latest("active_power").quality is Quality.GOOD, timeout=5)


async def test_refused_connection_and_server_restart(sim_factory, links, pollers):
    charger = await sim_factory(scenario="charge", speed=10)
    link = links(tcp(charger.modbus_port, timeout_s=0.2))
    model = ChargerModel("cp", GENERIC.catalogue)
    pollers(model, GENERIC, link, 1)
    await until(lambda: model.value("active_power"))
    await charger.refuse_modbus(True)
    await until(lambda: model.link_state("modbus")[0] is LinkState.OFFLINE, timeout=5)
    assert (
        "cannot connect" in model.link_state("modbus")[1]
        or "connection lost" in model.link_state("modbus")[1]
    )
    assert model.latest("active_power").quality is Quality.STALE
    await charger.refuse_modbus(False)
    await until(lambda: model.link_state("modbus")[0] is LinkState.ONLINE, timeout=10)
    await until(lambda: model.latest("active_power").quality is Quality.GOOD, timeout=5)


async def test_outage_is_logged_once_not_per_poll(sim_factory, links, pollers, caplog):
    charger = await sim_factory()
    link = links(tcp(charger.modbus_port, timeout_s=0.1, retries=0))
    states: list[LinkState] = []
    link.add_state_listener(lambda s, d: states.append(s))
    model = ChargerModel("cp", GENERIC.catalogue)
    poller = pollers(model, GENERIC, link, 1)
    await until(lambda: model.value("active_power") is not None)
    caplog.set_level("INFO", logger="evgui.transports.modbus.link")
    await charger.refuse_modbus(True)
    ticks = poller.ticks
    await until(lambda: poller.ticks >= ticks + 4, timeout=8)
    assert states.count(LinkState.OFFLINE) == 1
    assert len([r for r in caplog.records if "offline" in r.getMessage()]) == 1
    await charger.refuse_modbus(False)


async def test_keepalive_rewrites_the_register(sim_factory, links, pollers):
    charger = await sim_factory()
    profile = dataclasses.replace(
        GENERIC,
        modbus=dataclasses.replace(
            GENERIC.modbus, keepalive=(KeepAlive("max_current_limit", 0.2),)
        ),
    )
    link = links(tcp(charger.modbus_port))
    model = ChargerModel("cp", profile.catalogue)
    hub_traffic = []
    model.hub.subscribe(lambda e: hub_traffic.append(e) if isinstance(e, TrafficEvent) else None)
    pollers(model, profile, link, 1, last_written={"max_current_limit": 14})
    await until(
        lambda: len([t for t in hub_traffic if t.action == "write single register"]) >= 3, timeout=5
    )
    assert charger.session.max_current_limit == 14


async def test_rtu_over_tcp_and_shared_link_for_two_units(serve_profile, links):
    face = await serve_profile(GENERIC, unit_ids=(1, 2), framing="rtu-tcp")
    pool = LinkPool()
    a = pool.acquire(LinkConfig(kind="rtu-tcp", host="127.0.0.1", port=face.port, unit_id=1))
    b = pool.acquire(LinkConfig(kind="rtu-tcp", host="127.0.0.1", port=face.port, unit_id=2))
    assert a is b
    plan = PollPlan(GENERIC.points, GENERIC.modbus)
    for unit in (1, 2):
        readings = await BlockReader("t", a, unit, plan).read(plan.full_cycle())
        assert {r.quality for r in readings} == {Quality.GOOD}
    await pool.release(a)
    await pool.release(b)
