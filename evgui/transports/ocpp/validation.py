"""Schema validation of incoming OCPP calls: compiled validators on the happy path.

The ocpp library checks each payload with jsonschema's Draft4Validator: about 0.5 ms for a
MeterValues with 11 sampled values, 9 % of the console's CPU with 200 chargers reporting every
second (bench/site_load.py). The same schemas compiled by fastjsonschema accept a valid payload
in a few microseconds. Whatever they refuse is checked again by the library, so a bad payload
gets the library's own verdict, OCPP error code and message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import fastjsonschema
from ocpp.messages import Call, get_validator
from ocpp.messages import _validate_payload as library_validate  # ocpp pinned to 2.1.x

# The library parses floats of these 1.6 calls as Decimal before validating (multipleOf 0.1):
# left to the library.
DECIMAL_ACTIONS = frozenset({"SetChargingProfile", "RemoteStartTransaction"})
_compiled: dict[tuple[str, str], Callable[[Any], Any] | None] = {}


def validate_call(msg: Call, ocpp_version: str) -> None:
    """Raise the library's OCPPError for an invalid call payload; return when it is valid."""
    key = (msg.action, ocpp_version)
    if key not in _compiled:
        _compiled[key] = _compile(msg, ocpp_version)
    check = _compiled[key]
    if check is not None:
        try:
            check(msg.payload)
            return
        except fastjsonschema.JsonSchemaException:
            pass  # the library decides, and words the error
    library_validate(msg, ocpp_version)


def _compile(msg: Call, ocpp_version: str) -> Callable[[Any], Any] | None:
    """Return a compiled validator for a call's schema, or None to use the library's."""
    if ocpp_version == "1.6" and msg.action in DECIMAL_ACTIONS:
        return None
    try:
        schema = get_validator(msg.message_type_id, msg.action, ocpp_version).schema
    except (OSError, ValueError, json.JSONDecodeError):
        return None  # unknown action or version: the library raises the right error
    try:
        compiled: Callable[[Any], Any] = fastjsonschema.compile(schema)
    except fastjsonschema.JsonSchemaDefinitionException:
        return None
    return compiled
