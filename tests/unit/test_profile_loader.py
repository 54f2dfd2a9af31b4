"""The profile loader: the shipped generic profile, and broken profiles named precisely."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from evgui.core.points import PointKind, RegType, Table
from evgui.devices.loader import ProfileError, get_profile, load_profile, parse_profile

SEED_IDS = {
    "measure": [
        "active_power", "output_voltage", "output_current", "energy_delivered", "power_factor",
        "charge_session_duration", "charger_temperature", "frequency", "rfid_read_count",
    ],
    "command": [
        "charge_enable", "max_current_limit", "charge_mode", "connector_lock",
        "load_management_enable", "remote_stop",
    ],
    "status": [
        "charger_status", "connector_status", "session_status", "rfid_auth_status", "fault_code",
        "ocpp_connection", "cable_connected", "ground_fault",
    ],
}  # fmt: skip
JEEDOM_IDS = {
    "connected", "state", "cable_locked", "cable_locked_permanently", "cable_lock",
    "cable_unlock", "cable_state", "power", "voltage_1", "voltage_2", "voltage_3",
    "current_1", "current_2", "current_3",
}  # fmt: skip


@pytest.fixture(scope="module")
def generic():
    return get_profile("generic-l2")


def test_generic_has_every_seed_point_with_its_kind(generic):
    seed = [p for p in generic.points if not p.extension]
    by_kind = {k: [p.id for p in seed if p.kind is PointKind(k)] for k in SEED_IDS}
    assert by_kind == SEED_IDS


def test_generic_names_every_jeedom_logical_id_once(generic):
    names = [p.jeedom for p in generic.points if p.jeedom]
    assert sorted(names) == sorted(JEEDOM_IDS)


@pytest.mark.parametrize(
    ("alias", "point_id"),
    [("power", "active_power"), ("voltage_1", "output_voltage"), ("current_1", "output_current"),
     ("connected", "cable_connected")],
)  # fmt: skip
def test_jeedom_alias_is_the_same_point_not_a_copy(generic, alias, point_id):
    assert generic.catalogue[alias] is generic.catalogue[point_id]


@pytest.mark.parametrize(
    ("point_id", "table", "address", "reg_type", "count"),
    [
        ("active_power", Table.HOLDING, 0, RegType.FLOAT32, 2),  # 40001-40002
        ("output_voltage", Table.HOLDING, 2, RegType.UINT16, 1),  # 40003
        ("output_current", Table.HOLDING, 3, RegType.UINT16, 1),  # 40004
        ("energy_delivered", Table.HOLDING, 4, RegType.FLOAT32, 2),  # 40005-40006
        ("charger_temperature", Table.HOLDING, 6, RegType.INT16, 1),  # 40007
        ("charge_enable", Table.COIL, 0, RegType.BOOL, 1),  # 00001
        ("max_current_limit", Table.HOLDING, 100, RegType.UINT16, 1),  # 40101
        ("charger_status", Table.HOLDING, 200, RegType.UINT16, 1),  # 40201
    ],
)
def test_seed_modbus_addresses_are_kept_exactly(generic, point_id, table, address, reg_type, count):
    mb = generic.catalogue[point_id].modbus
    assert (mb.table, mb.address, mb.type, mb.count) == (table, address, reg_type, count)


def test_seed_bacnet_and_ocpp_mappings(generic):
    cat = generic.catalogue
    assert [cat[p].bacnet for p in ("active_power", "output_voltage", "output_current",
            "energy_delivered", "charger_temperature", "charge_enable", "max_current_limit",
            "charger_status")] == ["AI0", "AI1", "AI2", "AI3", "AI4", "BO0", "AO0", "MSV0"]  # fmt: skip
    assert cat["active_power"].ocpp.measurand == "Power.Active.Import"
    assert cat["energy_delivered"].ocpp.measurand == "Energy.Active.Import.Register"
    assert cat["max_current_limit"].ocpp.message == "SetChargingProfile"
    assert cat["charge_enable"].ocpp.message == "RemoteStartTransaction"
    assert cat["charger_status"].ocpp.message == "StatusNotification"


def test_extension_registers_lie_in_the_documented_range(generic):
    for point in generic.points:
        mb = point.modbus
        if mb is None or point.id in {"active_power", "output_voltage", "output_current",
                                      "energy_delivered", "charger_temperature", "charge_enable",
                                      "max_current_limit", "charger_status"}:  # fmt: skip
            continue
        if mb.table is Table.COIL:
            assert 100 <= mb.address < 200, point.id
        else:
            assert 1000 <= mb.address < 1200, point.id


def test_every_measure_has_unit_range_and_period(generic):
    for point in generic.catalogue.of_kind(PointKind.MEASURE):
        assert point.range is not None, point.id
        assert point.haystack and point.haystack[-1] == "point", point.id
    periods = {p.id: p.period_s for p in generic.points}
    assert periods["active_power"] == 1 and periods["output_voltage"] == 5
    assert periods["energy_delivered"] == 10 and periods["charger_temperature"] == 60
    assert periods["rfid_read_count"] is None  # on event


# ----------------------------------------------------------------- broken profiles

MINIMAL: dict[str, Any] = {
    "profile": {"id": "t", "vendor": "T", "models": ["m"]},
    "modbus": {"port": 502},
    "points": [
        {
            "id": "p", "name": "P", "kind": "measure", "type": "float", "unit": "kW",
            "range": [0, 22], "period": "1s",
            "modbus": {"table": "holding", "address": 0, "type": "float32"},
        },
        {
            "id": "limit", "name": "Limit", "kind": "command", "type": "float", "unit": "A",
            "range": [6, 32], "modbus": {"table": "holding", "address": 100, "type": "uint16"},
        },
    ],
}  # fmt: skip


def _broken(mutate) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    mutate(data)
    return data


def _set(path: str, value: Any):
    def mutate(data: dict[str, Any]) -> None:
        node: Any = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[int(key)] if key.isdigit() else node[key]
        last = keys[-1]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return mutate


_DELETE = object()

BROKEN = [
    ("unknown type", _set("points.0.modbus.type", "float33"), "p", "modbus.type", "unknown value 'float33'"),
    ("float32 over one register", _set("points.0.modbus.count", 1), "p", "modbus.count", "float32 occupies 2"),
    ("overlapping registers", _set("points.1.modbus.address", 1), "limit", "modbus.address", "overlaps point 'p'"),
    ("write range on read-only table", _set("points.1.modbus.table", "input"), "limit", "modbus.table", "read-only"),
    ("enum without values", _set("points.0.type", "enum"), "p", "enum", "needs its values"),
    ("measure without unit", _set("points.0.unit", _DELETE), "p", "unit", "needs a unit"),
    ("bad period", _set("points.0.period", "2s"), "p", "period", "unknown period '2s'"),
    ("range upside down", _set("points.0.range", [22, 0]), "p", "range", "not below"),
    ("unknown field", _set("points.0.colour", "red"), "p", "colour", "unknown field"),
    ("missing id", _set("points.0.id", _DELETE), "#0", "id", "is required"),
    ("address out of range", _set("points.0.modbus.address", 65535), "p", "modbus.address", "outside"),
    ("coil with a register type", _set("points.1.modbus", {"table": "coil", "address": 0, "type": "uint16"}), "limit", "modbus.type", "one bit"),
    ("bad bit field", _set("points.0.modbus", {"table": "holding", "address": 0, "type": "uint16", "bits": [8, 12]}), "p", "modbus.bits", "inside the 16-bit value"),
    ("wrong value type", _set("points.0.range", "0-22"), "p", "range", "expected a list"),
    ("keepalive on a measure", _set("modbus.keepalive", [{"point": "p", "interval_s": 10}]), "p", "modbus.keepalive[0].point", "writable Modbus command"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "mutate", "point", "field", "fragment"), BROKEN, ids=[b[0] for b in BROKEN]
)
def test_broken_profile_names_file_point_and_field(case, mutate, point, field, fragment):
    with pytest.raises(ProfileError) as info:
        parse_profile(_broken(mutate), "broken.toml")
    matches = [i for i in info.value.issues if i.point == point and i.field == field]
    assert matches, f"{case}: got {[str(i) for i in info.value.issues]}"
    assert fragment in matches[0].message
    assert str(matches[0]).startswith("broken.toml: ")


def test_minimal_profile_is_valid():
    profile = parse_profile(copy.deepcopy(MINIMAL), "ok.toml")
    assert [p.id for p in profile.points] == ["p", "limit"]


def test_bit_fields_may_share_a_register_without_overlapping():
    data = copy.deepcopy(MINIMAL)
    data["points"] = [
        {"id": "a", "name": "A", "kind": "status", "type": "int", "period": "1s",
         "modbus": {"table": "holding", "address": 5, "type": "uint16", "bits": [8, 7]}},
        {"id": "b", "name": "B", "kind": "status", "type": "bool", "period": "1s",
         "modbus": {"table": "holding", "address": 5, "type": "uint16", "bits": [0, 1]}},
    ]  # fmt: skip
    profile = parse_profile(data, "bits.toml")
    assert profile.catalogue["a"].modbus.bits == (8, 7)
    data["points"][1]["modbus"]["bits"] = [10, 2]
    with pytest.raises(ProfileError, match="overlaps point 'a'"):
        parse_profile(data, "bits.toml")


def test_toml_syntax_error_is_a_profile_error(tmp_path: Path):
    bad = tmp_path / "syntax.toml"
    bad.write_text("[profile\nid = 'x'\n")
    with pytest.raises(ProfileError) as info:
        load_profile(bad)
    assert info.value.issues[0].file == "syntax.toml"
    assert info.value.issues[0].field == "(syntax)"


def test_every_problem_is_reported_not_just_the_first():
    def mutate(d):
        d["points"][0]["modbus"]["type"] = "nope"
        d["points"][1]["period"] = "7s"

    with pytest.raises(ProfileError) as info:
        parse_profile(_broken(mutate), "two.toml")
    assert {i.point for i in info.value.issues} == {"p", "limit"}


def test_unknown_profile_id_names_the_shipped_ones():
    with pytest.raises(KeyError, match="generic-l2"):
        get_profile("no-such-charger")
