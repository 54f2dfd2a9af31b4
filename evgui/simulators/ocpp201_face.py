"""The simulated charger's OCPP 2.0.1 charging station (basics: boot, status, transactions)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result
from ocpp.v201.enums import Action

from evgui.simulators.ocpp_link import IDENTITY, OcppChargePointFace, meter_samples, utc_now
from evgui.simulators.session import NOMINAL_V, SessionChange

# OCPP 2.0.1's MeasurandEnumType has no Temperature (it lives in the device model), so the
# 2.0.1 face does not send it; the 1.6 face does.
MEASURANDS_201 = (
    "Energy.Active.Import.Register", "Power.Active.Import", "Voltage", "Current.Import",
    "Current.Offered", "Frequency", "Power.Factor", "SoC",
)  # fmt: skip
# 1.6 connector status (what the session speaks) -> 2.0.1 connector status and charging state
CONNECTOR_201 = {"Available": "Available", "Unavailable": "Unavailable", "Faulted": "Faulted",
                 "Reserved": "Reserved"}  # fmt: skip
CHARGING_STATE_201 = {"Charging": "Charging", "SuspendedEV": "SuspendedEV",
                      "SuspendedEVSE": "SuspendedEVSE", "Preparing": "EVConnected",
                      "Finishing": "EVConnected"}  # fmt: skip
STOP_REASON_201 = {
    "Remote": "Remote", "EVDisconnected": "EVDisconnected", "EmergencyStop": "EmergencyStop",
    "DeAuthorized": "DeAuthorized", "HardReset": "ImmediateReset", "SoftReset": "ImmediateReset",
    "Local": "Local",
}  # fmt: skip


class SimChargingStation201(ChargePoint):
    """The CSMS's calls, answered from the session."""

    def __init__(self, cp_id: str, ws: Any, face: Ocpp201Face) -> None:
        super().__init__(cp_id, ws, response_timeout=15)
        self.face = face
        self.session = face.session

    @on(Action.request_start_transaction)
    async def on_request_start(
        self, id_token: dict[str, Any], remote_start_id: int, **_: Any
    ) -> call_result.RequestStartTransaction:
        """Start a session for the token."""
        self.face.remote_start_id = remote_start_id
        ok = not await self.face.refuses("RequestStartTransaction") and self.session.remote_start(
            id_token["id_token"]
        )
        return call_result.RequestStartTransaction(status="Accepted" if ok else "Rejected")

    @on(Action.request_stop_transaction)
    async def on_request_stop(
        self, transaction_id: str, **_: Any
    ) -> call_result.RequestStopTransaction:
        """Stop the session when the transaction id matches."""
        ok = (
            not await self.face.refuses("RequestStopTransaction")
            and transaction_id == self.face.tx_id
            and self.session.remote_stop("Remote")
        )
        return call_result.RequestStopTransaction(status="Accepted" if ok else "Rejected")

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        """Apply the first period's limit (A, or W converted with the nominal voltage)."""
        if await self.face.refuses("SetChargingProfile"):
            return call_result.SetChargingProfile(status="Rejected")
        schedule = charging_profile["charging_schedule"][0]
        limit = float(schedule["charging_schedule_period"][0]["limit"])
        if schedule.get("charging_rate_unit") == "W":
            limit = limit / (NOMINAL_V * self.session.phases)
        self.session.ocpp_limit_a = limit
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(self, **_: Any) -> call_result.ClearChargingProfile:
        """Drop the OCPP limit."""
        had = self.session.ocpp_limit_a is not None
        self.session.ocpp_limit_a = None
        return call_result.ClearChargingProfile(status="Accepted" if had else "Unknown")

    @on(Action.unlock_connector)
    async def on_unlock_connector(
        self, evse_id: int, connector_id: int, **_: Any
    ) -> call_result.UnlockConnector:
        """Unlock the connector (ends a running session)."""
        if await self.face.refuses("UnlockConnector") or (evse_id, connector_id) != (1, 1):
            return call_result.UnlockConnector(status="UnknownConnector")
        self.session.unlock_connector()
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.change_availability)
    async def on_change_availability(
        self, operational_status: str, **_: Any
    ) -> call_result.ChangeAvailability:
        """Operative / Inoperative is Charge Enable."""
        if await self.face.refuses("ChangeAvailability"):
            return call_result.ChangeAvailability(status="Rejected")
        enable = operational_status == "Operative"
        scheduled = not enable and self.session.transaction_active
        self.session.command("charge_enable", enable)
        return call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @on(Action.get_variables)
    async def on_get_variables(
        self, get_variable_data: list[dict[str, Any]], **_: Any
    ) -> call_result.GetVariables:
        """Report the variables the simulator knows."""
        results = []
        for item in get_variable_data:
            key = (item["component"]["name"], item["variable"]["name"])
            value = self.face.variables.get(key)
            results.append(
                {
                    "attribute_status": "Accepted" if value is not None else "UnknownVariable",
                    "component": item["component"],
                    "variable": item["variable"],
                    **({"attribute_value": value} if value is not None else {}),
                }
            )
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    async def on_set_variables(
        self, set_variable_data: list[dict[str, Any]], **_: Any
    ) -> call_result.SetVariables:
        """Change the variables the simulator knows."""
        results = []
        for item in set_variable_data:
            key = (item["component"]["name"], item["variable"]["name"])
            status = self.face.set_variable(key, str(item["attribute_value"]))
            results.append(
                {
                    "attribute_status": status,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return call_result.SetVariables(set_variable_result=results)

    @on(Action.reset)
    async def on_reset(self, type: str, **_: Any) -> call_result.Reset:
        """Accept, then reconnect and boot again."""
        if await self.face.refuses("Reset"):
            return call_result.Reset(status="Rejected")
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, **_: Any) -> None:
        """Stop any session and restart the link."""
        self.session.remote_stop("HardReset" if type == "Immediate" else "SoftReset")
        self.face.request_reconnect()

    @on(Action.trigger_message)
    async def on_trigger_message(
        self, requested_message: str, **_: Any
    ) -> call_result.TriggerMessage:
        """Accept the messages the simulator can send on demand."""
        known = (
            "MeterValues",
            "StatusNotification",
            "Heartbeat",
            "BootNotification",
            "TransactionEvent",
        )
        status = "Accepted" if requested_message in known else "NotImplemented"
        return call_result.TriggerMessage(status=status)

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, **_: Any) -> None:
        """Send the triggered message."""
        face = self.face
        senders = {
            "MeterValues": face.send_meter_values,
            "TransactionEvent": face.send_meter_values,
            "StatusNotification": face.send_status,
            "Heartbeat": face.heartbeat,
            "BootNotification": face.boot,
        }
        sender = senders.get(requested_message)
        if sender is not None:
            face.spawn(sender(self))


