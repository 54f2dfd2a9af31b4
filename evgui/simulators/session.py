"""One charger's physics and session logic, shared by the simulator's Modbus and OCPP faces.

Everything is in simulated time (`tick(dt)`), seeded for repeatable runs. The charger follows
IEC 61851-1: the pilot letter says what the vehicle does (A unplugged, B plugged, C charging,
E/F faults) and the digit says whether the charger offers energy (2: PWM >= 6 A on, 1: off).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evgui.core.state import StateInputs, vehicle_state

MIN_OFFER_A = 6.0  # IEC 61851-1: below 6 A the charger may not offer PWM charging
NOMINAL_V = 230.0
AMBIENT_C = 22.0
RAMP_UP_A_PER_S = 20.0
THERMAL_TAU_S = 240.0
TAPER_FROM_SOC = 0.80
FULL_SOC = 0.995
ACCEPTED_TAGS = ("04A1B2C3D4", "04E5F6A7B8", "DEMO")
REJECTED_TAGS = ("DEADBEEF",)

# OCPP 1.6 error codes for the faults the simulator can inject.
ERROR_CODES = {"ground_fault": "GroundFailure", "over_temperature": "HighTemperature",
               "pilot_e": "OtherError"}  # fmt: skip


@dataclass
class Vehicle:
    """The car on the end of the cable."""

    max_current_a: float = 32.0
    battery_kwh: float = 40.0
    soc: float = 0.6
    wants_charge: bool = True  # False: the car pauses itself (stays in B)

    def demand_a(self) -> float:
        """Return the current the car asks for, tapering near full."""
        if not self.wants_charge or self.soc >= FULL_SOC:
            return 0.0
        if self.soc <= TAPER_FROM_SOC:
            return self.max_current_a
        share = (FULL_SOC - self.soc) / (FULL_SOC - TAPER_FROM_SOC)
        return max(self.max_current_a * share, 1.0)


@dataclass
class SessionChange:
    """Something a face or the CLI reports: a state change, a transaction, an auth request."""

    kind: str  # "status", "transaction_started", "transaction_stopped", "authorize", "iec"
    data: dict[str, Any] = field(default_factory=dict)


Listener = Callable[[SessionChange], None]


class ChargerSession:
    """A Level-2 charger with one connector and its vehicle."""

    def __init__(self, *, phases: int = 3, seed: int | None = None, max_current_a: float = 32.0):
        if phases not in (1, 3):
            raise ValueError("phases must be 1 or 3")
        self.phases = phases
        self.rng = random.Random(seed)
        self.now = 0.0  # simulated seconds since start
        self.vehicle: Vehicle | None = None
        # settings (commands)
        self.charge_enable = True
        self.max_current_limit = max_current_a
        self.ocpp_limit_a: float | None = None
        self.charge_mode = "NORMAL"
        self.load_management_enable = False
        self.site_budget_a = 16.0
        self.connector_lock = "UNLOCK"
        self.permanent_lock = False
        # authorisation and session
        self.accepted_tags = set(ACCEPTED_TAGS)
        self.authorized_tag: str | None = None
        self.auth_status = "PENDING"
        self.pending_tag: str | None = None
        self.pending_since = 0.0
        self.external_authorizer = False  # True while an OCPP face answers Authorize
        self.rfid_read_count = 0
        self.transaction_active = False
        self.transaction_id: int | None = None
        self.session_started_at: float | None = None
        self.session_energy_kwh = 0.0
        self.meter_wh = 1_250_000.0  # lifetime register (Energy.Active.Import.Register)
        self.stop_reason: str | None = None
        # electrical state
        self.current_a = [0.0, 0.0, 0.0]
        self.voltage_v = [NOMINAL_V, NOMINAL_V, NOMINAL_V]
        self.power_factor = 1.0
        self.frequency_hz = 50.0
        self.temperature_c = AMBIENT_C + 3.0
        # faults
        self.faults: set[str] = set()
        self.ocpp_connected = False
        self._listeners: list[Listener] = []
        self._last_status: tuple[str, str] | None = None
        self._last_iec: str | None = None
        self._measure()

    # -------------------------------------------------------------- observers

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener for session changes; return the function that removes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _emit(self, kind: str, **data: Any) -> None:
        for listener in tuple(self._listeners):
            listener(SessionChange(kind, data))

    # ----------------------------------------------------------------- derived

    @property
    def plugged(self) -> bool:
        """Return True when a vehicle is connected."""
        return self.vehicle is not None

    @property
    def faulted(self) -> bool:
        """Return True while any charger fault is active."""
        return bool(self.faults)

    def budget_a(self) -> float:
        """Return the current the site lets this charger use (SMART follows a daily curve)."""
        budget = math.inf
        if self.load_management_enable:
            budget = self.site_budget_a
        if self.charge_mode == "SMART":
            # a simple time-varying budget: 10..32 A over a 10-minute cycle of simulated time
            smart = 21.0 + 11.0 * math.sin(2 * math.pi * self.now / 600.0)
            budget = min(budget, smart)
        return budget

    def offered_a(self) -> float:
        """Return the current the charger offers the vehicle (0 when it holds back)."""
        if self.faulted or not self.charge_enable or not self.transaction_active:
            return 0.0
        limit = min(self.max_current_limit, self.budget_a())
        if self.ocpp_limit_a is not None:
            limit = min(limit, self.ocpp_limit_a)
        return limit if limit >= MIN_OFFER_A else 0.0

    def iec_state(self) -> str:
        """Return the IEC 61851 pilot state: letter plus PWM digit (A1..D2), or E / F."""
        if "pilot_e" in self.faults:
            return "E"
        if self.faulted:
            return "F"
        if self.vehicle is None:
            return "A1"
        letter = "C" if self.vehicle.demand_a() > 0 else "B"
        return letter + ("2" if self.offered_a() > 0 else "1")

    def ocpp_status(self) -> tuple[str, str]:
        """Return the OCPP 1.6 connector status and error code."""
        if self.faulted:
            fault = sorted(self.faults)[0]
            return "Faulted", ERROR_CODES.get(fault, "OtherError")
        if not self.charge_enable and not self.transaction_active:
            return "Unavailable", "NoError"
        if self.vehicle is None:
            return "Available", "NoError"
        if not self.transaction_active:
            return ("Finishing" if self.session_energy_kwh > 0 else "Preparing"), "NoError"
        if self.offered_a() <= 0:
            return "SuspendedEVSE", "NoError"
        if self.vehicle.demand_a() <= 0:
            return "SuspendedEV", "NoError"
        return "Charging", "NoError"

    def cable_locked(self) -> bool:
        """Return True while a cable sits in the socket with the latch engaged.

        The permanent lock keeps an inserted cable latched between sessions; with no cable in
        the socket there is nothing to latch, which is Jeedom's cable_state 2 ("unlocked,
        permanent lock on").
        """
        if not self.plugged:
            return False
        return self.permanent_lock or self.transaction_active or self.connector_lock == "LOCK"

    def power_kw(self) -> float:
        """Return the active power, the sum over phases of V x I x PF."""
        watts = sum(v * i for v, i in zip(self.voltage_v, self.current_a, strict=True))
        return watts * self.power_factor / 1000.0

    # --------------------------------------------------------------- actions

    def plug(self, vehicle: Vehicle | None = None) -> None:
        """Connect a vehicle; with free charging (no tag needed) it waits for authorisation."""
        if self.vehicle is None:
            self.vehicle = vehicle or Vehicle()
            self.session_energy_kwh = 0.0
            self.stop_reason = None
            self._emit("plugged")
        self._after_change()

    def unplug(self) -> None:
        """Disconnect the vehicle (refused while the cable is locked permanently)."""
        if self.vehicle is None:
            return
        if self.transaction_active:
            self._stop("EVDisconnected")
        self.vehicle = None
        self.authorized_tag = None
        self.session_started_at = None
        self._emit("unplugged")
        self._after_change()

    def present_tag(self, tag: str) -> None:
        """Hold an RFID tag to the reader: counts a read, then authorises (OCPP or local list)."""
        self.rfid_read_count += 1
        self.auth_status = "PENDING"
        self.pending_tag = tag
        self.pending_since = self.now
        self._emit("authorize", tag=tag)
        if not self.external_authorizer:
            self.authorization_result(tag, tag in self.accepted_tags)

    def authorization_result(self, tag: str, accepted: bool) -> None:
        """Record the answer to an authorisation (from the OCPP central system or local list)."""
        if self.pending_tag != tag:
            return
        self.pending_tag = None
        self.auth_status = "SUCCESS" if accepted else "FAILED"
        if accepted:
            self.authorized_tag = tag
            self._maybe_start()
        self._after_change()

    def remote_start(self, tag: str) -> bool:
        """Start a session for a tag without a card (RemoteStartTransaction)."""
        if self.faulted or not self.charge_enable:
            return False
        self.authorized_tag = tag
        self.auth_status = "SUCCESS"
        self._maybe_start()
        self._after_change()
        return True

    def remote_stop(self, reason: str = "Remote") -> bool:
        """Stop the running session (RemoteStopTransaction, Remote Stop coil)."""
        if not self.transaction_active:
            return False
        self._stop(reason)
        self._after_change()
        return True

    def unlock_connector(self) -> str:
        """Unlock the connector (OCPP UnlockConnector): ends a session first."""
        if self.transaction_active:
            self._stop("UnlockCommand")
        self.connector_lock = "UNLOCK"
        self.permanent_lock = False
        self._after_change()
        return "Unlocked"

    def set_fault(self, name: str, active: bool = True) -> None:
        """Inject or clear a charger fault (ground_fault, over_temperature, pilot_e)."""
        if name not in ERROR_CODES:
            raise ValueError(f"unknown fault '{name}' (known: {', '.join(ERROR_CODES)})")
        if active:
            self.faults.add(name)
            if name == "over_temperature":
                self.temperature_c = 78.0
            if self.transaction_active:
                self._stop("EmergencyStop" if name == "ground_fault" else "Other")
        else:
            self.faults.discard(name)
            if name == "over_temperature":
                self.temperature_c = AMBIENT_C + 10.0
        self._after_change()

    def command(self, point_id: str, value: Any) -> None:
        """Apply one of the seed's commands (already validated against the profile)."""
        if point_id == "charge_enable":
            self.charge_enable = bool(value)
            if self.charge_enable:
                self._maybe_start()
        elif point_id == "max_current_limit":
            self.max_current_limit = float(value)
        elif point_id == "charge_mode":
            self.charge_mode = str(value)
        elif point_id == "connector_lock":
            if value == "UNLOCK":
                self.unlock_connector()
            self.connector_lock = str(value)
        elif point_id == "load_management_enable":
            self.load_management_enable = bool(value)
        elif point_id == "remote_stop":
            if value is None or bool(value):
                self.remote_stop("Remote")
        elif point_id == "cable_lock":
            self.permanent_lock = True
        elif point_id == "cable_unlock":
            self.permanent_lock = False
        else:
            raise KeyError(f"the simulator has no command '{point_id}'")
        self._after_change()

    # ---------------------------------------------------------------- physics

    def tick(self, dt: float) -> None:
        """Advance simulated time by dt seconds."""
        if dt <= 0:
            return
        self.now += dt
        target = min(self.offered_a(), self.vehicle.demand_a()) if self.vehicle else 0.0
        for phase in range(3):
            if phase >= self.phases:
                self.current_a[phase] = 0.0
                continue
            now_a = self.current_a[phase]
            # the charger enforces a lower limit at once; the car ramps up by itself
            self.current_a[phase] = (
                target if target <= now_a else min(target, now_a + RAMP_UP_A_PER_S * dt)
            )
        self._measure()
        kw = self.power_kw()
        kwh = kw * dt / 3600.0
        if kwh > 0:
            self.session_energy_kwh += kwh
            self.meter_wh += kwh * 1000.0
            if self.vehicle:
                self.vehicle.soc = min(1.0, self.vehicle.soc + kwh / self.vehicle.battery_kwh)
        heat_target = (
            AMBIENT_C
            + 0.02 * max(self.current_a) ** 2
            + (56.0 if "over_temperature" in self.faults else 0.0)
        )
        self.temperature_c += (heat_target - self.temperature_c) * min(1.0, dt / THERMAL_TAU_S)
        if (
            self.pending_tag is not None
            and self.external_authorizer is False
            and self.now - self.pending_since > 1.0
        ):
            self.authorization_result(self.pending_tag, self.pending_tag in self.accepted_tags)
        self._after_change()

    def _measure(self) -> None:
        """Refresh voltages, frequency and power factor with small seeded noise."""
        noise = self.rng.gauss
        for phase in range(3):
            sag = 0.08 * self.current_a[phase]  # a little line drop under load
            self.voltage_v[phase] = NOMINAL_V + noise(0.0, 0.6) - sag
        self.frequency_hz = min(50.05, max(49.95, 50.0 + noise(0.0, 0.015)))
        load = max(self.current_a) / 32.0
        self.power_factor = min(1.0, max(0.98, 0.98 + 0.019 * load + noise(0.0, 0.001)))

    # ---------------------------------------------------------------- session

    def _maybe_start(self) -> None:
        """Start a transaction when plugged, authorised, enabled and healthy."""
        if (
            self.transaction_active
            or self.vehicle is None
            or self.authorized_tag is None
            or not self.charge_enable
            or self.faulted
        ):
            return
        self.transaction_active = True
        self.session_started_at = self.now
        self.session_energy_kwh = 0.0
        self.stop_reason = None
        self._emit("transaction_started", tag=self.authorized_tag, meter_wh=self.meter_wh)

    def _stop(self, reason: str) -> None:
        """End the transaction (the car stays plugged: Finishing)."""
        self.transaction_active = False
        self.stop_reason = reason
        self.authorized_tag = None
        self.current_a = [0.0, 0.0, 0.0]
        self._emit(
            "transaction_stopped",
            reason=reason,
            meter_wh=self.meter_wh,
            transaction_id=self.transaction_id,
        )

    def _after_change(self) -> None:
        """Emit status and pilot changes once each."""
        status = self.ocpp_status()
        if status != self._last_status:
            self._last_status = status
            self._emit("status", status=status[0], error_code=status[1])
        iec = self.iec_state()
        if iec != self._last_iec:
            self._last_iec = iec
            self._emit("iec", state=iec)

    # ----------------------------------------------------------------- values

    def values(self) -> dict[str, Any]:
        """Return every quantity by the generic profile's point ids (plus extra keys)."""
        i1, i2, i3 = self.current_a
        v1, v2, v3 = self.voltage_v
        status, error = self.ocpp_status()
        duration = 0.0
        if self.session_started_at is not None:
            duration = (self.now - self.session_started_at) / 60.0
        charging = any(i > 0.05 for i in self.current_a)
        if self.faulted:
            session = "FAULT"
        elif charging:
            session = "CHARGING"
        elif self.plugged and (self.session_energy_kwh > 0 or self.stop_reason):
            session = "COMPLETE"
        else:
            session = "IDLE"
        if self.faulted:
            charger, connector = "ERROR", "FAULTED"
        else:
            charger = (
                "CHARGING" if charging else ("OFFLINE" if not self.charge_enable else "AVAILABLE")
            )
            connector = (
                "OCCUPIED"
                if self.plugged
                else ("UNAVAILABLE" if not self.charge_enable else "AVAILABLE")
            )
        return {
            "active_power": round(self.power_kw(), 4),
            "output_voltage": v1,
            "voltage_2": v2 if self.phases == 3 else 0.0,
            "voltage_3": v3 if self.phases == 3 else 0.0,
            "output_current": i1,
            "current_2": i2,
            "current_3": i3,
            "energy_delivered": self.session_energy_kwh,
            "power_factor": self.power_factor,
            "charge_session_duration": duration,
            "charger_temperature": self.temperature_c,
            "frequency": self.frequency_hz,
            "rfid_read_count": self.rfid_read_count,
            "charge_enable": self.charge_enable,
            "max_current_limit": self.max_current_limit,
            "charge_mode": self.charge_mode,
            "connector_lock": self.connector_lock,
            "load_management_enable": self.load_management_enable,
            "remote_stop": False,
            "charger_status": charger,
            "connector_status": connector,
            "session_status": session,
            "rfid_auth_status": self.auth_status,
            "fault_code": "" if error == "NoError" else error,
            "ocpp_connection": "CONNECTED" if self.ocpp_connected else "DISCONNECTED",
            "cable_connected": self.plugged,
            "ground_fault": "ground_fault" in self.faults,
            "cable_locked": self.cable_locked(),
            "cable_locked_permanently": self.permanent_lock,
            "iec_state": self.iec_state(),
            "ocpp_status": status,
            # extra quantities for vendor profiles (bound with `sim = "..."`)
            "energy_total": self.meter_wh / 1000.0,
            "offered_current": self.offered_a(),
            "soc": (self.vehicle.soc * 100.0) if self.vehicle else 0.0,
            "phases": self.phases,
            "vehicle_state": self._vehicle_state(),
        }

    def _vehicle_state(self) -> int | None:
        """Return the Jeedom vehicle state 1..6 the pilot state means (for device state codes)."""
        verdict = vehicle_state(
            StateInputs(
                iec=self.iec_state(),
                energy_kwh=self.session_energy_kwh,
                cable_connected=self.plugged,
            )
        )
        return verdict.state if verdict else None
