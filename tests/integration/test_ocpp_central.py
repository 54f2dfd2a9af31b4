"""The console's OCPP central system against the simulator's 1.6J and 2.0.1 charge points."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from ocpp.v16 import call as call16

from evgui.core.commands import Command, CommandStatus
from evgui.core.events import IdentityEvent, LinkState, TrafficEvent
from evgui.core.reading import Quality, Source
from tests.helpers import until


async def _charging(central_factory, sim_factory, version="1.6", **cs):
    service = await central_factory(**{"meter_interval_s": 1, **cs})
    charger = await sim_factory(modbus_host=None, scenario="charge", ocpp_url=service.url,
                                ocpp_version=version, cp_id="CP001", speed=20, meter_interval_s=0.2)  # fmt: skip
    model = await until(lambda: service.registry.models.get("CP001"))
    await until(lambda: model.latest("state") and model.latest("state").raw == 3, timeout=8)
    return service, charger, model


async def test_readings_identity_and_state_from_a_16_charger(central_factory, sim_factory):
    service, charger, model = await _charging(central_factory, sim_factory)
    assert model.identity["vendor"] == "evgui" and model.identity["serial"] == "SIM-0001"
    assert model.link_state("ocpp")[0] is LinkState.ONLINE
    await until(lambda: model.value("voltage_3") and (model.value("current_3") or 0) > 30)
    for pid in ("active_power", "output_voltage", "voltage_2", "voltage_3", "output_current",
                "current_2", "current_3", "charger_temperature", "frequency", "power_factor"):  # fmt: skip
        reading = model.latest(pid)
        assert reading.source is Source.OCPP and reading.quality is Quality.GOOD, pid
    assert model.value("active_power") == pytest.approx(charger.session.power_kw(), rel=0.1)
    assert 220 < model.value("output_voltage") < 240
    assert model.value("ocpp_status") == "Charging" and model.value("session_status") == "CHARGING"
    await until(lambda: model.value("energy_delivered") and model.value("energy_delivered") > 0)
    assert model.value("energy_delivered") < 5  # session energy, not the 1250 kWh register
    assert model.value("rfid_read_count") == 1 and model.value("rfid_auth_status") == "SUCCESS"
    assert any(isinstance(e, IdentityEvent) for e in service.events)


async def test_meter_setup_configures_and_drops_refused_measurands(central_factory, sim_factory):
    service = await central_factory(meter_interval_s=7)
    charger = await sim_factory(
        modbus_host=None, scenario="idle", ocpp_url=service.url, cp_id="CP9"
    )
    charger.ocpp.supported_measurands.discard("Power.Factor")
    await until(
        lambda: (
            "measurands"
            in service.central.stations.get("CP9", type("x", (), {"capabilities": {}})).capabilities
        ),
        timeout=8,
    )
    station = service.central.stations["CP9"]
    accepted = station.capabilities["measurands"]
    assert "Power.Factor" not in accepted and "Voltage" in accepted and "Temperature" in accepted
    assert charger.ocpp.configuration["MeterValueSampleInterval"][0] == "7"
    assert set(charger.ocpp.configuration["MeterValuesSampledData"][0].split(",")) == set(accepted)
    assert station.capabilities["configuration"]["NumberOfConnectors"] == "1"
    logs = await until(
        lambda: [e.text for e in service.events if getattr(e, "text", "").startswith("meter setup")]
    )
    assert "refused: Power.Factor" in logs[0]


async def test_commands_reach_the_charger_and_come_back(central_factory, sim_factory):
    service, charger, model = await _charging(central_factory, sim_factory)
    submit = service.dispatcher.submit
    limit = await submit(Command("CP001", "max_current_limit", 10, via="ocpp"))
    assert limit.status is CommandStatus.ACCEPTED, limit.message
    await until(lambda: 0 < max(charger.session.current_a) <= 10.0)
    await until(
        lambda: model.value("output_current") is not None and model.value("output_current") <= 10.5
    )
    unlock_lock = await submit(Command("CP001", "connector_lock", "LOCK", via="ocpp"))
    assert unlock_lock.status is CommandStatus.NOT_SUPPORTED
    lock = await submit(Command("CP001", "cable_lock", via="ocpp"))
    assert lock.status is CommandStatus.ACCEPTED and charger.session.permanent_lock
    trigger = await submit(Command("CP001", "trigger_meter_values", via="ocpp"))
    assert trigger.status is CommandStatus.ACCEPTED
    stop = await submit(Command("CP001", "remote_stop", via="ocpp"))
    assert stop.status is CommandStatus.ACCEPTED, stop.message
    await until(lambda: not charger.session.transaction_active)
    await until(lambda: service.central.stations["CP001"].transaction_id is None)
    again = await submit(Command("CP001", "remote_stop", via="ocpp"))
    assert again.status is CommandStatus.REJECTED and "nothing sent" in again.message
    unlock = await submit(Command("CP001", "connector_lock", "UNLOCK", via="ocpp"))
    assert unlock.status is CommandStatus.ACCEPTED
    disable = await submit(Command("CP001", "charge_enable", False, via="ocpp"))
    assert disable.status is CommandStatus.ACCEPTED and charger.session.charge_enable is False
    charger.session.plug()
    enable = await submit(Command("CP001", "charge_enable", True, via="ocpp"))
    assert enable.status is CommandStatus.ACCEPTED, enable.message
    await until(lambda: charger.session.transaction_active)
    reset = await submit(Command("CP001", "reset", "SOFT", via="ocpp"))
    assert reset.status is CommandStatus.ACCEPTED
    await until(lambda: charger.ocpp.boots == 2, timeout=8)


async def test_per_charger_profile_settings_tx_profile_in_watts(central_factory, sim_factory):
    service, charger, _model = await _charging(central_factory, sim_factory)
    station = service.central.stations["CP001"]
    station.settings = dataclasses.replace(station.settings, profile_purpose="TxProfile", rate_unit="W",
                                           stack_level=2, profile_connector=1, charge_enable="ChangeAvailability")  # fmt: skip
    await until(lambda: station.transaction_id is not None)
    result = await service.dispatcher.submit(Command("CP001", "max_current_limit", 8, via="ocpp"))
    assert result.status is CommandStatus.ACCEPTED, result.message
    assert charger.session.ocpp_limit_a == pytest.approx(8.0, abs=0.01)  # 5520 W back to 8 A
    sent = [
        e
        for e in service.events
        if isinstance(e, TrafficEvent) and e.action == "SetChargingProfile" and e.direction == "tx"
    ]
    profile = sent[-1].payload["csChargingProfiles"]
    assert profile["chargingProfilePurpose"] == "TxProfile" and profile["stackLevel"] == 2
    assert (
        profile["chargingSchedule"]["chargingRateUnit"] == "W"
        and profile["transactionId"] == station.transaction_id
    )
    assert sent[-1].payload["connectorId"] == 1
    off = await service.dispatcher.submit(Command("CP001", "charge_enable", False, via="ocpp"))
    assert off.status is CommandStatus.ACCEPTED and charger.session.charge_enable is False


async def test_timeouts_rejections_and_not_supported(central_factory, sim_factory):
    service, charger, _model = await _charging(central_factory, sim_factory, call_timeout_s=0.5)
    charger.faults.ocpp.reject.add("RemoteStopTransaction")
    rejected = await service.dispatcher.submit(Command("CP001", "remote_stop", via="ocpp"))
    assert rejected.status is CommandStatus.REJECTED and "Rejected" in rejected.message
    charger.faults.ocpp.reject.clear()
    charger.faults.ocpp.delay_ms = 2000
    slow = await service.dispatcher.submit(Command("CP001", "trigger_meter_values", via="ocpp"))
    assert slow.status is CommandStatus.TIMEOUT and "0.5 s" in slow.message
    charger.faults.ocpp.delay_ms = 0
    await asyncio.sleep(2.0)  # the charger answers one call at a time: let the slow one finish
    executor = service.executor("CP001")
    cache = await executor.call(call16.ClearCache())  # the simulator has no ClearCache handler
    assert cache.status is CommandStatus.NOT_SUPPORTED and cache.error_code in (
        "NotSupported",
        "NotImplemented",
    )
    get = await executor.call(call16.GetConfiguration(key=["HeartbeatInterval"]))
    assert get.status is CommandStatus.ACCEPTED


async def test_frame_log_has_every_frame_with_round_trips(central_factory, sim_factory):
    service, _charger, _model = await _charging(central_factory, sim_factory)
    frames = [e for e in service.events if isinstance(e, TrafficEvent)]
    actions = {(f.direction, f.action) for f in frames}
    assert {("rx", "BootNotification"), ("tx", "BootNotification"), ("rx", "MeterValues"),
            ("tx", "GetConfiguration"), ("rx", "GetConfiguration")} <= actions  # fmt: skip
    answered = [f for f in frames if f.direction == "rx" and f.action == "GetConfiguration"]
    assert answered[0].rtt_ms is not None and answered[0].rtt_ms >= 0
    replies = [f for f in frames if f.direction == "tx" and f.action == "MeterValues"]
    assert replies and replies[0].rtt_ms is not None


async def test_several_charge_points_and_reconnect_replaces(central_factory, sim_factory):
    service = await central_factory()
    chargers = [await sim_factory(modbus_host=None, scenario="idle", ocpp_url=service.url, cp_id=f"CP{n}")
                for n in range(3)]  # fmt: skip
    await until(lambda: len(service.central.sessions) == 3)
    first = service.central.sessions["CP0"].ws
    await chargers[0].ocpp.drop_connection()
    await until(
        lambda: (
            "CP0" in service.central.sessions and service.central.sessions["CP0"].ws is not first
        ),
        timeout=8,
    )
    assert service.registry.models["CP0"].link_state("ocpp")[0] is LinkState.ONLINE


async def test_2_0_1_station(central_factory, sim_factory):
    service, charger, model = await _charging(central_factory, sim_factory, version="2.0.1")
    station = service.central.stations["CP001"]
    assert station.version == "2.0.1" and model.identity["protocol"] == "OCPP 2.0.1"
    await until(
        lambda: model.value("voltage_2") and model.value("energy_delivered") is not None, timeout=8
    )
    assert model.latest("active_power").source is Source.OCPP
    assert isinstance(station.transaction_id, str)
    await until(lambda: "measurands" in station.capabilities, timeout=8)
    assert "Temperature" not in station.capabilities["measurands"]
    submit = service.dispatcher.submit
    limit = await submit(Command("CP001", "max_current_limit", 9, via="ocpp"))
    assert limit.status is CommandStatus.ACCEPTED, limit.message
    await until(lambda: 0 < max(charger.session.current_a) <= 9.0)
    stop = await submit(Command("CP001", "remote_stop", via="ocpp"))
    assert stop.status is CommandStatus.ACCEPTED, stop.message
    await until(lambda: station.transaction_id is None)
    assert (
        await submit(Command("CP001", "connector_lock", "UNLOCK", via="ocpp"))
    ).status is CommandStatus.ACCEPTED
    assert (
        await submit(Command("CP001", "charge_enable", False, via="ocpp"))
    ).status is CommandStatus.ACCEPTED
    assert charger.session.charge_enable is False
    reset = await submit(Command("CP001", "reset", "SOFT", via="ocpp"))
    assert reset.status is CommandStatus.ACCEPTED
    await until(lambda: charger.ocpp.boots == 2, timeout=8)
