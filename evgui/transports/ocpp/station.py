"""What the central system knows of one charge point; turns OCPP messages into Readings."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from evgui.core.model import ChargerModel
from evgui.core.points import PointDef
from evgui.core.reading import Quality, Reading, Source
from evgui.devices.profile import OcppSettings, Profile
from evgui.transports.ocpp.mapping import (
    CHARGER_STATUS,
    CONNECTOR_STATUS,
    DEFAULT_MEASURAND,
    PLUGGED,
    SESSION_STATUS,
    MeasurandMap,
    Sample,
    UnitError,
    convert,
    fault_text,
    parse_number,
)


def parse_time(text: str | None) -> float | None:
    """Parse an OCPP timestamp into epoch seconds (None when absent or unreadable)."""
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass
class StationState:
    """One charge point as the central system sees it, kept across reconnects."""

    cp_id: str
    model: ChargerModel
    profile: Profile
    version: str = "1.6"
    settings: OcppSettings = field(default_factory=OcppSettings)
    transaction_id: int | str | None = None
    meter_start_wh: float | None = None
    tx_started_at: float | None = None
    authorizations: int = 0
    next_transaction_id: int = 1
    capabilities: dict[str, Any] = field(default_factory=dict)
    inoperative: bool = False  # the console made it Inoperative (its status may not have come yet)
    connected_at: float | None = None
    last_seen: float | None = None

    def __post_init__(self) -> None:
        self.measurands = MeasurandMap(self.profile.catalogue)
        if self.profile.ocpp is not None:
            self.settings = self.profile.ocpp

    # ------------------------------------------------------------- helpers

    def reading(
        self, point_id: str, value: Any, ts: float | None = None, **kw: Any
    ) -> Reading | None:
        """Build a reading for a point of this profile (None when the profile lacks it)."""
        point = self.model.catalogue.get(point_id)
        if point is None:
            return None
        return Reading(
            point.id,
            value,
            point.unit,
            ts or time.time(),
            Source.OCPP,
            received=time.monotonic(),
            **kw,
        )

    def apply(self, readings: Iterable[Reading | None]) -> None:
        """Give readings to the model in one batch."""
        batch = [r for r in readings if r is not None]
        if batch:
            self.model.apply(batch)

    # ----------------------------------------------------------- statuses

    def on_status(
        self,
        connector_id: int,
        status: str,
        *,
        error_code: str | None = None,
        vendor_error: str | None = None,
        info: str | None = None,
        ts: float | None = None,
    ) -> None:
        """Translate a StatusNotification (1.6 vocabulary) into the seed's status points."""
        fault = fault_text(error_code, vendor_error, info)
        readings: list[Reading | None] = [
            self.reading("fault_code", fault, ts),
            self.reading("ground_fault", error_code == "GroundFailure", ts),
        ]
        if connector_id == 0:
            charger = {"Unavailable": "OFFLINE", "Faulted": "ERROR"}.get(status, "AVAILABLE")
            readings.append(self.reading("charger_status", charger, ts))
        else:
            readings += [
                self.reading("ocpp_status", status, ts),
                self.reading("connector_status", CONNECTOR_STATUS.get(status), ts),
                self.reading("session_status", SESSION_STATUS.get(status), ts),
                self.reading("charger_status", CHARGER_STATUS.get(status), ts),
            ]
            if status in PLUGGED:
                readings.append(self.reading("cable_connected", PLUGGED[status], ts))
        self.apply(readings)

    # ------------------------------------------------------------ metering

    def on_samples(self, samples: Iterable[Sample], ts: float | None = None) -> list[str]:
        """Turn sampled values into readings; return what could not be used (for the log)."""
        readings: list[Reading | None] = []
        problems: list[str] = []
        for s in samples:
            measurand = s.measurand or DEFAULT_MEASURAND
            point = self.measurands.point_for(measurand, s.phase)
            if point is None:
                self.capabilities.setdefault("unmapped_measurands", set()).add(measurand)
                continue
            try:
                value = convert(parse_number(s.value), s.unit, measurand, point.unit)
            except (ValueError, UnitError) as exc:
                problems.append(f"{measurand}: {exc}")
                readings.append(
                    self.reading(
                        point.id, None, ts, quality=Quality.BAD, reason=f"unusable value: {exc}"
                    )
                )
                continue
            if point.id == "energy_delivered":
                readings.append(self._session_energy(point, value, ts))
            else:
                readings.append(self.reading(point.id, round(value, 6), ts))
        if self.tx_started_at is not None:
            minutes = max(0.0, ((ts or time.time()) - self.tx_started_at) / 60.0)
            readings.append(self.reading("charge_session_duration", round(minutes, 2), ts))
        self.apply(readings)
        return problems

    def _session_energy(
        self, point: PointDef, register_kwh: float, ts: float | None
    ) -> Reading | None:
        """Session energy = the register now minus meterStart (OCPP 1.6 section 3.16)."""
        self.capabilities["energy_register_kwh"] = register_kwh
        if self.meter_start_wh is None:
            return None  # no open transaction: the session energy is not known
        session = register_kwh - self.meter_start_wh / 1000.0
        return self.reading(point.id, round(max(session, 0.0), 6), ts)

    # -------------------------------------------------------- transactions

    def start_transaction(
        self,
        meter_start_wh: float,
        started_at: float | None,
        transaction_id: int | str | None = None,
    ) -> int | str:
        """Open a transaction; return its id (the central system assigns 1.6 ids)."""
        if transaction_id is None:
            transaction_id = self.next_transaction_id
            self.next_transaction_id += 1
        self.transaction_id = transaction_id
        self.meter_start_wh = meter_start_wh
        self.tx_started_at = started_at or time.time()
        self.apply(
            [self.reading("energy_delivered", 0.0), self.reading("charge_session_duration", 0.0)]
        )
        return transaction_id

    def stop_transaction(self, meter_stop_wh: float | None) -> None:
        """Close the transaction; the session energy is final."""
        readings = [self.reading("session_status", "COMPLETE")]
        if meter_stop_wh is not None and self.meter_start_wh is not None:
            session = max(meter_stop_wh - self.meter_start_wh, 0.0) / 1000.0
            readings.append(self.reading("energy_delivered", round(session, 6)))
        self.apply(readings)
        self.transaction_id = None
        self.meter_start_wh = None
        self.tx_started_at = None

    def on_authorize(self, id_tag: str, allowed: bool) -> None:
        """Count an authorisation and record its result."""
        self.authorizations += 1
        self.apply(
            [
                self.reading("rfid_read_count", self.authorizations),
                self.reading("rfid_auth_status", "SUCCESS" if allowed else "FAILED"),
            ]
        )
