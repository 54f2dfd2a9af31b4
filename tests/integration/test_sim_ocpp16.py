"""The simulator's OCPP 1.6J charge point against a central system written with `ocpp`."""

from __future__ import annotations

import base64

import pytest
from ocpp.v16 import call

from tests.helpers import until
from tests.integration.ocpp_cs import BareCentralSystem


@pytest.fixture
async def central():
    cs = BareCentralSystem()
    await cs.start()
    yield cs
    await cs.stop()


async def _charging(sim_factory, central, **kw):
    charger = await sim_factory(
        scenario="charge", ocpp_url=central.url, cp_id="CP001", speed=20, meter_interval_s=0.2, **kw
    )
    station = await until(lambda: central.stations.get("CP001"))
    await until(lambda: station.of("StartTransaction"), timeout=5)
    return charger, station


async def test_boot_status_authorize_start_and_meter_values(sim_factory, central):
    charger, station = await _charging(sim_factory, central)
    boot = station.of("BootNotification")[0]
    assert (
        boot["charge_point_vendor"] == "evgui" and boot["charge_point_serial_number"] == "SIM-0001"
    )
    assert boot["firmware_version"].startswith("evgui-sim")
    statuses = [(s["connector_id"], s["status"]) for s in station.of("StatusNotification")]
    assert (0, "Available") in statuses and (1, "Preparing") in statuses
    assert station.of("Authorize")[0]["id_tag"] == "04A1B2C3D4"
    assert station.of("StartTransaction")[0]["meter_start"] >= 1_250_000
    await until(
        lambda: (
            (1, "Charging")
            in [(s["connector_id"], s["status"]) for s in station.of("StatusNotification")]
        )
    )
    await until(lambda: any(m.get("transaction_id") == 42 for m in station.of("MeterValues")))
    sampled = [
        (v.get("measurand"), v.get("phase"), v.get("unit"))
        for m in station.of("MeterValues") if m.get("transaction_id") == 42
        for mv in m["meter_value"] for v in mv["sampled_value"]
    ]  # fmt: skip
    for expected in [
        ("Energy.Active.Import.Register", None, "Wh"), ("Power.Active.Import", None, "W"),
        ("Voltage", "L1-N", "V"), ("Voltage", "L2-N", "V"), ("Voltage", "L3-N", "V"),
        ("Current.Import", "L1", "A"), ("Current.Import", "L3", "A"), ("Current.Offered", None, "A"),
        ("Temperature", None, "Celsius"), ("Frequency", None, None), ("Power.Factor", None, None),
    ]:  # fmt: skip
        assert expected in sampled, expected
    assert charger.session.ocpp_connected


async def test_remote_stop_with_the_transaction_id(sim_factory, central):
    charger, station = await _charging(sim_factory, central)
    await until(lambda: charger.session.transaction_id == 42)
    wrong = await station.call(call.RemoteStopTransaction(transaction_id=7))
    assert wrong.status == "Rejected"
    right = await station.call(call.RemoteStopTransaction(transaction_id=42))
    assert right.status == "Accepted"
    stop = await until(lambda: station.of("StopTransaction"))
    assert stop[0]["transaction_id"] == 42 and stop[0]["reason"] == "Remote"


async def test_charging_profile_limits_the_current_and_clearing_lifts_it(sim_factory, central):
    charger, station = await _charging(sim_factory, central)
    profile = {
        "chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {"chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}]},
    }  # fmt: skip
    reply = await station.call(
        call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
    )
    assert reply.status == "Accepted"
    await until(lambda: 0 < max(charger.session.current_a) <= 10.0)
    cleared = await station.call(call.ClearChargingProfile())
    assert cleared.status == "Accepted"
    await until(lambda: max(charger.session.current_a) > 30)


