"""The simulator's OCPP 2.0.1 station against a CSMS written with `ocpp`."""

from __future__ import annotations

import pytest
from ocpp.v201 import call

from tests.helpers import until
from tests.integration.ocpp_cs import BareCsms201


@pytest.fixture
async def csms():
    server = BareCsms201()
    await server.start()
    yield server
    await server.stop()


async def _charging(sim_factory, csms):
    charger = await sim_factory(
        scenario="charge", ocpp_url=csms.url, ocpp_version="2.0.1", cp_id="CS201", speed=20,
        meter_interval_s=0.2,
    )  # fmt: skip
    station = await until(lambda: csms.stations.get("CS201"))
    await until(lambda: any(e["event_type"] == "Started" for e in station.of("TransactionEvent")))
    return charger, station


async def test_boot_status_and_transaction_events_with_meter_values(sim_factory, csms):
    charger, station = await _charging(sim_factory, csms)
    boot = station.of("BootNotification")[0]
    assert boot["charging_station"]["vendor_name"] == "evgui"
    assert {s["connector_status"] for s in station.of("StatusNotification")} >= {
        "Available",
        "Occupied",
    }
    assert station.of("Authorize")[0]["id_token"]["id_token"] == "04A1B2C3D4"
    await until(lambda: any(e["event_type"] == "Updated" for e in station.of("TransactionEvent")))
    events = station.of("TransactionEvent")
    started = next(e for e in events if e["event_type"] == "Started")
    assert started["id_token"]["id_token"] == "04A1B2C3D4"
    updated = [e for e in events if e["event_type"] == "Updated"]
    assert any(e["transaction_info"]["charging_state"] == "Charging" for e in updated)
    sampled = updated[-1]["meter_value"][0]["sampled_value"]
    voltages = [v for v in sampled if v["measurand"] == "Voltage"]
    assert [v["phase"] for v in voltages] == ["L1-N", "L2-N", "L3-N"]
    assert isinstance(voltages[0]["value"], float | int)
    assert charger.session.ocpp_connected


async def test_request_stop_profile_unlock_availability_variables_reset(sim_factory, csms):
    charger, station = await _charging(sim_factory, csms)
    tx_id = charger.ocpp.tx_id
    assert (
        await station.call(call.RequestStopTransaction(transaction_id="nope"))
    ).status == "Rejected"
    profile = {
        "id": 1, "stack_level": 0, "charging_profile_purpose": "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "charging_schedule": [{"id": 1, "charging_rate_unit": "A",
                               "charging_schedule_period": [{"start_period": 0, "limit": 8.0}]}],
    }  # fmt: skip
    reply = await station.call(call.SetChargingProfile(evse_id=1, charging_profile=profile))
    assert reply.status == "Accepted"
    await until(lambda: 0 < max(charger.session.current_a) <= 8.0)
    assert (
        await station.call(call.RequestStopTransaction(transaction_id=tx_id))
    ).status == "Accepted"
    ended = await until(
        lambda: [e for e in station.of("TransactionEvent") if e["event_type"] == "Ended"]
    )
    assert ended[0]["transaction_info"]["stopped_reason"] == "Remote"
    assert (
        await station.call(call.UnlockConnector(evse_id=1, connector_id=1))
    ).status == "Unlocked"
    reply = await station.call(call.ChangeAvailability(operational_status="Inoperative"))
    assert reply.status == "Accepted" and charger.session.charge_enable is False
    got = await station.call(
        call.GetVariables(
            get_variable_data=[
                {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
                {"component": {"name": "Nope"}, "variable": {"name": "Nope"}},
            ]
        )
    )
    statuses = [r["attribute_status"] for r in got.get_variable_result]
    assert statuses == ["Accepted", "UnknownVariable"]
    set_reply = await station.call(
        call.SetVariables(
            set_variable_data=[
                {
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                    "attribute_value": "7",
                },
            ]
        )
    )
    assert set_reply.set_variable_result[0]["attribute_status"] == "Accepted"
    assert charger.ocpp.heartbeat_s == 7
    assert (await station.call(call.Reset(type="OnIdle"))).status == "Accepted"
    await until(lambda: len(csms.stations["CS201"].of("BootNotification")) == 2, timeout=5)
