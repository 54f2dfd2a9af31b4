"""The simulated charger's OCPP 1.6J charge point (the `ocpp` library as client)."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16 import datatypes as dt16
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    AvailabilityStatus,
    AvailabilityType,
    ChargingProfileStatus,
    ClearChargingProfileStatus,
    ConfigurationStatus,
    DataTransferStatus,
    RegistrationStatus,
    RemoteStartStopStatus,
    ResetStatus,
    TriggerMessageStatus,
    UnlockStatus,
)

from evgui.simulators.ocpp_link import IDENTITY, OcppChargePointFace, meter_samples, utc_now
from evgui.simulators.session import NOMINAL_V, SessionChange

SUPPORTED_MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Voltage",
    "Current.Import",
    "Current.Offered",
    "Temperature",
    "Frequency",
    "Power.Factor",
    "SoC",
)


def default_configuration() -> dict[str, tuple[str, bool]]:
    """Return the charge point's configuration keys: name -> (value, read-only)."""
    return {
        "HeartbeatInterval": ("60", False),
        "MeterValueSampleInterval": ("10", False),
        "MeterValuesSampledData": (",".join(SUPPORTED_MEASURANDS), False),
        "UnlockConnectorOnEVSideDisconnect": ("true", False),
        "AuthorizeRemoteTxRequests": ("false", False),
        "NumberOfConnectors": ("1", True),
        "ChargeProfileMaxStackLevel": ("10", True),
        "ChargingScheduleAllowedChargingRateUnit": ("Current,Power", True),
        "SupportedFeatureProfiles": ("Core,SmartCharging,RemoteTrigger", True),
    }


