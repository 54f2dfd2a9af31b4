"""The simulator's physics and session logic, in simulated time (no sockets)."""

from __future__ import annotations

import pytest

from evgui.core.model import ChargerModel
from evgui.core.reading import Reading, Source
from evgui.devices.loader import get_profile
from evgui.simulators.runner import SimConfig, SimulatedCharger
from evgui.simulators.scenarios import ChargeScenario
from evgui.simulators.session import ChargerSession, Vehicle


def charging_session(**kw) -> ChargerSession:
    s = ChargerSession(seed=7, **kw)
    s.plug(Vehicle(soc=0.3))
    s.present_tag("DEMO")
    for _ in range(50):
        s.tick(0.1)
    return s


def test_power_is_the_sum_over_phases_of_v_i_pf():
    s = charging_session()
    v = s.values()
    expected = (
        sum(volt * amp for volt, amp in zip(s.voltage_v, s.current_a, strict=True))
        * s.power_factor
        / 1000
    )
    assert v["active_power"] == pytest.approx(expected, rel=1e-3)
    assert 21.0 < v["active_power"] < 22.5  # 3 x 230 V x 32 A
    assert 0.98 <= v["power_factor"] <= 1.0
    assert 49.95 <= v["frequency"] <= 50.05


def test_single_phase_charges_on_l1_only():
    s = charging_session(phases=1)
    assert s.current_a[0] == pytest.approx(32.0)
    assert s.current_a[1:] == [0.0, 0.0]
    assert 7.0 < s.power_kw() < 7.5


def test_energy_is_the_integral_of_power():
    s = charging_session()
    start = s.session_energy_kwh
    integral = 0.0
    for _ in range(600):
        s.tick(1.0)
        integral += s.power_kw() / 3600.0
    assert s.session_energy_kwh - start == pytest.approx(integral, rel=1e-9)
    assert s.meter_wh >= 1_250_000 + 1000 * s.session_energy_kwh - 1e-6


@pytest.mark.parametrize("limit", [10.0, 16.0, 6.0])
def test_current_follows_the_limit_within_two_seconds(limit):
    s = charging_session()
    s.command("max_current_limit", limit)
    for _ in range(20):  # 2 s
        s.tick(0.1)
    assert max(s.current_a) <= limit + 1e-9
    assert max(s.current_a) == pytest.approx(limit, abs=0.01)
    s.command("max_current_limit", 32)
    for _ in range(20):
        s.tick(0.1)
    assert max(s.current_a) == pytest.approx(32.0, abs=0.01)


def test_current_is_the_minimum_of_limit_vehicle_and_budget():
    s = charging_session()
    s.vehicle.max_current_a = 16
    s.tick(0.5)
    assert max(s.current_a) == pytest.approx(16)
    s.command("load_management_enable", True)
    s.site_budget_a = 12
    s.tick(0.5)
    assert max(s.current_a) == pytest.approx(12)
    s.ocpp_limit_a = 8
    s.tick(0.5)
    assert max(s.current_a) == pytest.approx(8)


def test_disabled_or_stopped_charge_gives_zero_current():
    s = charging_session()
    s.command("charge_enable", False)
    s.tick(0.1)
    assert s.current_a == [0.0, 0.0, 0.0]
    s2 = charging_session()
    s2.command("remote_stop", None)
    s2.tick(0.1)
    assert s2.current_a == [0.0, 0.0, 0.0]
    assert s2.values()["session_status"] == "COMPLETE"


def test_smart_mode_follows_a_time_varying_budget():
    s = charging_session()
    s.command("charge_mode", "SMART")
    seen = set()
    for _ in range(60):
        s.tick(10.0)
        seen.add(round(max(s.current_a)))
    assert min(seen) < 16 < max(seen)


def test_battery_tapers_and_the_car_stops_by_itself():
    s = ChargerSession(seed=1)
    s.plug(Vehicle(soc=0.78, battery_kwh=10))
    s.present_tag("DEMO")
    currents = []
    for _ in range(4 * 3600):
        s.tick(1.0)
        currents.append(max(s.current_a))
        if s.vehicle.demand_a() == 0:
            break
    assert s.vehicle.soc >= 0.99
    assert currents[-2] < 32 * 0.2  # tapered
    assert s.iec_state() == "B2"  # plugged, energy offered, car not drawing
    assert s.ocpp_status()[0] == "SuspendedEV"


