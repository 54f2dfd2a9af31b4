"""A profile's points: one `[[points]]` entry and its Modbus / OCPP mappings, validated."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

from evgui.core.points import (
    Access,
    ByteOrder,
    EnumValue,
    ModbusMap,
    OcppMap,
    PointDef,
    PointKind,
    RegType,
    Table,
    ValueType,
    WordOrder,
)
from evgui.devices.profile import ModbusSettings
from evgui.devices.reader import ProfileIssue, TableReader

PERIODS: dict[str, float | None] = {
    "1s": 1.0,
    "5s": 5.0,
    "10s": 10.0,
    "1min": 60.0,
    "once": math.inf,
    "event": None,
}
IEC_LETTERS = ("A", "A1", "A2", "B", "B1", "B2", "C", "C1", "C2", "D", "D1", "D2", "E", "F")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _parse_enum(r: TableReader) -> tuple[EnumValue, ...]:
    """Parse `enum = [{code, label, iec, state}, ...]`."""
    raw = r.get("enum", list, [])
    entries: list[EnumValue] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            r.error(f"enum[{index}]", "expected a table {code = ..., label = ...}")
            continue
        er = TableReader(item, r.file, r.issues, r.point, f"{r.prefix}enum[{index}].")
        code = er.get("code", int, None, required=True)
        label = er.get("label", str, None, required=True)
        iec = er.get("iec", str, None)
        state = er.get("state", int, None)
        alias = er.get("iec_alias", list, [])
        er.finish()
        for letter in alias:
            if letter not in IEC_LETTERS:
                er.error("iec_alias", f"'{letter}' is not an IEC 61851 state")
        if iec is not None and iec not in IEC_LETTERS:
            er.error("iec", f"'{iec}' is not an IEC 61851 state ({', '.join(IEC_LETTERS)})")
        if state is not None and not 1 <= state <= 6:
            er.error("state", f"vehicle state {state} is outside 1..6")
        if code is not None and label is not None:
            entries.append(EnumValue(code, label, iec, state, tuple(alias)))
    codes = [e.code for e in entries]
    labels = [e.label.upper() for e in entries]
    if len(set(codes)) != len(codes):
        r.error("enum", "two values share a code")
    if len(set(labels)) != len(labels):
        r.error("enum", "two values share a label")
    return tuple(entries)


def _parse_modbus_map(
    r: TableReader, kind: PointKind, value_type: ValueType, defaults: ModbusSettings
) -> ModbusMap | None:
    """Parse a point's `modbus = {...}` table."""
    table = r.choice("table", Table, None, required=True)
    address = r.get("address", int, None, required=True)
    reg_type = r.choice("type", RegType, None, required=True)
    count = r.get("count", int, None)
    default_access = Access.READ_WRITE if kind is PointKind.COMMAND else Access.READ
    access = r.choice("access", Access, default_access) or default_access
    word_order = r.choice("word_order", WordOrder, defaults.word_order) or defaults.word_order
    byte_order = r.choice("byte_order", ByteOrder, defaults.byte_order) or defaults.byte_order
    scale = r.get("scale", float, 1.0)
    offset = r.get("offset", float, 0.0)
    bits_raw = r.get("bits", list, None)
    unit_id = r.get("unit_id", int, None)
    sentinels_raw = r.get("sentinels", list, [])
    write_value = r.get("write_value", int, None)
    verify_with = r.get("verify_with", str, None)
    vendor_number = r.get("number", (str, int), None)
    r.finish()
    if table is None or address is None or reg_type is None:
        return None
    if scale == 0:
        r.error("scale", "must not be 0")
        scale = 1.0
    if reg_type is RegType.STRING:
        if count is None or count < 1:
            r.error("count", "a string needs count = number of registers (>= 1)")
            count = 1
    elif count is not None and count != reg_type.words:
        r.error(
            "count",
            f"{reg_type.value} occupies {reg_type.words} register(s), not {count}",
        )
    words = count if reg_type is RegType.STRING else reg_type.words
    if table.is_bits and reg_type is not RegType.BOOL:
        r.error("type", f"a {table.value} holds one bit: type must be 'bool', not '{reg_type}'")
    if not 0 <= address <= 65535 or address + words > 65536:
        r.error("address", f"{address} (+{words}) is outside the Modbus range 0..65535")
    if unit_id is not None and not 0 <= unit_id <= 255:
        r.error("unit_id", f"{unit_id} is outside 0..255")
    bits: tuple[int, int] | None = None
    if bits_raw is not None:
        width = 16 * words
        if (
            len(bits_raw) != 2
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in bits_raw)
            or bits_raw[1] < 1
            or bits_raw[0] < 0
            or bits_raw[0] + bits_raw[1] > width
        ):
            r.error("bits", f"expected [first_bit, bit_count] inside the {width}-bit value")
        elif table.is_bits or not reg_type.is_unsigned:
            r.error("bits", f"bit fields live in unsigned registers, not in a {reg_type.value}")
        else:
            bits = (bits_raw[0], bits_raw[1])
    sentinels: list[int] = []
    for s in sentinels_raw:
        if isinstance(s, int) and not isinstance(s, bool):
            sentinels.append(s)
        else:
            r.error("sentinels", f"expected raw integer values, got {s!r}")
    needs_write = kind is PointKind.COMMAND
    if needs_write and not table.writable:
        r.error("table", f"a command cannot write a read-only {table.value} table")
    if needs_write and access is Access.READ:
        r.error("access", "a command needs a writable register (access 'rw' or 'w')")
    if not needs_write and access is not Access.READ and not table.writable:
        r.error("access", f"a {table.value} table is read-only")
    if value_type is ValueType.ACTION and write_value is None and table is not Table.COIL:
        r.error("write_value", "an action on a register must say which value it writes")
    return ModbusMap(
        table=table,
        address=address,
        type=reg_type,
        count=words,
        access=access,
        word_order=word_order,
        byte_order=byte_order,
        scale=scale,
        offset=offset,
        bits=bits,
        unit_id=unit_id,
        sentinels=tuple(sentinels),
        write_value=1 if value_type is ValueType.ACTION and write_value is None else write_value,
        vendor_number=str(vendor_number) if vendor_number is not None else None,
        verify_with=verify_with,
    )