class Ocpp201Face(OcppChargePointFace):
    """OCPP 2.0.1: BootNotification, StatusNotification, TransactionEvent with meter values."""

    subprotocol = "ocpp2.0.1"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tx_id: str | None = None
        self.remote_start_id: int | None = None
        self.seq_no = 0
        self.variables: dict[tuple[str, str], str] = {
            ("OCPPCommCtrlr", "HeartbeatInterval"): "60",
            ("SampledDataCtrlr", "TxUpdatedInterval"): f"{self.meter_interval_s:g}",
            ("SampledDataCtrlr", "TxUpdatedMeasurands"): ",".join(MEASURANDS_201),
            ("ChargingStation", "Model"): IDENTITY["model"],
        }

    def make_charge_point(self, ws: Any) -> SimChargingStation201:
        """Return the 2.0.1 ChargePoint for one connection."""
        return SimChargingStation201(self.cp_id, ws, self)

    def set_variable(self, key: tuple[str, str], value: str) -> str:
        """Apply a SetVariables entry; return its attribute status."""
        if key not in self.variables or key == ("ChargingStation", "Model"):
            return "UnknownVariable" if key not in self.variables else "Rejected"
        if key[1] in ("HeartbeatInterval", "TxUpdatedInterval"):
            try:
                seconds = int(value)
            except ValueError:
                return "Rejected"
            if seconds < 1:
                return "Rejected"
            if key[1] == "HeartbeatInterval":
                self.heartbeat_s = seconds
            else:
                self.meter_interval_s = seconds
        self.variables[key] = value
        return "Accepted"

    async def boot(self, cp: Any) -> None:
        """Send BootNotification until accepted."""
        while True:
            reply = await cp.call(
                call.BootNotification(
                    charging_station={
                        "vendor_name": IDENTITY["vendor"],
                        "model": IDENTITY["model"],
                        "serial_number": IDENTITY["serial"],
                        "firmware_version": IDENTITY["firmware"],
                    },
                    reason="PowerUp",
                ),
                suppress=False,
            )
            if reply.status == "Accepted":
                self.heartbeat_s = float(reply.interval or 60)
                return
            await asyncio.sleep(max(float(reply.interval or 10), 1.0))

    async def after_boot(self, cp: Any) -> None:
        """Report the connector's status."""
        await self.send_status(cp)

    async def send_status(self, cp: Any) -> None:
        """Send the connector status (Occupied while a vehicle is plugged)."""
        status, _error = self.session.ocpp_status()
        connector = CONNECTOR_201.get(status, "Occupied")
        await cp.call(
            call.StatusNotification(
                timestamp=utc_now(), connector_status=connector, evse_id=1, connector_id=1
            )
        )

    async def heartbeat(self, cp: Any) -> None:
        """Send a Heartbeat."""
        await cp.call(call.Heartbeat())

    def _meter_value(self) -> list[dict[str, Any]]:
        """Return one 2.0.1 meter value with the configured measurands (values are numbers)."""
        wanted = set(self.variables[("SampledDataCtrlr", "TxUpdatedMeasurands")].split(","))
        sampled = []
        for x in meter_samples(self.session, wanted):
            item: dict[str, Any] = {"value": round(x.value, x.decimals), "measurand": x.measurand}
            if x.phase:
                item["phase"] = x.phase
            if x.unit:
                item["unit_of_measure"] = {"unit": x.unit}
            if x.location:
                item["location"] = x.location
            sampled.append(item)
        return [{"timestamp": utc_now(), "sampled_value": sampled}]

    async def _transaction_event(
        self, cp: Any, event_type: str, trigger: str, *, stopped_reason: str | None = None
    ) -> None:
        """Send a TransactionEvent for the running (or just ended) transaction."""
        if self.tx_id is None:
            return
        self.seq_no += 1
        status, _error = self.session.ocpp_status()
        info: dict[str, Any] = {
            "transaction_id": self.tx_id,
            "charging_state": CHARGING_STATE_201.get(status, "Idle"),
        }
        if self.remote_start_id is not None:
            info["remote_start_id"] = self.remote_start_id
        if stopped_reason:
            info["stopped_reason"] = stopped_reason
        await cp.call(
            call.TransactionEvent(
                event_type=event_type,
                timestamp=utc_now(),
                trigger_reason=trigger,
                seq_no=self.seq_no,
                transaction_info=info,
                meter_value=self._meter_value(),
                evse={"id": 1, "connector_id": 1},
                id_token=(
                    {"id_token": self.session.authorized_tag, "type": "ISO14443"}
                    if event_type == "Started" and self.session.authorized_tag
                    else None
                ),
            )
        )

    async def send_meter_values(self, cp: Any) -> None:
        """Send periodic meter values inside an Updated TransactionEvent."""
        if self.tx_id is not None and self.session.transaction_active:
            await self._transaction_event(cp, "Updated", "MeterValuePeriodic")

    async def on_change(self, cp: Any, change: SessionChange) -> None:
        """Report a session change: status, authorisation, transaction events."""
        if change.kind == "status":
            await self.send_status(cp)
            if self.tx_id is not None and self.session.transaction_active:
                await self._transaction_event(cp, "Updated", "ChargingStateChanged")
        elif change.kind == "authorize":
            tag = change.data["tag"]
            reply = await cp.call(
                call.Authorize(id_token={"id_token": tag, "type": "ISO14443"}), suppress=False
            )
            self.session.authorization_result(tag, reply.id_token_info["status"] == "Accepted")
        elif change.kind == "transaction_started":
            self.tx_id = uuid.uuid4().hex[:16]
            self.seq_no = 0
            await self._transaction_event(cp, "Started", "Authorized")
        elif change.kind == "transaction_stopped" and self.tx_id is not None:
            reason = STOP_REASON_201.get(change.data["reason"], "Other")
            await self._transaction_event(cp, "Ended", "StopAuthorized", stopped_reason=reason)
            self.tx_id = None
            self.remote_start_id = None
