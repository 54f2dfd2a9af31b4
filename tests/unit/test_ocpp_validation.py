"""Compiled schema validation gives the library's verdict on every payload."""

from __future__ import annotations

import pytest
from ocpp.exceptions import OCPPError
from ocpp.messages import Call
from ocpp.messages import _validate_payload as library_validate

from evgui.transports.ocpp.validation import validate_call

SAMPLE = {"value": "7360.1", "measurand": "Power.Active.Import", "unit": "W"}
CASES = [  # (version, action, payload)
    ("1.6", "MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": "2026-11-21T10:00:00Z", "sampledValue": [SAMPLE]}]}),
    ("1.6", "MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": "2026-11-21 10:00", "sampledValue": [SAMPLE]}]}),  # format: not checked
    ("1.6", "MeterValues", {"connectorId": "1", "meterValue": []}),  # wrong type
    ("1.6", "MeterValues", {"meterValue": []}),  # required missing
    ("1.6", "MeterValues", {"connectorId": 1, "meterValue": [], "extra": 1}),  # additional
    ("1.6", "MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": "2026-11-21T10:00:00Z", "sampledValue": [{**SAMPLE, "unit": "Watts"}]}]}),
    ("1.6", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
    ("1.6", "BootNotification", {"chargePointVendor": "V" * 21, "chargePointModel": "M"}),
    ("1.6", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Nope"}),
    ("1.6", "Heartbeat", {}),
    ("2.0.1", "Heartbeat", {}),
    ("2.0.1", "StatusNotification", {"timestamp": "2026-11-21T10:00:00Z",
                                     "connectorStatus": "Occupied", "evseId": 1,
                                     "connectorId": 1}),
    ("2.0.1", "StatusNotification", {"connectorStatus": "Occupied", "evseId": 1}),
]  # fmt: skip


def verdict(check, version, action, payload):
    """Return None when valid, else (error class, code)."""
    try:
        check(Call("1", action, payload), version)
    except OCPPError as exc:
        return type(exc).__name__, exc.code
    return None


@pytest.mark.parametrize(("version", "action", "payload"), CASES)
def test_compiled_validation_agrees_with_the_library(version, action, payload):
    assert verdict(validate_call, version, action, payload) == verdict(
        library_validate, version, action, payload
    )


def test_the_cases_cover_both_verdicts():
    outcomes = {verdict(library_validate, *case) is None for case in CASES}
    assert outcomes == {True, False}
