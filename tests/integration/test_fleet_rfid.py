"""The console's RFID allow list (server settings -> Fleet -> OCPP server) against the simulator."""

from __future__ import annotations

import asyncio

from evgui.core.config import ServerSettings
from evgui.core.events import EventHub
from evgui.fleet import Fleet
from evgui.simulators.scenarios import DEMO_TAG
from tests.helpers import until


async def _fleet(teardown, rfid_tags: str) -> Fleet:
    fleet = Fleet(EventHub(), ServerSettings(rfid_tags=rfid_tags), [],
                  listen_host="127.0.0.1", listen_port=0)  # fmt: skip
    await fleet.start()
    teardown(fleet.stop)
    assert fleet.server_state == "listening"
    return fleet


async def _charger(fleet: Fleet, sim_factory, cp_id: str):
    url = f"ws://127.0.0.1:{fleet.server_port()}/ocpp"
    sim = await sim_factory(modbus_host=None, scenario="charge", ocpp_url=url, cp_id=cp_id,
                            speed=20, meter_interval_s=0.2)  # fmt: skip
    found = await until(lambda: fleet.lookup(cp_id), timeout=8)  # adopted as a new entry
    return sim, found[0]


async def test_a_tag_on_the_allow_list_charges(teardown, sim_factory):
    fleet = await _fleet(teardown, f"CARD-7, {DEMO_TAG}")
    sim, model = await _charger(fleet, sim_factory, "CP-ALLOWED")
    await until(lambda: model.value("rfid_auth_status") == "SUCCESS", timeout=8)
    # the transaction is accepted and the charger says so (the vehicle state 3 also needs a
    # MeterValues with power, and the console asks for one every 10 s: not waited for here)
    await until(
        lambda: sim.session.transaction_active and model.value("ocpp_status") == "Charging", 15
    )
    assert sim.session.auth_status == "SUCCESS"
    await until(lambda: sim.session.power_kw() > 1.0)  # the car draws current


async def test_a_tag_off_the_allow_list_is_refused_and_nothing_charges(teardown, sim_factory):
    fleet = await _fleet(teardown, "CARD-7")
    sim, model = await _charger(fleet, sim_factory, "CP-REFUSED")
    await until(lambda: model.value("rfid_auth_status") == "FAILED", timeout=8)
    assert model.value("rfid_read_count") >= 1
    await until(lambda: sim.session.auth_status == "FAILED")  # the charger got the Invalid
    await asyncio.sleep(1.0)  # 20 simulated seconds: long enough to have started charging
    assert not sim.session.transaction_active and sim.session.power_kw() == 0.0
    state = model.latest("state")
    assert state is None or state.raw != 3