class SimChargePoint16(ChargePoint):
    """The central system's calls, answered from the session."""

    def __init__(self, cp_id: str, ws: Any, face: Ocpp16Face) -> None:
        super().__init__(cp_id, ws, response_timeout=15)
        self.face = face
        self.session = face.session

    @on(Action.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, **_: Any) -> call_result.RemoteStartTransaction:
        """Start a session for the tag."""
        refused = await self.face.refuses("RemoteStartTransaction")
        ok = not refused and self.session.remote_start(id_tag)
        status = RemoteStartStopStatus.accepted if ok else RemoteStartStopStatus.rejected
        return call_result.RemoteStartTransaction(status=status)

    @on(Action.remote_stop_transaction)
    async def on_remote_stop(
        self, transaction_id: int, **_: Any
    ) -> call_result.RemoteStopTransaction:
        """Stop the session when the transaction id matches."""
        ok = (
            not await self.face.refuses("RemoteStopTransaction")
            and self.session.transaction_id == transaction_id
            and self.session.remote_stop("Remote")
        )
        status = RemoteStartStopStatus.accepted if ok else RemoteStartStopStatus.rejected
        return call_result.RemoteStopTransaction(status=status)

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any], **_: Any
    ) -> call_result.SetChargingProfile:
        """Apply the first period's limit (A, or W converted with the nominal voltage)."""
        if await self.face.refuses("SetChargingProfile"):
            return call_result.SetChargingProfile(status=ChargingProfileStatus.rejected)
        purpose = cs_charging_profiles.get("charging_profile_purpose")
        if purpose == "TxProfile" and not self.session.transaction_active:
            return call_result.SetChargingProfile(status=ChargingProfileStatus.rejected)
        schedule = cs_charging_profiles["charging_schedule"]
        limit = float(schedule["charging_schedule_period"][0]["limit"])
        if schedule.get("charging_rate_unit") == "W":
            limit = limit / (NOMINAL_V * self.session.phases)
        self.session.ocpp_limit_a = limit
        self.session.tick(0.0)
        return call_result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    @on(Action.clear_charging_profile)
    async def on_clear_charging_profile(self, **_: Any) -> call_result.ClearChargingProfile:
        """Drop the OCPP limit."""
        if await self.face.refuses("ClearChargingProfile"):
            return call_result.ClearChargingProfile(status=ClearChargingProfileStatus.unknown)
        had = self.session.ocpp_limit_a is not None
        self.session.ocpp_limit_a = None
        status = ClearChargingProfileStatus.accepted if had else ClearChargingProfileStatus.unknown
        return call_result.ClearChargingProfile(status=status)

    @on(Action.unlock_connector)
    async def on_unlock_connector(self, connector_id: int, **_: Any) -> call_result.UnlockConnector:
        """Unlock (ends a running session first)."""
        if await self.face.refuses("UnlockConnector") or connector_id != 1:
            return call_result.UnlockConnector(status=UnlockStatus.not_supported)
        self.session.unlock_connector()
        return call_result.UnlockConnector(status=UnlockStatus.unlocked)

    @on(Action.change_availability)
    async def on_change_availability(
        self, connector_id: int, type: str, **_: Any
    ) -> call_result.ChangeAvailability:
        """Operative / Inoperative is Charge Enable over OCPP."""
        if await self.face.refuses("ChangeAvailability"):
            return call_result.ChangeAvailability(status=AvailabilityStatus.rejected)
        enable = type == AvailabilityType.operative
        scheduled = not enable and self.session.transaction_active
        self.session.command("charge_enable", enable)
        status = AvailabilityStatus.scheduled if scheduled else AvailabilityStatus.accepted
        return call_result.ChangeAvailability(status=status)

    @on(Action.get_configuration)
    async def on_get_configuration(
        self, key: list[str] | None = None, **_: Any
    ) -> call_result.GetConfiguration:
        """Report configuration keys (all, or the ones asked)."""
        await self.face.fault_delay()
        config = self.face.configuration
        wanted = key or list(config)
        known = [
            dt16.KeyValue(key=k, readonly=config[k][1], value=config[k][0])
            for k in wanted
            if k in config
        ]
        unknown = [k for k in wanted if k not in config]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    async def on_change_configuration(
        self, key: str, value: str, **_: Any
    ) -> call_result.ChangeConfiguration:
        """Change a configuration key the simulator understands."""
        if await self.face.refuses("ChangeConfiguration"):
            return call_result.ChangeConfiguration(status=ConfigurationStatus.rejected)
        status = self.face.set_configuration(key, value)
        return call_result.ChangeConfiguration(status=status)

    @on(Action.reset)
    async def on_reset(self, type: str, **_: Any) -> call_result.Reset:
        """Accept, then reconnect and boot again."""
        if await self.face.refuses("Reset"):
            return call_result.Reset(status=ResetStatus.rejected)
        return call_result.Reset(status=ResetStatus.accepted)

    @after(Action.reset)
    def after_reset(self, type: str, **_: Any) -> None:
        """Stop any session and restart the link."""
        self.session.remote_stop("HardReset" if type == "Hard" else "SoftReset")
        self.face.request_reconnect()

    @on(Action.trigger_message)
    async def on_trigger_message(
        self, requested_message: str, **_: Any
    ) -> call_result.TriggerMessage:
        """Accept the messages the simulator can send on demand."""
        if await self.face.refuses("TriggerMessage"):
            return call_result.TriggerMessage(status=TriggerMessageStatus.rejected)
        if requested_message not in (
            "MeterValues",
            "StatusNotification",
            "Heartbeat",
            "BootNotification",
        ):
            return call_result.TriggerMessage(status=TriggerMessageStatus.not_implemented)
        return call_result.TriggerMessage(status=TriggerMessageStatus.accepted)

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, **_: Any) -> None:
        """Send the triggered message (from a task: never call from inside @on)."""
        face = self.face
        senders = {
            "MeterValues": face.send_meter_values,
            "StatusNotification": face.send_status,
            "Heartbeat": face.heartbeat,
            "BootNotification": face.boot,
        }
        sender = senders.get(requested_message)
        if sender is not None:
            face.spawn(sender(self))

    @on(Action.data_transfer)
    async def on_data_transfer(self, vendor_id: str, **_: Any) -> call_result.DataTransfer:
        """No vendor extensions here."""
        return call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)


