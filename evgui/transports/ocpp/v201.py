"""OCPP 2.0.1 central system handlers (basics) and the requests the console sends."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from evgui.core.events import EventHub, Level
from evgui.transports.ocpp.mapping import CHARGING_STATE_201, CONNECTOR_STATUS_201, Sample
from evgui.transports.ocpp.protocol import FramedChargePoint
from evgui.transports.ocpp.station import StationState, parse_time
from evgui.transports.ocpp.v16 import utc_now


def samples_201(meter_value: dict[str, Any]) -> list[Sample]:
    """Turn a 2.0.1 MeterValue (numbers, unitOfMeasure) into neutral samples."""
    return [
        Sample(
            measurand=sv.get("measurand") or "Energy.Active.Import.Register",
            value=sv.get("value"),
            unit=(sv.get("unit_of_measure") or {}).get("unit"),
            phase=sv.get("phase"),
            context=sv.get("context"),
            location=sv.get("location"),
        )
        for sv in meter_value.get("sampled_value", [])
    ]


class CentralStation201(FramedChargePoint, ChargePoint):
    """One OCPP 2.0.1 charging station connection, seen from the CSMS."""

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
        self, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        """Record the identity; accept with the configured heartbeat interval."""
        self.station.model.set_identity(
            vendor=charging_station.get("vendor_name", ""),
            model=charging_station.get("model", ""),
            serial=charging_station.get("serial_number") or "",
            firmware=charging_station.get("firmware_version") or "",
            protocol="OCPP 2.0.1",
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
        self, connector_status: str, evse_id: int, connector_id: int, **kw: Any
    ) -> call_result.StatusNotification:
        """Translate into 1.6 vocabulary, then into the seed's status points."""
        status = CONNECTOR_STATUS_201.get(connector_status, connector_status)
        if status == "Preparing" and self.station.transaction_id is not None:
            return call_result.StatusNotification()  # the transaction's charging state says more
        self.station.on_status(evse_id, status, ts=parse_time(kw.get("timestamp")))
        return call_result.StatusNotification()

    @on(Action.transaction_event)
    def on_transaction_event(
        self, event_type: str, timestamp: str, transaction_info: dict[str, Any], **kw: Any
    ) -> call_result.TransactionEvent:
        """Translate Started/Updated/Ended: charging state to status, meter values to readings."""
        ts = parse_time(timestamp)
        samples = [s for mv in kw.get("meter_value") or [] for s in samples_201(mv)]
        tx_id = transaction_info.get("transaction_id")
        if event_type == "Started":
            register = next(
                (s for s in samples if s.measurand == "Energy.Active.Import.Register"), None
            )
            start_wh = float(register.value) if register is not None else 0.0  # type: ignore[arg-type]
            self.station.start_transaction(start_wh, ts, tx_id)
            self.hub.log(self.charger_id, Level.INFO, f"transaction {tx_id} started")
        state = transaction_info.get("charging_state")
        if state:
            self.station.on_status(1, CHARGING_STATE_201.get(state, state), ts=ts)
        if samples:
            self.station.on_samples(samples, ts)
        if event_type == "Ended":
            register = next(
                (s for s in samples if s.measurand == "Energy.Active.Import.Register"), None
            )
            stop_wh = float(register.value) if register is not None else None  # type: ignore[arg-type]
            self.station.stop_transaction(stop_wh)
            self.station.on_status(1, "Finishing", ts=ts)
            reason = transaction_info.get("stopped_reason", "Local")
            self.hub.log(self.charger_id, Level.INFO, f"transaction {tx_id} ended ({reason})")
        id_token = kw.get("id_token")
        if id_token:
            allowed = self.authorize(id_token.get("id_token", ""))
            return call_result.TransactionEvent(
                id_token_info={"status": "Accepted" if allowed else "Invalid"}
            )
        return call_result.TransactionEvent()

    @on(Action.authorize)
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> call_result.Authorize:
        """Apply the authorisation policy."""
        tag = id_token.get("id_token", "")
        allowed = self.authorize(tag)
        self.station.on_authorize(tag, allowed)
        return call_result.Authorize(id_token_info={"status": "Accepted" if allowed else "Invalid"})

    @on(Action.notify_report)
    def on_notify_report(self, request_id: int, seq_no: int, **kw: Any) -> call_result.NotifyReport:
        """Keep the reported device model as capabilities."""
        report = self.station.capabilities.setdefault("report", [])
        report.extend(kw.get("report_data") or [])
        return call_result.NotifyReport()


class Calls201:
    """Build the 2.0.1 requests the console sends."""

    version = "2.0.1"

    @staticmethod
    def remote_start(id_tag: str, connector_id: int = 1) -> Any:
        """RequestStartTransaction."""
        return call.RequestStartTransaction(
            id_token={"id_token": id_tag, "type": "Central"},
            remote_start_id=uuid.uuid4().int & 0x7FFFFFFF,
            evse_id=connector_id,
        )

    @staticmethod
    def remote_stop(transaction_id: int | str) -> Any:
        """RequestStopTransaction."""
        return call.RequestStopTransaction(transaction_id=str(transaction_id))

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
        """SetChargingProfile with one period."""
        profile: dict[str, Any] = {
            "id": 1 if purpose == "TxDefaultProfile" else 2,
            "stack_level": stack_level,
            "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": [
                {
                    "id": 1,
                    "start_schedule": utc_now(),
                    "charging_rate_unit": unit,
                    "charging_schedule_period": [{"start_period": 0, "limit": round(limit, 1)}],
                }
            ],
        }
        if purpose == "TxProfile" and transaction_id is not None:
            profile["transaction_id"] = str(transaction_id)
        return call.SetChargingProfile(evse_id=connector_id, charging_profile=profile)

    @staticmethod
    def clear_limit() -> Any:
        """ClearChargingProfile."""
        return call.ClearChargingProfile()

    @staticmethod
    def unlock(connector_id: int = 1) -> Any:
        """UnlockConnector on EVSE 1."""
        return call.UnlockConnector(evse_id=1, connector_id=connector_id)

    @staticmethod
    def availability(operative: bool, connector_id: int = 0) -> Any:
        """ChangeAvailability of the station (or an EVSE)."""
        evse = {"id": connector_id} if connector_id else None
        return call.ChangeAvailability(
            operational_status="Operative" if operative else "Inoperative", evse=evse
        )

    @staticmethod
    def set_config(key: str, value: str) -> Any:
        """SetVariables: 'Component.Variable' keys."""
        component, _, variable = key.partition(".")
        return call.SetVariables(
            set_variable_data=[
                {
                    "component": {"name": component},
                    "variable": {"name": variable},
                    "attribute_value": value,
                }
            ]
        )

    @staticmethod
    def get_config(keys: list[str] | None = None) -> Any:
        """GetVariables: 'Component.Variable' keys."""
        items = []
        for key in keys or [
            "OCPPCommCtrlr.HeartbeatInterval",
            "SampledDataCtrlr.TxUpdatedInterval",
        ]:
            component, _, variable = key.partition(".")
            items.append({"component": {"name": component}, "variable": {"name": variable}})
        return call.GetVariables(get_variable_data=items)

    @staticmethod
    def reset(hard: bool) -> Any:
        """Reset Immediate / OnIdle."""
        return call.Reset(type="Immediate" if hard else "OnIdle")

    @staticmethod
    def trigger(message: str, connector_id: int | None = 1) -> Any:
        """TriggerMessage."""
        evse = {"id": 1} if connector_id else None
        return call.TriggerMessage(requested_message=message, evse=evse)