def _parse_ocpp_map(r: TableReader) -> OcppMap | None:
    """Parse a point's `ocpp = {...}` table."""
    message = r.get("message", str, None, required=True)
    result = OcppMap(
        message=message or "",
        measurand=r.get("measurand", str, None),
        phase=r.get("phase", str, None),
        config_key=r.get("config_key", str, None),
        note=r.get("note", str, None),
    )
    r.finish()
    return result if message else None


def parse_point(r: TableReader, modbus: ModbusSettings) -> PointDef | None:
    """Parse one `[[points]]` entry."""
    point_id = r.get("id", str, None, required=True)
    if point_id is not None:
        r.point = point_id
        if not _ID.match(point_id):
            r.error("id", f"'{point_id}' is not snake_case")
    name = r.get("name", str, point_id or "", required=True)
    kind = r.choice("kind", PointKind, None, required=True)
    value_type = r.choice("type", ValueType, None, required=True)
    unit = r.get("unit", str, None)
    range_raw = r.get("range", list, None)
    period_raw = r.get("period", str, None)
    haystack_raw = r.get("haystack", str, "")
    jeedom = r.get("jeedom", str, None)
    description = r.get("description", str, "")
    bacnet = r.get("bacnet", str, None)
    derived = r.get("derived", bool, False)
    extension = r.get("extension", bool, False)
    resolution = r.get("resolution", float, None)
    sim = r.get("sim", str, None)
    enum = _parse_enum(r)
    mr = r.sub("modbus")
    orr = r.sub("ocpp")
    r.finish()
    if point_id is None or kind is None or value_type is None:
        return None
    if kind is PointKind.MEASURE and unit is None:
        r.error("unit", "a measure needs a unit ('' if dimensionless)")
    if value_type is ValueType.ENUM and not enum:
        r.error("enum", "an enum point needs its values")
    if value_type is ValueType.BOOL and any(e.code not in (0, 1) for e in enum):
        r.error("enum", "a bool point's labels need codes 0 (false) and 1 (true)")
    elif value_type not in (ValueType.ENUM, ValueType.BOOL, ValueType.ACTION) and enum:
        r.error("enum", f"only enum, bool and action points take labels (type is '{value_type}')")
    if value_type is ValueType.ACTION and kind is not PointKind.COMMAND:
        r.error("type", "only a command can be an action")
    rng: tuple[float, float] | None = None
    if range_raw is not None:
        numbers = [v for v in range_raw if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(range_raw) != 2 or len(numbers) != 2:
            r.error("range", "expected [low, high]")
        elif numbers[0] >= numbers[1]:
            r.error("range", f"low {numbers[0]} is not below high {numbers[1]}")
        else:
            rng = (float(numbers[0]), float(numbers[1]))
    if rng is not None and value_type not in (ValueType.FLOAT, ValueType.INT):
        r.error("range", f"a range needs a numeric point (type is '{value_type}')")
    period_s: float | None = None
    if period_raw is not None:
        if period_raw not in PERIODS:
            r.error(
                "period", f"unknown period '{period_raw}' (expected one of: {', '.join(PERIODS)})"
            )
        else:
            period_s = PERIODS[period_raw]
    elif kind is not PointKind.COMMAND and not derived:
        r.error("period", "a measure or status needs a poll period")
    modbus_map = _parse_modbus_map(mr, kind, value_type, modbus) if mr else None
    if (
        mr
        and modbus_map
        and modbus_map.type is RegType.STRING
        and value_type not in (ValueType.STRING, ValueType.ENUM)
    ):
        mr.error("type", "a string register needs a point of type 'string' or 'enum'")
    if derived and (modbus_map or orr):
        r.error("derived", "a derived point is computed, it has no protocol mapping")
    return PointDef(
        id=point_id,
        name=name,
        kind=kind,
        value_type=value_type,
        unit=unit or "",
        range=rng,
        period_s=period_s,
        haystack=tuple(t for t in haystack_raw.split("-") if t),
        jeedom=jeedom,
        description=description,
        enum=enum,
        bacnet=bacnet,
        modbus=modbus_map,
        ocpp=_parse_ocpp_map(orr) if orr else None,
        derived=derived,
        extension=extension,
        resolution=resolution,
        sim=sim,
    )


def check_overlaps(points: Iterable[PointDef], file: str, issues: list[ProfileIssue]) -> None:
    """Record two points that claim the same register bits (actions may share their target)."""
    taken: dict[tuple[int | None, Table, int, int], str] = {}
    for point in points:
        mb = point.modbus
        if mb is None or mb.write_value is not None:
            continue
        bit_range = range(mb.bits[0], mb.bits[0] + mb.bits[1]) if mb.bits else range(16)
        for address in range(mb.address, mb.end):
            for bit in bit_range:
                key = (mb.unit_id, mb.table, address, bit)
                other = taken.get(key)
                if other is not None:
                    issues.append(
                        ProfileIssue(
                            file,
                            point.id,
                            "modbus.address",
                            f"{mb.table.value} {address} overlaps point '{other}'",
                        )
                    )
                    break
                taken[key] = point.id
            else:
                continue
            break
