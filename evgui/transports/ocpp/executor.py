"""The OCPP route for commands, and the meter setup the console runs when a charger boots.

Seed command -> OCPP call: Charge Enable -> RemoteStartTransaction (or ChangeAvailability, per
profile), Max Current Limit -> SetChargingProfile (purpose, unit, stack level and connector per
profile: chargers differ), Remote Stop -> RemoteStopTransaction with the open transaction id,
Connector Lock UNLOCK -> UnlockConnector, cable_lock / cable_unlock -> ChangeConfiguration of
UnlockConnectorOnEVSideDisconnect, Reset -> Reset, Trigger meter values -> TriggerMessage.
"""

from __future__ import annotations

from typing import Any

from evgui.core.commands import CommandStatus
from evgui.core.dispatcher import Outcome
from evgui.core.events import Level
from evgui.core.points import PointDef
from evgui.transports.ocpp.protocol import CallOutcome
from evgui.transports.ocpp.server import CentralSystem
from evgui.transports.ocpp.station import StationState
from evgui.transports.ocpp.v16 import Calls16
from evgui.transports.ocpp.v201 import Calls201

COMMAND_MESSAGES = {
    "RemoteStartTransaction",
    "SetChargingProfile",
    "RemoteStopTransaction",
    "UnlockConnector",
    "ChangeConfiguration",
    "Reset",
    "TriggerMessage",
}
NOMINAL_V = 230.0
# OCPP 2.0.1 has no Temperature measurand (it lives in the device model).
NOT_IN_201 = {"Temperature"}


def _outcome(result: CallOutcome) -> Outcome:
    return Outcome(
        result.status,
        result.message,
        {"error_code": result.error_code} if result.error_code else None,
    )


