"""The central system against npm's ocpp-rpc, an OCPP implementation sharing no code with `ocpp`.

ocpp-rpc runs in strict mode: it validates every call we send against its own schema copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest

from evgui.core.commands import Command, CommandStatus
from evgui.core.reading import Quality
from tests.helpers import need_tool, until

PEERS = Path(__file__).parents[1] / "peers"


class RpcCharger:
    """The node process and the JSON lines it printed."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[dict] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            self.lines.append(json.loads(line))

    def received(self, method: str) -> list[dict]:
        return [line["params"] for line in self.lines if line.get("received") == method]

    def event(self, name: str) -> dict | None:
        return next((line for line in self.lines if line.get("event") == name), None)

    async def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.terminate()
        await self.proc.wait()
        await self.reader


@pytest.fixture
async def rpc_charger(teardown):
    node = need_tool("node")
    if not (PEERS / "node_modules" / "ocpp-rpc").is_dir():
        pytest.fail("npm's ocpp-rpc is not installed: run `npm ci` in tests/peers (.ci/run does)")

    async def start(url: str, identity: str, password: str | None = None) -> RpcCharger:
        args = [node, str(PEERS / "ocpp_rpc_charger.js"), url, identity] + (
            [password] if password else []
        )
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, cwd=PEERS
        )
        charger = RpcCharger(proc)
        teardown(charger.stop)
        return charger

    return start


async def test_an_independent_charger_boots_reports_and_obeys(central_factory, rpc_charger):
    service = await central_factory(password="rpc-pw", meter_interval_s=30)
    charger = await rpc_charger(service.url, "RPC1", "rpc-pw")
    await until(lambda: charger.event("ready") or charger.event("error"), timeout=15)
    assert charger.event("error") is None, charger.event("error")
    assert (
        charger.event("boot")["status"] == "Accepted" and charger.event("boot")["interval"] == 300
    )
    model = service.registry.models["RPC1"]
    assert model.identity == {"vendor": "RPC-Vendor", "model": "RPC-Model", "serial": "RPC-42",
                              "firmware": "1.2.3", "protocol": "OCPP 1.6J"}  # fmt: skip
    await until(lambda: model.value("charger_temperature") is not None)
    assert model.value("output_voltage") == 231.4  # "L1" for "L1-N"
    assert model.value("voltage_3") == 230.2
    assert model.value("active_power") == 7.2  # " 7.2 " kW
    assert model.value("energy_delivered") == pytest.approx(0.5)  # 10.5 kWh - meterStart 10000 Wh
    assert model.value("charger_temperature") == 41.5  # "Celcius"
    assert model.value("current_2") == 10.5
    assert model.latest("state").raw == 3 and model.latest("active_power").quality is Quality.GOOD

    # meter setup: GetConfiguration, refused Power.Factor dropped, interval, trigger
    await until(lambda: charger.received("TriggerMessage"), timeout=10)
    sampled = [
        c["value"]
        for c in charger.received("ChangeConfiguration")
        if c["key"] == "MeterValuesSampledData"
    ]
    assert "Power.Factor" in sampled[0] and "Power.Factor" not in sampled[-1]
    assert {"key": "MeterValueSampleInterval", "value": "30"} in charger.received(
        "ChangeConfiguration"
    )
    assert charger.received("GetConfiguration")

    submit = service.dispatcher.submit
    limit = await submit(Command("RPC1", "max_current_limit", 16, via="ocpp"))
    assert limit.status is CommandStatus.ACCEPTED, limit.message
    profile = charger.received("SetChargingProfile")[-1]
    assert profile["connectorId"] == 0
    schedule = profile["csChargingProfiles"]["chargingSchedule"]
    assert (
        schedule["chargingRateUnit"] == "A" and schedule["chargingSchedulePeriod"][0]["limit"] == 16
    )
    for point, value, method in [
        ("connector_lock", "UNLOCK", "UnlockConnector"),
        ("cable_unlock", None, "ChangeConfiguration"),
        ("trigger_meter_values", None, "TriggerMessage"),
        ("reset", "HARD", "Reset"),
    ]:
        result = await submit(Command("RPC1", point, value, via="ocpp"))
        assert result.status is CommandStatus.ACCEPTED, (point, result.message)
        assert charger.received(method), method
    assert charger.received("Reset")[-1] == {"type": "Hard"}
    stop = await submit(Command("RPC1", "remote_stop", via="ocpp"))
    assert stop.status is CommandStatus.ACCEPTED, stop.message
    assert (
        charger.received("RemoteStopTransaction")[-1]["transactionId"]
        == charger.event("ready")["transactionId"]
    )
    await until(lambda: model.value("session_status") == "COMPLETE")
    assert model.value("energy_delivered") == pytest.approx(
        1.0
    )  # meterStop 11000 - meterStart 10000
    await until(lambda: model.value("ocpp_status") == "Finishing")
    assert model.latest("state").raw == 4
    start = await submit(Command("RPC1", "charge_enable", True, via="ocpp"))
    assert start.status is CommandStatus.ACCEPTED, start.message
    assert charger.received("RemoteStartTransaction")[-1]["idTag"] == "EVGUI"
    assert charger.event("strictValidationFailure") is None


async def test_independent_charger_with_a_wrong_password_is_refused(central_factory, rpc_charger):
    service = await central_factory(password="right")
    charger = await rpc_charger(service.url, "RPC2", "wrong")
    await until(lambda: charger.event("error"), timeout=15)
    assert (
        "401" in charger.event("error")["error"]
        or "Unauthorized" in charger.event("error")["error"]
    )
    assert service.central.refusals.entries[-1].reason == "wrong password"
