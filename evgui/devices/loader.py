"""Load and validate charger profiles (TOML); each problem names the file, point and field."""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from evgui.core.points import (
    Access,
    ByteOrder,
    Catalogue,
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
from evgui.devices.profile import (
    KeepAlive,
    ModbusSettings,
    ModbusTransport,
    OcppSettings,
    Profile,
    Quirks,
    ReadStrategy,
    SerialDefaults,
    SourceRef,
)
from evgui.resources import resource_path

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
_PROFILE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ProfileIssue:
    """One problem found in a profile."""

    file: str
    point: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"point '{self.point}', " if self.point else ""
        return f"{self.file}: {where}field '{self.field}': {self.message}"


class ProfileError(Exception):
    """A profile could not be loaded; `issues` lists every problem found."""

    def __init__(self, issues: list[ProfileIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class _Reader:
    """Typed access to a TOML table that records problems instead of raising."""

    def __init__(
        self,
        data: dict[str, Any],
        file: str,
        issues: list[ProfileIssue],
        point: str | None = None,
        prefix: str = "",
    ) -> None:
        self.data, self.file, self.issues, self.point, self.prefix = (
            data,
            file,
            issues,
            point,
            prefix,
        )
        self.seen: set[str] = set()

    def error(self, key: str, message: str) -> None:
        """Record a problem with a field of this table."""
        self.issues.append(ProfileIssue(self.file, self.point, self.prefix + key, message))

    def sub(self, key: str, point: str | None = None) -> _Reader | None:
        """Return a reader for a nested table, or None when absent."""
        value = self.get(key, dict, None)
        if value is None:
            return None
        return _Reader(value, self.file, self.issues, point or self.point, f"{self.prefix}{key}.")

    def get(
        self, key: str, kind: type | tuple[type, ...], default: Any, required: bool = False
    ) -> Any:
        """Return a field of the expected Python type, or the default after recording why."""
        self.seen.add(key)
        if key not in self.data:
            if required:
                self.error(key, "is required")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            self.error(key, f"expected {_names(kinds)}, got a boolean")
            return default
        if not isinstance(value, kinds):
            self.error(key, f"expected {_names(kinds)}, got {type(value).__name__} {value!r}")
            return default
        return value

    def choice(
        self, key: str, enum: type[E], default: E | None, required: bool = False
    ) -> E | None:
        """Return a field that must be one of an enum's values."""
        raw = self.get(key, str, None, required)
        if raw is None:
            return default
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            self.error(key, f"unknown value '{raw}' (expected one of: {allowed})")
            return default

    def finish(self) -> None:
        """Record every key nobody read (a typo would otherwise be silently ignored)."""
        for key in self.data:
            if key not in self.seen:
                self.error(key, "unknown field")


def _names(kinds: tuple[type, ...]) -> str:
    """Name Python types the way a profile author thinks of them."""
    words = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
    words |= {list: "a list", dict: "a table"}
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def _parse_enum(r: _Reader) -> tuple[EnumValue, ...]:
    """Parse `enum = [{code, label, iec, state}, ...]`."""
    raw = r.get("enum", list, [])
    entries: list[EnumValue] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            r.error(f"enum[{index}]", "expected a table {code = ..., label = ...}")
            continue
        er = _Reader(item, r.file, r.issues, r.point, f"{r.prefix}enum[{index}].")
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
    r: _Reader, kind: PointKind, value_type: ValueType, defaults: ModbusSettings
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


def _parse_ocpp_map(r: _Reader) -> OcppMap | None:
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


def _parse_point(r: _Reader, modbus: ModbusSettings) -> PointDef | None:
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


def _check_overlaps(points: Iterable[PointDef], file: str, issues: list[ProfileIssue]) -> None:
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


def _parse_settings(root: _Reader) -> tuple[ModbusSettings | None, OcppSettings | None]:
    """Parse the profile's `[modbus]` and `[ocpp]` tables."""
    modbus: ModbusSettings | None = None
    mr = root.sub("modbus")
    if mr is not None:
        transports = []
        for name in mr.get("transports", list, ["tcp"]):
            try:
                transports.append(ModbusTransport(name))
            except ValueError:
                mr.error("transports", f"unknown transport '{name}' (tcp, rtu, rtu-tcp)")
        sr = mr.sub("serial")
        serial = SerialDefaults()
        if sr is not None:
            serial = SerialDefaults(
                baudrate=sr.get("baudrate", int, 19200),
                parity=sr.get("parity", str, "E"),
                stopbits=sr.get("stopbits", int, 1),
                bytesize=sr.get("bytesize", int, 8),
            )
            sr.finish()
            if serial.parity not in ("N", "E", "O"):
                sr.error("parity", f"'{serial.parity}' is not N, E or O")
        keepalive: list[KeepAlive] = []
        for index, item in enumerate(mr.get("keepalive", list, [])):
            kr = _Reader(
                item if isinstance(item, dict) else {},
                root.file,
                root.issues,
                None,
                f"modbus.keepalive[{index}].",
            )
            ka = KeepAlive(
                point_id=kr.get("point", str, "", required=True),
                interval_s=kr.get("interval_s", float, 0.0, required=True),
                value=kr.get("value", float, None),
                fallback=kr.get("fallback", str, ""),
            )
            kr.finish()
            if ka.interval_s <= 0:
                kr.error("interval_s", "must be > 0")
            keepalive.append(ka)
        modbus = ModbusSettings(
            transports=tuple(transports) or (ModbusTransport.TCP,),
            port=mr.get("port", int, 502),
            unit_id=mr.get("unit_id", int, 1),
            unit_ids=tuple(mr.get("unit_ids", list, [])),
            serial=serial,
            word_order=mr.choice("word_order", WordOrder, WordOrder.BIG) or WordOrder.BIG,
            byte_order=mr.choice("byte_order", ByteOrder, ByteOrder.BIG) or ByteOrder.BIG,
            read_strategy=mr.choice("read_strategy", ReadStrategy, ReadStrategy.BLOCK)
            or ReadStrategy.BLOCK,
            max_block=mr.get("max_block", int, 125),
            max_gap=mr.get("max_gap", int, 16),
            min_gap_ms=mr.get("min_gap_ms", float, 0.0),
            event_poll_s=mr.get("event_poll_s", float, 5.0),
            timeout_s=mr.get("timeout_s", float, 2.0),
            keepalive=tuple(keepalive),
            write_multiple=mr.get("write_multiple", bool, False),
        )
        mr.finish()
        if not 1 <= modbus.max_block <= 125:
            mr.error("max_block", "must be within 1..125 registers")
        if not 1 <= modbus.port <= 65535:
            mr.error("port", f"{modbus.port} is outside 1..65535")
    ocpp: OcppSettings | None = None
    orr = root.sub("ocpp")
    if orr is not None:
        ocpp = OcppSettings(
            versions=tuple(orr.get("versions", list, ["1.6"])),
            profile_purpose=orr.get("profile_purpose", str, "TxDefaultProfile"),
            rate_unit=orr.get("rate_unit", str, "A"),
            stack_level=orr.get("stack_level", int, 0),
            profile_connector=orr.get("profile_connector", int, 0),
            charge_enable=orr.get("charge_enable", str, "RemoteStartTransaction"),
        )
        orr.finish()
        if ocpp.profile_purpose not in ("TxDefaultProfile", "TxProfile", "ChargePointMaxProfile"):
            orr.error("profile_purpose", f"unknown purpose '{ocpp.profile_purpose}'")
        if ocpp.rate_unit not in ("A", "W"):
            orr.error("rate_unit", f"'{ocpp.rate_unit}' is not A or W")
        if ocpp.charge_enable not in ("RemoteStartTransaction", "ChangeAvailability"):
            orr.error("charge_enable", f"'{ocpp.charge_enable}' is not a known message")
    return modbus, ocpp


def parse_profile(data: dict[str, Any], file: str, path: Path | None = None) -> Profile:
    """Build a Profile from parsed TOML, raising ProfileError listing every problem."""
    issues: list[ProfileIssue] = []
    root = _Reader(data, file, issues)
    head = root.sub("profile") or _Reader({}, file, issues, None, "profile.")
    if "profile" not in data:
        root.error("profile", "is required")
    profile_id = head.get("id", str, "", required=True)
    if profile_id and not _PROFILE_ID.match(profile_id):
        head.error("id", f"'{profile_id}' must be lowercase letters, digits and dashes")
    sources = []
    for index, item in enumerate(head.get("sources", list, [])):
        sr = _Reader(
            item if isinstance(item, dict) else {}, file, issues, None, f"profile.sources[{index}]."
        )
        sources.append(
            SourceRef(
                title=sr.get("title", str, "", required=True),
                url=sr.get("url", str, ""),
                confidence=sr.get("confidence", str, ""),
                note=sr.get("note", str, ""),
            )
        )
        sr.finish()
    qr = head.sub("quirks")
    quirks = Quirks()
    if qr is not None:
        quirks = Quirks(
            e_while_idle=qr.get("e_while_idle", bool, False),
            zero_current_means_no_limit=qr.get("zero_current_means_no_limit", bool, False),
            notes=tuple(qr.get("notes", list, [])),
        )
        qr.finish()
    vendor = head.get("vendor", str, "", required=True)
    models = tuple(head.get("models", list, []))
    description = head.get("description", str, "")
    confidence = head.get("confidence", str, "spec")
    disagreements = tuple(head.get("disagreements", list, []))
    derive = head.get("derive", list, [])
    head.finish()
    modbus, ocpp = _parse_settings(root)
    points: list[PointDef] = []
    for index, item in enumerate(root.get("points", list, [], required=True)):
        if not isinstance(item, dict):
            root.error(f"points[{index}]", "expected a table")
            continue
        point = _parse_point(_Reader(item, file, issues, f"#{index}"), modbus or ModbusSettings())
        if point is not None:
            points.append(point)
    root.finish()
    shared = {p.id: p for p in _shared_derived_points()}
    for name in derive:
        if name not in shared:
            head.error("derive", f"no shared derived point '{name}' (known: {', '.join(shared)})")
        elif all(p.id != name for p in points):
            points.append(shared[name])
    _check_catalogue(points, file, issues, modbus)
    if issues:
        raise ProfileError(issues)
    return Profile(
        id=profile_id,
        vendor=vendor,
        models=models,
        catalogue=Catalogue(tuple(points)),
        description=description,
        confidence=confidence,
        sources=tuple(sources),
        disagreements=disagreements,
        modbus=modbus,
        ocpp=ocpp,
        quirks=quirks,
        path=path,
    )


def _check_catalogue(
    points: list[PointDef], file: str, issues: list[ProfileIssue], modbus: ModbusSettings | None
) -> None:
    """Record problems between points: duplicate ids or Jeedom names, overlaps, keep-alives."""
    seen: dict[str, str] = {}
    for point in points:
        for name in {point.id, point.jeedom} - {None}:
            assert name is not None
            if name in seen:
                field = "id" if name == point.id else "jeedom"
                issues.append(
                    ProfileIssue(
                        file, point.id, field, f"'{name}' already names point '{seen[name]}'"
                    )
                )
            seen[name] = point.id
    _check_overlaps(points, file, issues)
    by_id = {p.id: p for p in points}
    for point in points:
        target = point.modbus.verify_with if point.modbus else None
        if target is None:
            continue
        other = by_id.get(target)
        if other is None or other.modbus is None or other.modbus.access is Access.WRITE:
            issues.append(
                ProfileIssue(file, point.id, "modbus.verify_with", f"no readable point '{target}'")
            )
    for index, ka in enumerate(modbus.keepalive if modbus else ()):
        refreshed = by_id.get(ka.point_id)
        where = f"modbus.keepalive[{index}].point"
        if refreshed is None:
            issues.append(ProfileIssue(file, None, where, f"no point '{ka.point_id}'"))
        elif refreshed.kind is not PointKind.COMMAND or refreshed.modbus is None:
            issues.append(
                ProfileIssue(file, ka.point_id, where, "must be a writable Modbus command")
            )


@cache
def _shared_derived_points() -> tuple[PointDef, ...]:
    """Return the derived points of profiles/common/derived.toml (state, cable_state)."""
    path = resource_path("profiles", "common", "derived.toml")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    issues: list[ProfileIssue] = []
    points = [
        _parse_point(_Reader(item, path.name, issues), ModbusSettings()) for item in data["points"]
    ]
    if issues:
        raise ProfileError(issues)
    return tuple(p for p in points if p is not None)


def load_profile(path: Path) -> Profile:
    """Load one profile file, raising ProfileError (never a bare TOML traceback)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError([ProfileIssue(path.name, None, "(syntax)", str(exc))]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError([ProfileIssue(path.name, None, "(file)", str(exc))]) from exc
    return parse_profile(data, path.name, path)


def profiles_dir() -> Path:
    """Return the directory of shipped profiles."""
    return resource_path("profiles")


@cache
def shipped_profiles() -> tuple[Profile, ...]:
    """Load every shipped profile (sorted by id); a broken one raises ProfileError."""
    return tuple(
        sorted((load_profile(p) for p in profiles_dir().glob("*.toml")), key=lambda p: p.id)
    )


def get_profile(profile_id: str) -> Profile:
    """Return a shipped profile by id, or raise KeyError naming the ones that exist."""
    for profile in shipped_profiles():
        if profile.id == profile_id:
            return profile
    known = ", ".join(p.id for p in shipped_profiles())
    raise KeyError(f"no profile '{profile_id}' (shipped: {known})")