class OcppCommandExecutor:
    """Carry catalogue commands to one charge point over OCPP."""

    route = "ocpp"

    def __init__(self, central: CentralSystem, cp_id: str) -> None:
        self.central = central
        self.cp_id = cp_id

    # ------------------------------------------------------------ plumbing

    def _station(self) -> StationState | None:
        return self.central.stations.get(self.cp_id)

    def calls(self) -> type[Calls16] | type[Calls201]:
        """Return the request builders of the charger's OCPP version."""
        station = self._station()
        return Calls201 if station is not None and station.version == "2.0.1" else Calls16

    def supports(self, point: PointDef) -> bool:
        """Return True for command points with an OCPP mapping this route knows."""
        return (
            point.ocpp is not None
            and point.ocpp.message in COMMAND_MESSAGES
            and point.kind.value == "command"
        )

    def ready(self) -> tuple[bool, str]:
        """Return whether the charger is connected now."""
        if self.central.connection(self.cp_id) is None:
            return False, f"{self.cp_id} is not connected over OCPP"
        return True, ""

    async def call(self, payload: Any) -> CallOutcome:
        """Send one call with the configured timeout."""
        cp = self.central.connection(self.cp_id)
        if cp is None:
            return CallOutcome(
                CommandStatus.UNAVAILABLE, f"{self.cp_id} is not connected over OCPP"
            )
        return await cp.send_call(payload, self.central.config.call_timeout_s)

    # ------------------------------------------------------------ commands

    async def execute(self, point: PointDef, value: Any) -> Outcome:
        """Translate the command into its OCPP call(s) and report how it ended."""
        station = self._station()
        assert point.ocpp is not None
        if station is None:
            return Outcome(CommandStatus.UNAVAILABLE, f"{self.cp_id} has never connected")
        message, calls = point.ocpp.message, self.calls()
        if message == "SetChargingProfile":
            return await self._set_limit(station, float(value))
        if message == "RemoteStartTransaction":
            return await self._charge_enable(station, bool(value))
        if message == "RemoteStopTransaction":
            if station.transaction_id is None:
                return Outcome(CommandStatus.REJECTED, "no transaction is running (nothing sent)")
            return _outcome(await self.call(calls.remote_stop(station.transaction_id)))
        if message == "UnlockConnector":
            if value == "LOCK":
                return Outcome(
                    CommandStatus.NOT_SUPPORTED, "OCPP has no request to lock a connector"
                )
            return _outcome(await self.call(calls.unlock()))
        if message == "ChangeConfiguration" and point.ocpp.config_key:
            keep_locked = point.id == "cable_lock"
            key = point.ocpp.config_key
            if calls is Calls201:
                return Outcome(CommandStatus.NOT_SUPPORTED, f"{key} is an OCPP 1.6 setting")
            return _outcome(
                await self.call(calls.set_config(key, "false" if keep_locked else "true"))
            )
        if message == "Reset":
            return _outcome(await self.call(calls.reset(str(value).upper() == "HARD")))
        if message == "TriggerMessage":
            return _outcome(await self.call(calls.trigger("MeterValues")))
        return Outcome(
            CommandStatus.NOT_SUPPORTED, f"{message} is not wired for {point.id}"
        )  # pragma: no cover

    async def _set_limit(self, station: StationState, amps: float) -> Outcome:
        """SetChargingProfile, with this charger's purpose, unit, stack level and connector."""
        s = station.settings
        if s.profile_purpose == "TxProfile" and station.transaction_id is None:
            return Outcome(
                CommandStatus.REJECTED, "a TxProfile needs a running transaction (nothing sent)"
            )
        limit = amps
        if s.rate_unit == "W":
            phases = 3 if station.model.value("voltage_2") else 1
            limit = amps * NOMINAL_V * phases
        payload = self.calls().set_limit(
            limit,
            s.rate_unit,
            purpose=s.profile_purpose,
            stack_level=s.stack_level,
            connector_id=s.profile_connector,
            transaction_id=station.transaction_id,
        )
        return _outcome(await self.call(payload))

    async def _charge_enable(self, station: StationState, enable: bool) -> Outcome:
        """Enable: RemoteStart (Operative first if needed); disable: stop, or Inoperative."""
        calls = self.calls()
        if station.settings.charge_enable == "ChangeAvailability":
            return _outcome(await self._availability(station, enable))
        if not enable:
            if station.transaction_id is not None:
                return _outcome(await self.call(calls.remote_stop(station.transaction_id)))
            return _outcome(await self._availability(station, False))
        if station.inoperative or station.model.value("ocpp_status") == "Unavailable":
            opened = await self._availability(station, True)
            if not opened.status.ok:
                return _outcome(opened)
        return _outcome(await self.call(calls.remote_start(self.central.config.remote_id_tag)))

    async def _availability(self, station: StationState, operative: bool) -> CallOutcome:
        """ChangeAvailability, remembering what the console asked for."""
        result = await self.call(self.calls().availability(operative))
        if result.status.ok:
            station.inoperative = not operative
        return result

    # ---------------------------------------------------------- meter setup

    async def meter_setup(self) -> list[str]:
        """Ask for the measurands the console shows, drop those refused, set the interval, trigger.

        Returns the measurands the charger accepted (kept in the station's capabilities).
        """
        station = self._station()
        if station is None:
            return []
        calls = self.calls()
        wanted = [
            m for m in station.measurands.measurands if calls is Calls16 or m not in NOT_IN_201
        ]
        interval = str(self.central.config.meter_interval_s)
        if calls is Calls201:
            measurand_key, interval_key = (
                "SampledDataCtrlr.TxUpdatedMeasurands",
                "SampledDataCtrlr.TxUpdatedInterval",
            )
        else:
            measurand_key, interval_key = "MeterValuesSampledData", "MeterValueSampleInterval"
            got = await self.call(calls.get_config())
            if got.status.ok and got.reply is not None:
                station.capabilities["configuration"] = {
                    k.get("key"): k.get("value")
                    for k in getattr(got.reply, "configuration_key", None) or []
                }
        accepted = wanted
        if not (await self._set(measurand_key, ",".join(wanted))):
            accepted = [m for m in wanted if await self._set(measurand_key, m)]
            if accepted:
                await self._set(measurand_key, ",".join(accepted))
        station.capabilities["measurands"] = accepted
        await self._set(interval_key, interval)
        await self.call(calls.trigger("MeterValues"))
        dropped = sorted(set(wanted) - set(accepted))
        note = f"; refused: {', '.join(dropped)}" if dropped else ""
        self.central.hub.log(
            station.model.charger_id,
            Level.INFO,
            f"meter setup: {len(accepted)} measurands every {interval} s{note}",
        )
        return accepted

    async def _set(self, key: str, value: str) -> bool:
        """Change one configuration key / variable; return True when accepted."""
        result = await self.call(self.calls().set_config(key, value))
        if not result.status.ok or result.reply is None:
            return False
        reply = result.reply
        results = getattr(reply, "set_variable_result", None)
        if results is not None:  # 2.0.1 answers per variable
            return all(r.get("attribute_status") == "Accepted" for r in results)
        return True
