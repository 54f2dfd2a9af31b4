"""Schema features real chargers need (64-bit, string states, 32-bit bit fields, unit ids...).

Also: sentinels, keep-alives, write-only registers read back elsewhere, shared derived points.
"""

from __future__ import annotations

import copy
import struct

import pytest

from evgui.core.points import ByteOrder, RegType, WordOrder
from evgui.core.reading import Quality
from evgui.devices.loader import ProfileError, get_profile, parse_profile
from evgui.transports.modbus.codec import decode, encode

BASE = {
    "profile": {"id": "t", "vendor": "T", "models": ["m"]},
    "modbus": {"port": 502, "unit_id": 7},
    "points": [],
}


def profile_with(*points, **modbus):
    data = copy.deepcopy(BASE)
    data["points"] = list(points)
    data["modbus"].update(modbus)
    return parse_profile(data, "t.toml")


def measure(pid="p", **mb):
    return {"id": pid, "name": pid, "kind": "measure", "type": "float", "unit": "kWh",
            "period": "10s", "modbus": {"table": "holding", "address": 0, **mb}}  # fmt: skip


def test_float64_and_uint64_low_word_first():
    p = profile_with(measure(type="float64", scale=0.001), measure("q", address=4, type="uint64",
                     word_order="little", scale=0.001))  # fmt: skip
    f64, u64 = p.catalogue["p"], p.catalogue["q"]
    assert f64.modbus.count == 4 and u64.modbus.word_order is WordOrder.LITTLE
    words = list(struct.unpack(">4H", struct.pack(">d", 1234567.5)))
    assert decode(f64, words).value == pytest.approx(1234.5675)
    assert decode(f64, encode(f64, 98765.4321)).value == pytest.approx(98765.4321)
    raw = 0x0000_0001_0000_0002  # 4294967298 Wh
    low_first = [0x0002, 0x0000, 0x0001, 0x0000]
    assert decode(u64, low_first).value == pytest.approx(raw / 1000)
    assert encode(u64, raw / 1000) == low_first


def test_state_sent_as_text_with_iec_letters():
    state = {"id": "iec_state", "name": "S", "kind": "status", "type": "enum", "period": "1s",
             "enum": [{"code": 0, "label": "A", "iec": "A", "iec_alias": ["A1"]},
                      {"code": 1, "label": "C2", "iec": "C2"}],
             "modbus": {"table": "holding", "address": 1201, "type": "string", "count": 5}}  # fmt: skip
    point = profile_with(state).catalogue["iec_state"]
    words = encode(point, "C2")
    assert len(words) == 5 and words[0] == 0x4332  # "C2"
    assert decode(point, words).value == "C2"
    assert decode(point, encode(point, "A")).value == "A"
    bad = decode(point, [0x5A5A, 0, 0, 0, 0])
    assert bad.quality is Quality.BAD and "unknown state 'ZZ'" in bad.reason
    assert point.enum_by_label("A").iec_alias == ("A1",)


def test_bit_fields_on_a_32_bit_value_and_on_a_low_byte():
    keba = get_profile("keba-p30")
    connected, locked = keba.catalogue["cable_connected"], keba.catalogue["cable_locked"]
    assert connected.modbus.bits == (2, 1) and connected.modbus.type is RegType.UINT32
    for state, plugged, is_locked in [
        (0, False, False),
        (3, False, True),
        (5, True, False),
        (7, True, True),
    ]:
        words = [0, state]
        assert decode(connected, words).value is plugged
        assert decode(locked, words).value is is_locked
    both = encode(locked, True, encode(connected, True, [0, 1]))
    assert both == [0, 7]  # bit 0 kept, bits 1 and 2 set
    phoenix = get_profile("phoenix-ev-eth").catalogue["iec_state"]
    assert decode(phoenix, [(0x12 << 8) | ord("C")]).value == "C"


def test_bit_fields_only_in_unsigned_values_that_hold_them():
    with pytest.raises(ProfileError, match="bit fields live in unsigned registers"):
        profile_with(measure(type="int32", bits=[0, 4]))
    with pytest.raises(ProfileError, match="inside the 32-bit value"):
        profile_with(measure(type="uint32", bits=[30, 4]))


def test_per_point_unit_ids():
    alfen = get_profile("alfen-eve")
    assert alfen.catalogue["charger_temperature"].modbus.unit_id == 200
    assert alfen.catalogue["active_power"].modbus.unit_id is None
    with pytest.raises(ProfileError, match=r"outside 0\.\.255"):
        profile_with(measure(type="uint16", unit_id=300))


def test_sentinels_mean_no_value():
    bender = get_profile("bender-cc612").catalogue["active_power"]
    assert bender.modbus.sentinels == (0xFFFFFFFF,)
    decoded = decode(bender, [0xFFFF, 0xFFFF])
    assert decoded.value is None and decoded.quality is Quality.BAD
    assert "0xFFFFFFFF" in decoded.reason
    assert decode(bender, [0, 7200]).value == pytest.approx(7.2)


def test_keepalive_declarations():
    vestel = get_profile("vestel-evc04").modbus
    assert [(k.point_id, k.interval_s) for k in vestel.keepalive] == [("alive", 5.0)]
    keba = get_profile("keba-p30").modbus
    assert keba.keepalive[0].value == 30
    alfen = get_profile("alfen-eve").modbus
    assert (
        alfen.keepalive[0].point_id == "max_current_limit"
        and "safe current" in alfen.keepalive[0].fallback
    )
    with pytest.raises(ProfileError, match="no point 'ghost'"):
        profile_with(measure(type="uint16"), keepalive=[{"point": "ghost", "interval_s": 5}])


def test_write_only_register_read_back_elsewhere():
    abb = get_profile("abb-terra-ac").catalogue["max_current_limit"].modbus
    assert abb.access.value == "w" and abb.verify_with == "current_limit_read"
    with pytest.raises(ProfileError, match="no readable point 'nowhere'"):
        profile_with({"id": "lim", "name": "L", "kind": "command", "type": "float", "unit": "A",
                      "range": [6, 32], "modbus": {"table": "holding", "address": 9, "type": "uint16",
                      "access": "w", "verify_with": "nowhere"}})  # fmt: skip


def test_function_16_only_and_read_strategies():
    assert get_profile("heidelberg-energy-control").modbus.write_multiple is True
    assert get_profile("keba-p30").modbus.read_strategy.value == "per_point"
    assert get_profile("generic-l2").modbus.write_multiple is False


def test_derive_adds_the_shared_derived_points():
    p = profile_with(measure(type="uint16"))
    assert "state" not in p.catalogue
    data = copy.deepcopy(BASE)
    data["profile"]["derive"] = ["state", "cable_state"]
    data["points"] = [measure(type="uint16")]
    derived = parse_profile(data, "t.toml")
    assert derived.catalogue["state"].derived and derived.catalogue["cable_state"].derived
    data["profile"]["derive"] = ["mood"]
    with pytest.raises(ProfileError, match="no shared derived point 'mood'"):
        parse_profile(data, "t.toml")


def test_byte_swapped_strings():
    p = profile_with({"id": "name", "name": "N", "kind": "status", "type": "string", "period": "once",
                      "modbus": {"table": "input", "address": 0, "type": "string", "count": 2,
                                 "byte_order": "little"}})  # fmt: skip
    point = p.catalogue["name"]
    assert point.modbus.byte_order is ByteOrder.LITTLE
    assert decode(point, [0x4241, 0x4443]).value == "ABCD"
