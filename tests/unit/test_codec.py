"""Modbus codec: types, word and byte order, scale/offset, enums, bit fields, sentinels, strings."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evgui.core.points import (
    Access,
    ByteOrder,
    EnumValue,
    ModbusMap,
    PointDef,
    PointKind,
    RegType,
    Table,
    ValueType,
    WordOrder,
)  # fmt: skip
from evgui.core.reading import Quality
from evgui.transports.modbus.codec import EncodeError, decode, encode


def point(reg_type=RegType.UINT16, vt=ValueType.FLOAT, *, table=Table.HOLDING, count=None,
          word_order=WordOrder.BIG, byte_order=ByteOrder.BIG, scale=1.0, offset=0.0, bits=None,
          sentinels=(), enum=()) -> PointDef:  # fmt: skip
    mb = ModbusMap(
        table=table, address=0, type=reg_type, count=count or reg_type.words or 1,
        access=Access.READ, word_order=word_order, byte_order=byte_order, scale=scale,
        offset=offset, bits=bits, sentinels=tuple(sentinels),
    )  # fmt: skip
    return PointDef("p", "P", PointKind.MEASURE, vt, "u", modbus=mb, enum=tuple(enum))


@pytest.mark.parametrize(
    ("p", "words", "value"),
    [
        (point(RegType.UINT16, scale=0.1), [2301], 230.1),
        (point(RegType.INT16, scale=0.1), [0xFF9C], -10.0),
        (point(RegType.UINT32, ValueType.INT), [0x0001, 0x0002], 65538),
        (
            point(RegType.UINT32, ValueType.INT, word_order=WordOrder.LITTLE),
            [0x0002, 0x0001],
            65538,
        ),
        (point(RegType.INT32, ValueType.INT), [0xFFFF, 0xFFFE], -2),
        (point(RegType.FLOAT32), [0x40D9, 0x999A], 6.8),  # 6.8 high word first (ABCD)
        (point(RegType.FLOAT32, word_order=WordOrder.LITTLE), [0x999A, 0x40D9], 6.8),  # CDAB
        (point(RegType.FLOAT32, byte_order=ByteOrder.LITTLE), [0xD940, 0x9A99], 6.8),  # BADC
        (point(RegType.UINT16, scale=1.0, offset=-40.0), [65], 25.0),
        (point(RegType.UINT16, scale=0.001), [987], 0.987),
    ],
)
def test_decode_numbers(p, words, value):
    decoded = decode(p, words)
    assert decoded.quality is Quality.GOOD
    assert decoded.value == pytest.approx(value, abs=1e-6)


def test_float32_from_the_seed_map_reads_as_mbpoll_prints_it():
    assert decode(point(RegType.FLOAT32), [16814, 54107]).value == pytest.approx(21.8532, abs=1e-4)


def test_enum_labels_and_unknown_codes():
    p = point(RegType.UINT16, ValueType.ENUM, enum=[EnumValue(0, "IDLE"), EnumValue(1, "CHARGING")])
    assert decode(p, [1]).value == "CHARGING"
    bad = decode(p, [7])
    assert bad.quality is Quality.BAD and "unknown code 7" in bad.reason
    assert encode(p, "charging") == [1]
    with pytest.raises(EncodeError, match="not one of IDLE / CHARGING"):
        encode(p, "FLYING")


def test_bit_field_state_in_bits_8_to_14():
    p = point(RegType.UINT16, ValueType.INT, bits=(8, 7))
    word = (0x55 << 8) | 0x3C
    assert decode(p, [word]).value == 0x55
    assert encode(p, 0x12, [word]) == [(0x12 << 8) | 0x3C]  # other bits kept
    with pytest.raises(EncodeError, match="does not fit 7 bits"):
        encode(p, 200, [0])


@pytest.mark.parametrize(
    ("p", "words", "reason"),
    [
        (point(RegType.UINT16, sentinels=[0xFFFF]), [0xFFFF], "no value (0xFFFF)"),
        (point(RegType.INT32, ValueType.INT, sentinels=[-1]), [0xFFFF, 0xFFFF], "no value"),
        (point(RegType.FLOAT32), [0x7FC0, 0x0000], "no value (nan)"),
        (point(RegType.UINT16), [1, 2], "expected 1 registers, got 2"),
    ],
)
def test_no_value_sentinels_and_garbage_are_bad_quality(p, words, reason):
    decoded = decode(p, words)
    assert decoded.value is None
    assert decoded.quality is Quality.BAD
    assert reason in decoded.reason


def test_strings_and_bools():
    s = point(RegType.STRING, ValueType.STRING, count=4)
    assert encode(s, "GF01") == [0x4746, 0x3031, 0, 0]
    assert decode(s, [0x4746, 0x3031, 0, 0]).value == "GF01"
    with pytest.raises(EncodeError, match="longer than 8 bytes"):
        encode(s, "WAY-TOO-LONG")
    coil = point(RegType.BOOL, ValueType.BOOL, table=Table.COIL)
    assert decode(coil, [1]).value is True
    assert encode(coil, False) == [0]
    reg_bool = point(RegType.BOOL, ValueType.BOOL)
    assert decode(reg_bool, [2]).value is True


@pytest.mark.parametrize(
    ("p", "value", "message"),
    [
        (point(RegType.UINT16), -1, "outside uint16"),
        (point(RegType.UINT16, scale=0.1), 7000, "outside uint16"),
        (point(RegType.INT16), 40000, "outside int16"),
        (point(RegType.UINT16), "abc", "not a number"),
    ],
)
def test_encode_refuses_values_that_do_not_fit(p, value, message):
    with pytest.raises(EncodeError, match=message):
        encode(p, value)


INT_TYPES = {RegType.UINT16: (0, 0xFFFF), RegType.INT16: (-0x8000, 0x7FFF),
             RegType.UINT32: (0, 0xFFFFFFFF), RegType.INT32: (-0x80000000, 0x7FFFFFFF)}  # fmt: skip


@given(
    reg_type=st.sampled_from(list(INT_TYPES)),
    word_order=st.sampled_from(list(WordOrder)),
    byte_order=st.sampled_from(list(ByteOrder)),
    data=st.data(),
)
def test_integer_round_trip(reg_type, word_order, byte_order, data):
    low, high = INT_TYPES[reg_type]
    raw = data.draw(st.integers(low, high))
    p = point(reg_type, ValueType.INT, word_order=word_order, byte_order=byte_order)
    words = encode(p, raw)
    assert all(0 <= w <= 0xFFFF for w in words)
    assert decode(p, words).value == raw


@given(
    value=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32),
    word_order=st.sampled_from(list(WordOrder)),
    byte_order=st.sampled_from(list(ByteOrder)),
)
def test_float32_round_trip(value, word_order, byte_order):
    p = point(RegType.FLOAT32, word_order=word_order, byte_order=byte_order)
    got = decode(p, encode(p, value)).value
    assert math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-6)


@given(
    raw=st.integers(0, 0xFFFF),
    scale=st.sampled_from([1.0, 0.1, 0.01, 0.001, 10.0]),
    offset=st.sampled_from([0.0, -40.0]),
)
def test_scaled_round_trip(raw, scale, offset):
    p = point(RegType.UINT16, scale=scale, offset=offset)
    value = decode(p, [raw]).value
    assert encode(p, value) == [raw]