class Ocpp16Face(OcppChargePointFace):
    """OCPP 1.6J: boot, status, transactions, authorisation and meter values from the session."""

    subprotocol = "ocpp1.6"

    def __init__(self, *args: Any, voltage_phases: str = "L1-N", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.configuration = default_configuration()
        self.configuration["MeterValueSampleInterval"] = (f"{self.meter_interval_s:g}", False)
        self.voltage_phases = voltage_phases  # "L1-N" (spec) or "L1" (some chargers)
        self.supported_measurands = set(SUPPORTED_MEASURANDS)

    def make_charge_point(self, ws: Any) -> SimChargePoint16:
        """Return the 1.6 ChargePoint for one connection."""
        return SimChargePoint16(self.cp_id, ws, self)

    def set_configuration(self, key: str, value: str) -> ConfigurationStatus:
        """Apply a ChangeConfiguration; unknown keys are NotSupported."""
        entry = self.configuration.get(key)
        if entry is None:
            return ConfigurationStatus.not_supported
        if entry[1]:
            return ConfigurationStatus.rejected
        try:
            if key in ("HeartbeatInterval", "MeterValueSampleInterval"):
                seconds = int(value)
                if seconds < 1:
                    return ConfigurationStatus.rejected
                if key == "HeartbeatInterval":
                    self.heartbeat_s = seconds
                else:
                    self.meter_interval_s = seconds
            elif key == "MeterValuesSampledData":
                wanted = [m.strip() for m in value.split(",") if m.strip()]
                if not wanted or any(m not in self.supported_measurands for m in wanted):
                    return ConfigurationStatus.rejected
            elif key == "UnlockConnectorOnEVSideDisconnect":
                if value.lower() not in ("true", "false"):
                    return ConfigurationStatus.rejected
                self.session.command(
                    "cable_lock" if value.lower() == "false" else "cable_unlock", None
                )
        except ValueError:
            return ConfigurationStatus.rejected
        self.configuration[key] = (value, False)
        return ConfigurationStatus.accepted

    async def boot(self, cp: Any) -> None:
        """Send BootNotification; retry at the interval the central system gives until Accepted."""
        while True:
            reply = await cp.call(
                call.BootNotification(
                    charge_point_model=IDENTITY["model"],
                    charge_point_vendor=IDENTITY["vendor"],
                    charge_point_serial_number=IDENTITY["serial"],
                    firmware_version=IDENTITY["firmware"],
                ),
                suppress=False,
            )
            if reply.status == RegistrationStatus.accepted:
                if reply.interval:
                    self.heartbeat_s = float(reply.interval)
                    self.configuration["HeartbeatInterval"] = (str(reply.interval), False)
                return
            self.on_event(f"boot {reply.status}: retrying in {reply.interval or 10} s")
            await asyncio.sleep(max(float(reply.interval or 10), 1.0))

    async def after_boot(self, cp: Any) -> None:
        """Report the charger (connector 0) and the connector's status."""
        status, error = self.session.ocpp_status()
        charger_status = (
            "Faulted"
            if status == "Faulted"
            else ("Unavailable" if status == "Unavailable" else "Available")
        )
        await cp.call(
            call.StatusNotification(connector_id=0, error_code=error, status=charger_status)
        )
        await self.send_status(cp)

    async def send_status(self, cp: Any) -> None:
        """Send connector 1's status."""
        status, error = self.session.ocpp_status()
        await cp.call(
            call.StatusNotification(
                connector_id=1, error_code=error, status=status, timestamp=utc_now()
            )
        )

    async def heartbeat(self, cp: Any) -> None:
        """Send a Heartbeat."""
        await cp.call(call.Heartbeat())

    def sampled_values(self) -> list[dt16.SampledValue]:
        """Return the configured measurands as 1.6 sampled values (values are strings)."""
        wanted = set(self.configuration["MeterValuesSampledData"][0].split(","))
        return [
            dt16.SampledValue(
                value=f"{x.value:.{x.decimals}f}",
                context="Sample.Periodic",
                measurand=x.measurand,
                phase=x.phase,
                unit=x.unit,
                location=x.location,
            )
            for x in meter_samples(self.session, wanted, self.voltage_phases)
        ]

    async def send_meter_values(self, cp: Any) -> None:
        """Send one MeterValues with every configured measurand."""
        values = self.sampled_values()
        if not values:
            return
        await cp.call(
            call.MeterValues(
                connector_id=1,
                meter_value=[dt16.MeterValue(timestamp=utc_now(), sampled_value=values)],
                transaction_id=self.session.transaction_id
                if self.session.transaction_active
                else None,
            )
        )

    async def on_change(self, cp: Any, change: SessionChange) -> None:
        """Report a session change: status, authorisation, transaction start / stop."""
        s = self.session
        if change.kind == "status":
            await cp.call(
                call.StatusNotification(
                    connector_id=1,
                    error_code=change.data["error_code"],
                    status=change.data["status"],
                    timestamp=utc_now(),
                )
            )
        elif change.kind == "authorize":
            tag = change.data["tag"]
            reply = await cp.call(call.Authorize(id_tag=tag), suppress=False)
            s.authorization_result(tag, reply.id_tag_info["status"] == AuthorizationStatus.accepted)
        elif change.kind == "transaction_started":
            reply = await cp.call(
                call.StartTransaction(
                    connector_id=1,
                    id_tag=change.data["tag"],
                    meter_start=int(change.data["meter_wh"]),
                    timestamp=utc_now(),
                ),
                suppress=False,
            )
            s.transaction_id = int(reply.transaction_id)
            if reply.id_tag_info["status"] != AuthorizationStatus.accepted:
                s.remote_stop("DeAuthorized")
        elif change.kind == "transaction_stopped" and change.data.get("transaction_id") is not None:
            await cp.call(
                call.StopTransaction(
                    meter_stop=int(change.data["meter_wh"]),
                    timestamp=utc_now(),
                    transaction_id=int(change.data["transaction_id"]),
                    reason=change.data["reason"],
                )
            )
            s.transaction_id = None
