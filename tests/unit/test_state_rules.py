"""Every row of the vehicle-state rule table (DESIGN.md), the 4-vs-6 rule and the E-while-idle quirk."""

from __future__ import annotations

import pytest

from evgui.core.state import (
    IEC_RULES,
    OCPP_RULES,
    StateInputs,
    cable_state,
    vehicle_state,
)

NO_ENERGY = 0.0
SOME_ENERGY = 4.2

IEC_ROWS = [
    # letter, energy this session, cable, quirk, expected
    ("A", NO_ENERGY, None, False, 1),
    ("A1", NO_ENERGY, False, False, 1),
    ("A2", SOME_ENERGY, False, False, 1),
    ("B1", NO_ENERGY, True, False, 2),
    ("C1", NO_ENERGY, True, False, 2),
    ("D1", SOME_ENERGY, True, False, 2),
    ("B", NO_ENERGY, True, False, 6),
    ("B2", NO_ENERGY, True, False, 6),
    ("B2", SOME_ENERGY, True, False, 4),
    ("B", SOME_ENERGY, True, False, 4),
    ("C", NO_ENERGY, True, False, 3),
    ("C2", NO_ENERGY, True, False, 3),
    ("D", SOME_ENERGY, True, False, 3),
    ("D2", SOME_ENERGY, True, False, 3),
    ("E", NO_ENERGY, True, False, 5),
    ("E", NO_ENERGY, None, False, 5),
    ("E", NO_ENERGY, None, True, 1),  # quirk: E while idle, nothing plugged
    ("E", NO_ENERGY, False, True, 1),
    ("E", NO_ENERGY, True, True, 5),  # quirk, but a vehicle is plugged: a real error
    ("F", NO_ENERGY, None, True, 5),
]


@pytest.mark.parametrize(("iec", "energy", "cable", "quirk", "expected"), IEC_ROWS)
def test_iec_rule(iec, energy, cable, quirk, expected):
    verdict = vehicle_state(
        StateInputs(iec=iec, energy_kwh=energy, cable_connected=cable), e_while_idle=quirk
    )
    assert verdict is not None
    assert verdict.state == expected, verdict.rule


def test_iec_rows_cover_every_letter_of_the_table():
    assert {row[0] for row in IEC_ROWS} == set(IEC_RULES)


OCPP_ROWS = [
    # status, energy, power kW, cable, expected
    ("Available", NO_ENERGY, None, None, 1),
    ("Preparing", NO_ENERGY, None, True, 2),
    ("Charging", NO_ENERGY, 7.2, True, 3),
    ("Charging", NO_ENERGY, None, True, 3),  # power unknown: trust the status
    ("Charging", NO_ENERGY, 0.0, True, 6),  # no power flowing, nothing delivered yet
    ("Charging", SOME_ENERGY, 0.0, True, 4),
    ("SuspendedEVSE", SOME_ENERGY, 0.0, True, 2),
    ("SuspendedEV", NO_ENERGY, 0.0, True, 6),
    ("SuspendedEV", SOME_ENERGY, 0.0, True, 4),
    ("Finishing", SOME_ENERGY, 0.0, True, 4),
    ("Reserved", NO_ENERGY, None, None, 1),
    ("Unavailable", NO_ENERGY, None, True, 2),
    ("Unavailable", NO_ENERGY, None, False, 1),
    ("Faulted", NO_ENERGY, None, None, 5),
]


@pytest.mark.parametrize(("status", "energy", "power", "cable", "expected"), OCPP_ROWS)
def test_ocpp_rule(status, energy, power, cable, expected):
    verdict = vehicle_state(
        StateInputs(ocpp_status=status, energy_kwh=energy, power_kw=power, cable_connected=cable)
    )
    assert verdict is not None
    assert verdict.state == expected, verdict.rule


def test_ocpp_rows_cover_every_status_of_the_table():
    assert {row[0] for row in OCPP_ROWS} == set(OCPP_RULES)


SEED_ROWS = [
    (dict(ground_fault=True, cable_connected=True), 5),
    (dict(charger_status="ERROR"), 5),
    (dict(connector_status="FAULTED"), 5),
    (dict(session_status="FAULT", cable_connected=True), 5),
    (dict(cable_connected=False, session_status="IDLE"), 1),
    (dict(connector_status="AVAILABLE"), 1),
    (dict(cable_connected=True, session_status="CHARGING", power_kw=7.0), 3),
    (dict(cable_connected=True, session_status="COMPLETE", energy_kwh=SOME_ENERGY), 4),
    (dict(cable_connected=True, session_status="IDLE", charge_enable=False), 2),
    (dict(cable_connected=True, session_status="IDLE", charge_enable=True), 6),
    (dict(connector_status="OCCUPIED", session_status="IDLE", energy_kwh=SOME_ENERGY), 4),
]


@pytest.mark.parametrize(("inputs", "expected"), SEED_ROWS)
def test_seed_status_fallback(inputs, expected):
    verdict = vehicle_state(StateInputs(**inputs))
    assert verdict is not None
    assert verdict.state == expected, verdict.rule


@pytest.mark.parametrize(("cable", "expected"), [(False, 1), (True, 2), (None, 2)])
def test_waiting_code_yields_to_a_known_unplugged_cable(cable, expected):
    assert vehicle_state(StateInputs(iec="B1", cable_connected=cable)).state == expected
    assert vehicle_state(StateInputs(device_state=2, cable_connected=cable)).state == expected


def test_nothing_known_gives_no_state():
    assert vehicle_state(StateInputs()) is None


def test_iec_wins_over_ocpp_and_device_code_wins_over_iec():
    both = StateInputs(iec="C2", ocpp_status="Available")
    assert vehicle_state(both).state == 3
    coded = StateInputs(device_state=5, iec="C2")
    assert vehicle_state(coded).state == 5


@pytest.mark.parametrize(("device", "energy", "expected"), [(6, 0.0, 6), (6, 1.0, 4), (4, 0.0, 6)])
def test_device_ready_code_still_obeys_the_energy_rule(device, energy, expected):
    assert vehicle_state(StateInputs(device_state=device, energy_kwh=energy)).state == expected


@pytest.mark.parametrize(
    ("locked", "permanent", "expected"),
    [(False, False, 0), (True, False, 1), (False, True, 2), (True, True, 3), (True, None, 1),
     (None, True, None)],
)  # fmt: skip
def test_cable_state_is_locked_plus_twice_permanent(locked, permanent, expected):
    assert cable_state(locked, permanent) == expected