def test_rfid_accepted_rejected_and_counted():
    s = ChargerSession(seed=1)
    s.plug()
    s.present_tag("DEADBEEF")
    assert s.auth_status == "FAILED" and not s.transaction_active
    s.present_tag("04A1B2C3D4")
    assert s.auth_status == "SUCCESS" and s.transaction_active
    assert s.rfid_read_count == 2


def test_lock_engaged_while_charging_and_permanent_lock():
    s = charging_session()
    assert s.cable_locked()
    s.command("cable_lock", None)
    s.remote_stop()
    assert s.cable_locked() and not s.transaction_active  # permanent: latched between sessions
    s.unplug()
    assert not s.cable_locked() and s.values()["cable_locked_permanently"] is True  # nothing in
    s.plug()
    assert s.cable_locked()
    s.command("cable_unlock", None)
    assert not s.cable_locked()


@pytest.mark.parametrize(
    ("fault", "iec", "code"),
    [("ground_fault", "F", "GroundFailure"), ("over_temperature", "F", "HighTemperature"),
     ("pilot_e", "E", "OtherError")],
)  # fmt: skip
def test_fault_injection_stops_charging_and_reports(fault, iec, code):
    s = charging_session()
    s.set_fault(fault)
    s.tick(0.1)
    assert s.current_a == [0.0, 0.0, 0.0]
    assert s.iec_state() == iec
    assert s.ocpp_status() == ("Faulted", code)
    assert s.values()["fault_code"] == code
    s.set_fault(fault, False)
    assert s.ocpp_status()[0] != "Faulted"


def test_unknown_fault_is_refused():
    with pytest.raises(ValueError, match="unknown fault"):
        ChargerSession().set_fault("meltdown")


def test_temperature_rises_with_current():
    s = charging_session()
    start = s.temperature_c
    for _ in range(600):
        s.tick(1.0)
    assert s.temperature_c > start + 10


def test_same_seed_same_noise():
    a, b = charging_session(), charging_session()
    assert a.values() == b.values()


def _states_through_the_model(charger: SimulatedCharger, seconds: float) -> list[int]:
    """Feed the session's Modbus-visible values to a ChargerModel and collect vehicle states."""
    profile = get_profile("generic-l2")
    model = ChargerModel("sim", profile.catalogue)
    states: list[int] = []
    t = 0.0
    while t < seconds:
        values = charger.session.values()
        model.apply(
            Reading(p.id, values[p.id], p.unit, t, Source.SIMULATOR)
            for p in profile.points
            if p.id in values and not p.derived
        )
        state = model.latest("state").raw
        if not states or states[-1] != state:
            states.append(state)
        step = 1.0 if t < 60 else 10.0  # fine while plugging and authorising, coarse later
        charger.advance(step)
        t += step
    return states


def test_charge_scenario_walks_1_2_3_4_1():
    charger = SimulatedCharger(SimConfig(scenario="charge", seed=3, soc=0.9, modbus_host=None))
    assert isinstance(charger.scenario, ChargeScenario)
    states = _states_through_the_model(charger, 3 * 3600)
    assert states == [1, 2, 3, 4, 1]


def test_cycle_scenario_repeats():
    charger = SimulatedCharger(SimConfig(scenario="cycle", seed=3, modbus_host=None))
    states = _states_through_the_model(charger, 6 * 3600)
    assert states.count(3) >= 2


def test_fault_scenario_reaches_error():
    charger = SimulatedCharger(SimConfig(scenario="fault", seed=3, modbus_host=None))
    states = _states_through_the_model(charger, 200)
    assert 5 in states and 3 in states


def test_bad_config_is_refused_with_a_message():
    with pytest.raises(ValueError, match="unknown scenario 'nap'"):
        SimulatedCharger(SimConfig(scenario="nap"))
    with pytest.raises(ValueError, match="speed"):
        SimulatedCharger(SimConfig(speed=0))
    with pytest.raises(ValueError, match="phases"):
        ChargerSession(phases=2)