async def test_unlock_availability_configuration(sim_factory, central):
    charger, station = await _charging(sim_factory, central)
    assert (await station.call(call.UnlockConnector(connector_id=1))).status == "Unlocked"
    assert not charger.session.transaction_active
    assert (
        await station.call(call.ChangeAvailability(connector_id=0, type="Inoperative"))
    ).status == "Accepted"
    assert charger.session.charge_enable is False
    assert (
        await station.call(call.ChangeAvailability(connector_id=0, type="Operative"))
    ).status == "Accepted"
    assert charger.session.charge_enable is True
    got = await station.call(call.GetConfiguration(key=["MeterValueSampleInterval", "Nope"]))
    assert got.configuration_key[0]["key"] == "MeterValueSampleInterval"
    assert got.unknown_key == ["Nope"]
    ok = await station.call(
        call.ChangeConfiguration(key="MeterValuesSampledData", value="Power.Active.Import,Voltage")
    )
    assert ok.status == "Accepted"
    bad = await station.call(call.ChangeConfiguration(key="MeterValuesSampledData", value="RPM"))
    assert bad.status == "Rejected"
    unknown = await station.call(call.ChangeConfiguration(key="NoSuchKey", value="1"))
    assert unknown.status == "NotSupported"
    assert (
        await station.call(call.ChangeConfiguration(key="HeartbeatInterval", value="5"))
    ).status == "Accepted"
    assert charger.ocpp.heartbeat_s == 5
    lock = await station.call(
        call.ChangeConfiguration(key="UnlockConnectorOnEVSideDisconnect", value="false")
    )
    assert lock.status == "Accepted" and charger.session.permanent_lock is True
    count = len(station.of("MeterValues"))
    await until(lambda: len(station.of("MeterValues")) > count + 1)
    last = station.of("MeterValues")[-1]["meter_value"][0]["sampled_value"]
    assert {v["measurand"] for v in last} == {"Power.Active.Import", "Voltage"}


async def test_trigger_message_and_reset_reboots(sim_factory, central):
    charger, station = await _charging(sim_factory, central)
    charger.ocpp.meter_interval_s = 3600
    before = len(station.of("MeterValues"))
    reply = await station.call(call.TriggerMessage(requested_message="MeterValues", connector_id=1))
    assert reply.status == "Accepted"
    await until(lambda: len(station.of("MeterValues")) > before)
    assert (await station.call(call.Reset(type="Soft"))).status == "Accepted"
    await until(lambda: len(central.stations["CP001"].of("BootNotification")) == 2, timeout=5)
    assert charger.ocpp.boots == 2


async def test_reconnects_with_backoff_when_the_central_system_returns(sim_factory, central):
    charger, _ = await _charging(sim_factory, central)
    port = central.port
    await central.stop()
    await until(lambda: not charger.session.ocpp_connected)
    await central.start(port)
    await until(lambda: charger.ocpp.boots == 2, timeout=10)
    assert charger.session.ocpp_connected


async def test_basic_auth_password_and_rejected_calls(sim_factory, central):
    charger = await sim_factory(
        ocpp_url=central.url, cp_id="CP9", password="s3cret", scenario="idle"
    )
    charger.faults.ocpp.reject.add("RemoteStartTransaction")
    station = await until(lambda: central.stations.get("CP9"))
    await until(lambda: station.of("BootNotification"))
    header = dict((k.lower(), v) for k, v in central.connects[0][1].items())["authorization"]
    assert base64.b64decode(header.split()[1]) == b"CP9:s3cret"
    reply = await station.call(call.RemoteStartTransaction(id_tag="X"))
    assert reply.status == "Rejected"
    charger.faults.ocpp.reject.clear()
    charger.session.plug()
    reply = await station.call(call.RemoteStartTransaction(id_tag="X"))
    assert reply.status == "Accepted"
    await until(lambda: station.of("StartTransaction"))


async def test_rejected_tag_does_not_start(sim_factory, central):
    charger = await sim_factory(ocpp_url=central.url, cp_id="CP2", scenario="idle")
    station = await until(lambda: central.stations.get("CP2"))
    await until(lambda: charger.session.ocpp_connected)
    charger.session.plug()
    charger.session.present_tag("DEADBEEF")
    await until(lambda: station.of("Authorize"))
    await until(lambda: charger.session.auth_status == "FAILED")
    assert not charger.session.transaction_active and charger.session.rfid_read_count == 1
