"""OCPP 1.6J central system handlers: thin translators from messages into readings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from evgui.core.events import EventHub, Level
from evgui.transports.ocpp.mapping import Sample
from evgui.transports.ocpp.protocol import FramedChargePoint
from evgui.transports.ocpp.station import StationState, parse_time


def utc_now() -> str:
    """Return the current time as OCPP writes it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class CentralStation16(FramedChargePoint, ChargePoint):
    """One OCPP 1.6J charge point connection, seen from the central system."""

    def __init__(
        self,
        ws: Any,
        station: StationState,
        hub: EventHub,
        *,
        heartbeat_s: int,
        authorize: Callable[[str], bool],
        on_boot: Callable[[], None],
    ) -> None:
        ChargePoint.__init__(self, station.cp_id, ws, response_timeout=3600)
        self.setup_framing(hub, station.model.charger_id)
        self.station = station
        self.heartbeat_s = heartbeat_s
        self.authorize = authorize
        self.on_boot = on_boot

    @on(Action.boot_notification)
    def on_boot_notification(
        self, charge_point_vendor: str, charge_point_model: str, **kw: Any
    ) -> call_result.BootNotification:
        """Record the identity; accept with the configured heartbeat interval."""
        self.station.model.set_identity(
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial=kw.get("charge_point_serial_number") or kw.get("charge_box_serial_number") or "",
            firmware=kw.get("firmware_version") or "",
            protocol="OCPP 1.6J",
        )
        self.on_boot()
        return call_result.BootNotification(
            current_time=utc_now(), interval=self.heartbeat_s, status="Accepted"
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        """Answer with the time."""
        return call_result.Heartbeat(current_time=utc_now())

    @on(Action.status_notification)
    def on_status_notification(
        self, connector_id: int, error_code: str, status: str, **kw: Any
    ) -> call_result.StatusNotification:
        """Translate the status into the seed's status points."""
        self.station.on_status(
            connector_id,
            status,
            error_code=error_code,
            vendor_error=kw.get("vendor_error_code"),
            info=kw.get("info"),
            ts=parse_time(kw.get("timestamp")),
        )
        return call_result.StatusNotification()

    @on(Action.meter_values)
    def on_meter_values(
        self, connector_id: int, meter_value: list[dict[str, Any]], **kw: Any
    ) -> call_result.MeterValues:
        """Translate every sampled value (measurand, phase, unit, context)."""
        for mv in meter_value:
            samples = [
                Sample(
                    measurand=sv.get("measurand") or "Energy.Active.Import.Register",
                    value=sv.get("value"),
                    unit=sv.get("unit"),
                    phase=sv.get("phase"),
                    context=sv.get("context"),
                    location=sv.get("location"),
                )
                for sv in mv.get("sampled_value", [])
            ]
            problems = self.station.on_samples(samples, parse_time(mv.get("timestamp")))
            for problem in problems:
                self.hub.log(self.charger_id, Level.WARNING, f"MeterValues: {problem}")
        return call_result.MeterValues()

    @on(Action.start_transaction)
    def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> call_result.StartTransaction:
        """Open a transaction; the id tag is checked against the authorisation policy."""
        allowed = self.authorize(id_tag)
        tx = self.station.start_transaction(float(meter_start), parse_time(timestamp))
        self.hub.log(
            self.charger_id,
            Level.INFO,
            f"transaction {tx} started (tag {id_tag}, meter {meter_start} Wh)",
        )
        status = "Accepted" if allowed else "Invalid"
        return call_result.StartTransaction(transaction_id=int(tx), id_tag_info={"status": status})

    @on(Action.stop_transaction)
    def on_stop_transaction(
        self, meter_stop: int, transaction_id: int, **kw: Any
    ) -> call_result.StopTransaction:
        """Close the transaction; session energy = meterStop - meterStart."""
        if self.station.transaction_id not in (None, transaction_id):
            self.hub.log(
                self.charger_id,
                Level.WARNING,
                f"StopTransaction for unknown transaction {transaction_id}",
            )
        self.station.stop_transaction(float(meter_stop))
        reason = kw.get("reason") or "Local"
        self.hub.log(
            self.charger_id, Level.INFO, f"transaction {transaction_id} stopped ({reason})"
        )
        return call_result.StopTransaction(
            id_tag_info={"status": "Accepted"} if kw.get("id_tag") else None
        )

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **_: Any) -> call_result.Authorize:
        """Apply the authorisation policy (accept all, or an allow list)."""
        allowed = self.authorize(id_tag)
        self.station.on_authorize(id_tag, allowed)
        return call_result.Authorize(id_tag_info={"status": "Accepted" if allowed else "Invalid"})

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **kw: Any) -> call_result.DataTransfer:
        """Log vendor data; no vendor extension is known here."""
        self.hub.log(
            self.charger_id,
            Level.INFO,
            f"DataTransfer from {vendor_id}: {kw.get('message_id')} {kw.get('data')}",
        )
        return call_result.DataTransfer(status="UnknownVendorId")

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status(
        self, status: str, **_: Any
    ) -> call_result.DiagnosticsStatusNotification:
        """Log it."""
        self.hub.log(self.charger_id, Level.INFO, f"diagnostics upload: {status}")
        return call_result.DiagnosticsStatusNotification()

    @on(Action.firmware_status_notification)
    def on_firmware_status(self, status: str, **_: Any) -> call_result.FirmwareStatusNotification:
        """Log it."""
        self.hub.log(self.charger_id, Level.INFO, f"firmware update: {status}")
        return call_result.FirmwareStatusNotification()


