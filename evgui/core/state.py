"""Derived points: the Jeedom vehicle state 1..6 and cable_state, by rule tables.

Vehicle state (evcharger-commands.md): 1 unplugged, 2 waiting, 3 charging, 4 finished, 5 error,
6 ready. 4 and 6 differ only by "energy already delivered this session". The evidence is used in
this order: a device state code that names the vehicle state; the IEC 61851 pilot state; the OCPP
connector status; the seed's own statuses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

UNPLUGGED, WAITING, CHARGING, FINISHED, ERROR, READY = 1, 2, 3, 4, 5, 6
VEHICLE_STATE_LABELS = {
    UNPLUGGED: "Unplugged",
    WAITING: "Waiting",
    CHARGING: "Charging",
    FINISHED: "Finished",
    ERROR: "Error",
    READY: "Ready",
}
ENERGY_EPSILON_KWH = 0.001  # 1 Wh: "energy already delivered this session"
POWER_FLOWING_KW = 0.05  # 50 W: below this a "charging" charger delivers nothing


@dataclass(frozen=True, slots=True)
class StateInputs:
    """What the model knows that bears on the vehicle state."""

    device_state: int | None = None  # a device state code that names the vehicle state directly
    iec: str | None = None  # IEC 61851 pilot state, e.g. "B2"
    ocpp_status: str | None = None  # OCPP 1.6 ChargePointStatus of connector 1
    cable_connected: bool | None = None
    energy_kwh: float | None = None  # energy delivered this session
    power_kw: float | None = None
    charge_enable: bool | None = None
    charger_status: str | None = None
    connector_status: str | None = None
    session_status: str | None = None
    ground_fault: bool | None = None


@dataclass(frozen=True, slots=True)
class StateVerdict:
    """A vehicle state and the rule that gave it."""

    state: int
    rule: str

    @property
    def label(self) -> str:
        """Return the state's name."""
        return VEHICLE_STATE_LABELS[self.state]


Rule = Callable[[StateInputs, bool], int]


def _energy_so_far(i: StateInputs) -> bool:
    """Return True when energy flowed in this session."""
    return i.energy_kwh is not None and i.energy_kwh >= ENERGY_EPSILON_KWH


def _ready_or_finished(i: StateInputs, _quirk: bool) -> int:
    """Energy offered, car not drawing: 4 after energy flowed this session, else 6."""
    return FINISHED if _energy_so_far(i) else READY


def _charging_if_power(i: StateInputs, quirk: bool) -> int:
    """Charging only while power flows; an idle 'Charging' is ready or finished."""
    if i.power_kw is not None and i.power_kw < POWER_FLOWING_KW:
        return _ready_or_finished(i, quirk)
    return CHARGING


def _error_unless_idle(i: StateInputs, e_while_idle: bool) -> int:
    """E is an error, unless the charger reports E when idle and no vehicle is plugged in."""
    if e_while_idle and i.cable_connected is not True:
        return UNPLUGGED
    return ERROR


def _waiting_if_plugged(i: StateInputs, _quirk: bool) -> int:
    """Hold a plugged vehicle back (waiting) while unavailable; without one it is unplugged."""
    return WAITING if i.cable_connected else UNPLUGGED


def _fixed(state: int) -> Rule:
    """Return a rule that always gives one state."""
    return lambda _i, _q: state


# IEC 61851-1 pilot states: the digit says whether the charger offers energy (PWM on).
IEC_RULES: dict[str, Rule] = {
    "A": _fixed(UNPLUGGED),
    "A1": _fixed(UNPLUGGED),
    "A2": _fixed(UNPLUGGED),
    "B1": _fixed(WAITING),
    "C1": _fixed(WAITING),
    "D1": _fixed(WAITING),
    "B": _ready_or_finished,
    "B2": _ready_or_finished,
    "C": _fixed(CHARGING),
    "C2": _fixed(CHARGING),
    "D": _fixed(CHARGING),
    "D2": _fixed(CHARGING),
    "E": _error_unless_idle,
    "F": _fixed(ERROR),
}

# OCPP 1.6 ChargePointStatus (2.0.1 charging states are translated to these by the transport).
OCPP_RULES: dict[str, Rule] = {
    "Available": _fixed(UNPLUGGED),
    "Preparing": _fixed(WAITING),
    "Charging": _charging_if_power,
    "SuspendedEVSE": _fixed(WAITING),
    "SuspendedEV": _ready_or_finished,
    "Finishing": _fixed(FINISHED),
    "Reserved": _fixed(UNPLUGGED),
    "Unavailable": _waiting_if_plugged,
    "Faulted": _fixed(ERROR),
}


def _from_seed_statuses(i: StateInputs) -> StateVerdict | None:
    """Read the state from the seed's own status points when nothing better is known."""
    if (
        i.ground_fault
        or i.charger_status == "ERROR"
        or i.connector_status == "FAULTED"
        or i.session_status == "FAULT"
    ):
        return StateVerdict(ERROR, "seed statuses: fault")
    plugged = i.cable_connected
    if plugged is None and i.connector_status is not None:
        plugged = i.connector_status == "OCCUPIED"
    if plugged is False:
        return StateVerdict(UNPLUGGED, "seed statuses: no cable")
    if i.session_status == "CHARGING" or i.charger_status == "CHARGING":
        return StateVerdict(_charging_if_power(i, False), "seed statuses: session charging")
    if i.session_status == "COMPLETE":
        return StateVerdict(FINISHED, "seed statuses: session complete")
    if plugged:
        if i.charge_enable is False:
            return StateVerdict(WAITING, "seed statuses: plugged, charge disabled")
        return StateVerdict(_ready_or_finished(i, False), "seed statuses: plugged, idle")
    return None


def _unless_unplugged(verdict: StateVerdict, i: StateInputs) -> StateVerdict:
    """Yield a "waiting" code that also means "nothing plugged" (KEBA 1) to a known cable state."""
    if verdict.state == WAITING and i.cable_connected is False:
        return StateVerdict(UNPLUGGED, verdict.rule + ", but no cable -> 1")
    return verdict


def vehicle_state(i: StateInputs, *, e_while_idle: bool = False) -> StateVerdict | None:
    """Return the vehicle state 1..6 from the evidence, or None when nothing is known."""
    if i.device_state is not None and i.device_state in VEHICLE_STATE_LABELS:
        state = i.device_state
        if state in (FINISHED, READY):  # a device's "ready" cannot tell 4 from 6: energy can
            state = _ready_or_finished(i, e_while_idle)
        return _unless_unplugged(StateVerdict(state, f"device state code -> {state}"), i)
    if i.iec is not None and i.iec in IEC_RULES:
        state = IEC_RULES[i.iec](i, e_while_idle)
        return _unless_unplugged(StateVerdict(state, f"IEC {i.iec} -> {state}"), i)
    if i.ocpp_status is not None and i.ocpp_status in OCPP_RULES:
        state = OCPP_RULES[i.ocpp_status](i, e_while_idle)
        return StateVerdict(state, f"OCPP {i.ocpp_status} -> {state}")
    return _from_seed_statuses(i)


def cable_state(cable_locked: bool | None, locked_permanently: bool | None) -> int | None:
    """Return cable_locked + 2 x cable_locked_permanently (0..3), None while the lock is unknown."""
    if cable_locked is None:
        return None
    return int(bool(cable_locked)) + 2 * int(bool(locked_permanently))
