"""OCPP -> catalogue translation tables: statuses, error codes, measurands, phases and units."""

from __future__ import annotations

import math
from dataclasses import dataclass

from evgui.core.points import Catalogue, PointDef

# OCPP 1.6 ChargePointStatus of a connector -> the seed's status points.
CONNECTOR_STATUS = {
    "Available": "AVAILABLE",
    "Preparing": "OCCUPIED",
    "Charging": "OCCUPIED",
    "SuspendedEVSE": "OCCUPIED",
    "SuspendedEV": "OCCUPIED",
    "Finishing": "OCCUPIED",
    "Reserved": "AVAILABLE",
    "Unavailable": "UNAVAILABLE",
    "Faulted": "FAULTED",
}
SESSION_STATUS = {
    "Available": "IDLE",
    "Preparing": "IDLE",
    "Charging": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "SuspendedEV": "CHARGING",
    "Finishing": "COMPLETE",
    "Reserved": "IDLE",
    "Unavailable": "IDLE",
    "Faulted": "FAULT",
}
CHARGER_STATUS = {
    "Available": "AVAILABLE",
    "Preparing": "AVAILABLE",
    "Charging": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "SuspendedEV": "CHARGING",
    "Finishing": "AVAILABLE",
    "Reserved": "AVAILABLE",
    "Unavailable": "OFFLINE",
    "Faulted": "ERROR",
}
PLUGGED = {
    "Preparing": True,
    "Charging": True,
    "SuspendedEVSE": True,
    "SuspendedEV": True,
    "Finishing": True,
    "Available": False,
    "Unavailable": False,
    "Reserved": False,
}

# OCPP 2.0.1: connector status and transaction charging state -> 1.6 vocabulary.
CONNECTOR_STATUS_201 = {
    "Available": "Available",
    "Occupied": "Preparing",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}
CHARGING_STATE_201 = {
    "Charging": "Charging",
    "EVConnected": "Preparing",
    "SuspendedEV": "SuspendedEV",
    "SuspendedEVSE": "SuspendedEVSE",
    "Idle": "Available",
}

# Units: OCPP unit -> (point unit -> factor). Temperatures convert with an offset below.
_SCALE = {
    ("W", "kW"): 0.001,
    ("kW", "kW"): 1.0,
    ("W", "W"): 1.0,
    ("kW", "W"): 1000.0,
    ("Wh", "kWh"): 0.001,
    ("kWh", "kWh"): 1.0,
    ("Wh", "Wh"): 1.0,
    ("kWh", "Wh"): 1000.0,
    ("A", "A"): 1.0,
    ("V", "V"): 1.0,
    ("Percent", "%"): 1.0,
    ("Hz", "Hz"): 1.0,
    ("VA", "kVA"): 0.001,
    ("kVA", "kVA"): 1.0,
    ("var", "kvar"): 0.001,
    ("kvar", "kvar"): 1.0,
}
DEFAULT_UNITS = {
    "Energy.Active.Import.Register": "Wh",
    "Power.Active.Import": "W",
    "Voltage": "V",
    "Current.Import": "A",
    "Current.Offered": "A",
    "Temperature": "Celsius",
    "Frequency": "Hz",
    "Power.Factor": "",
}
DEFAULT_MEASURAND = "Energy.Active.Import.Register"


class UnitError(ValueError):
    """A sampled value in a unit that cannot become the point's unit."""


def convert(value: float, unit: str | None, measurand: str, point_unit: str) -> float:
    """Convert an OCPP sampled value to the point's unit (k-prefixes, Celcius, Fahrenheit, K)."""
    unit = unit or DEFAULT_UNITS.get(measurand, "")
    if point_unit in ("°C", "degC"):
        spelled = unit.lower()
        if spelled in ("celsius", "celcius", "c", "°c", ""):  # "Celcius": a known charger typo
            return value
        if spelled == "fahrenheit":
            return (value - 32.0) * 5.0 / 9.0
        if spelled == "k":
            return value - 273.15
        raise UnitError(f"temperature in '{unit}'")
    if not unit or not point_unit or unit == point_unit:
        return value
    factor = _SCALE.get((unit, point_unit))
    if factor is None:
        raise UnitError(f"cannot convert {unit} to {point_unit}")
    return value * factor


def parse_number(raw: object) -> float:
    """Parse an OCPP value: a number, or a string with spaces (' 230.5 ', '1,5')."""
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a meter value")
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        number = float(str(raw).strip().replace(",", "."))
    if not math.isfinite(number):
        raise ValueError(f"{raw!r} is not a finite number")
    return number


def normal_phase(phase: str | None) -> str | None:
    """Reduce a phase to L1/L2/L3 (chargers send Voltage as L1-N or L1; N and L1-L2 kept)."""
    if phase is None:
        return None
    phase = phase.strip()
    if phase.endswith("-N") and phase[:2] in ("L1", "L2", "L3"):
        return phase[:2]
    return phase


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampled value, version-neutral."""

    measurand: str
    value: object
    unit: str | None = None
    phase: str | None = None
    context: str | None = None
    location: str | None = None


class MeasurandMap:
    """Find the point a (measurand, phase) sample feeds, from the profile's OCPP mappings."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._by_key: dict[tuple[str, str | None], PointDef] = {}
        self.measurands: list[str] = []
        for point in catalogue:
            o = point.ocpp
            if o is None or o.message != "MeterValues" or not o.measurand:
                continue
            self._by_key[(o.measurand, normal_phase(o.phase))] = point
            if o.measurand not in self.measurands:
                self.measurands.append(o.measurand)

    def point_for(self, measurand: str, phase: str | None) -> PointDef | None:
        """Return the point for a sample; a phase-less voltage/current feeds phase 1."""
        key = (measurand, normal_phase(phase))
        point = self._by_key.get(key)
        if point is None and phase is None:
            point = self._by_key.get((measurand, "L1"))
        return point


def fault_text(error_code: str | None, vendor_error: str | None, info: str | None) -> str:
    """Return the fault code shown to the user ('' when there is no fault)."""
    if not error_code or error_code == "NoError":
        return ""
    extra = ", ".join(x for x in (vendor_error, info) if x)
    return f"{error_code} ({extra})" if extra else error_code