class Calls16:
    """Build the 1.6 requests the console sends."""

    version = "1.6"

    @staticmethod
    def remote_start(id_tag: str, connector_id: int = 1) -> Any:
        """RemoteStartTransaction."""
        return call.RemoteStartTransaction(id_tag=id_tag, connector_id=connector_id)

    @staticmethod
    def remote_stop(transaction_id: int | str) -> Any:
        """RemoteStopTransaction (needs the open transaction id)."""
        return call.RemoteStopTransaction(transaction_id=int(transaction_id))

    @staticmethod
    def set_limit(
        limit: float,
        unit: str,
        *,
        purpose: str,
        stack_level: int,
        connector_id: int,
        transaction_id: int | str | None,
    ) -> Any:
        """SetChargingProfile with one period (1.6 schemas want a multiple of 0.1)."""
        profile: dict[str, Any] = {
            "charging_profile_id": 1 if purpose == "TxDefaultProfile" else 2,
            "stack_level": stack_level,
            "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": {
                "start_schedule": utc_now(),
                "charging_rate_unit": unit,
                "charging_schedule_period": [{"start_period": 0, "limit": round(limit, 1)}],
            },
        }
        if purpose == "TxProfile" and transaction_id is not None:
            profile["transaction_id"] = int(transaction_id)
        return call.SetChargingProfile(connector_id=connector_id, cs_charging_profiles=profile)

    @staticmethod
    def clear_limit() -> Any:
        """ClearChargingProfile (all)."""
        return call.ClearChargingProfile()

    @staticmethod
    def unlock(connector_id: int = 1) -> Any:
        """UnlockConnector."""
        return call.UnlockConnector(connector_id=connector_id)

    @staticmethod
    def availability(operative: bool, connector_id: int = 0) -> Any:
        """ChangeAvailability Operative / Inoperative."""
        return call.ChangeAvailability(
            connector_id=connector_id, type="Operative" if operative else "Inoperative"
        )

    @staticmethod
    def set_config(key: str, value: str) -> Any:
        """ChangeConfiguration."""
        return call.ChangeConfiguration(key=key, value=value)

    @staticmethod
    def get_config(keys: list[str] | None = None) -> Any:
        """GetConfiguration (all keys when None)."""
        return call.GetConfiguration(key=keys)

    @staticmethod
    def reset(hard: bool) -> Any:
        """Reset Soft / Hard."""
        return call.Reset(type="Hard" if hard else "Soft")

    @staticmethod
    def trigger(message: str, connector_id: int | None = 1) -> Any:
        """TriggerMessage."""
        return call.TriggerMessage(requested_message=message, connector_id=connector_id)
