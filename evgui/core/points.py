"""Point catalogue types: what a charger exposes, and how each protocol maps it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class PointKind(StrEnum):
    """The seed's three kinds of point."""

    MEASURE = "measure"
    COMMAND = "command"
    STATUS = "status"


class ValueType(StrEnum):
    """The value a point carries once decoded."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    ENUM = "enum"
    STRING = "string"
    ACTION = "action"  # a command without argument (Remote Stop, cable_lock)


class Table(StrEnum):
    """Modbus data tables."""

    COIL = "coil"
    DISCRETE = "discrete"
    INPUT = "input"
    HOLDING = "holding"

    @property
    def is_bits(self) -> bool:
        """Return True for the single-bit tables (coils, discrete inputs)."""
        return self in (Table.COIL, Table.DISCRETE)

    @property
    def writable(self) -> bool:
        """Return True when a Modbus client may write this table."""
        return self in (Table.COIL, Table.HOLDING)

    @property
    def modicon_base(self) -> int:
        """Return the 1-based Modicon prefix (00001, 10001, 30001, 40001)."""
        return {Table.COIL: 1, Table.DISCRETE: 10001, Table.INPUT: 30001, Table.HOLDING: 40001}[
            self
        ]


class RegType(StrEnum):
    """Wire encodings of a Modbus value."""

    BOOL = "bool"  # a coil / discrete input, or a register read as 0 / non-zero
    UINT16 = "uint16"
    INT16 = "int16"
    UINT32 = "uint32"
    INT32 = "int32"
    FLOAT32 = "float32"
    UINT64 = "uint64"
    INT64 = "int64"
    FLOAT64 = "float64"
    STRING = "string"

    @property
    def words(self) -> int:
        """Return the number of registers of a fixed-size type (0 for strings)."""
        return {
            RegType.BOOL: 1,
            RegType.UINT16: 1,
            RegType.INT16: 1,
            RegType.UINT32: 2,
            RegType.INT32: 2,
            RegType.FLOAT32: 2,
            RegType.UINT64: 4,
            RegType.INT64: 4,
            RegType.FLOAT64: 4,
            RegType.STRING: 0,
        }[self]

    @property
    def is_float(self) -> bool:
        """Return True for IEEE-754 types."""
        return self in (RegType.FLOAT32, RegType.FLOAT64)

    @property
    def is_unsigned(self) -> bool:
        """Return True for the unsigned integer types (bit fields live in these)."""
        return self in (RegType.UINT16, RegType.UINT32, RegType.UINT64)


class WordOrder(StrEnum):
    """Order of the 16-bit words of a 32-bit value."""

    BIG = "big"  # high word first (ABCD)
    LITTLE = "little"  # low word first (CDAB)


class ByteOrder(StrEnum):
    """Order of the bytes inside each 16-bit word."""

    BIG = "big"
    LITTLE = "little"


class Access(StrEnum):
    """What a Modbus client may do with a register."""

    READ = "r"
    READ_WRITE = "rw"
    WRITE = "w"


@dataclass(frozen=True, slots=True)
class EnumValue:
    """One value of an enumerated point, with the IEC 61851 letter / vehicle state it means."""

    code: int
    label: str
    iec: str | None = None
    vehicle_state: int | None = None
    iec_alias: tuple[str, ...] = ()  # other pilot states this code also covers (simulator)


@dataclass(frozen=True, slots=True)
class ModbusMap:
    """Where a point lives on the Modbus wire, and how it is encoded."""

    table: Table
    address: int  # wire address (0-based); 40001 is holding 0
    type: RegType
    count: int  # registers (or bits) occupied
    access: Access
    word_order: WordOrder = WordOrder.BIG
    byte_order: ByteOrder = ByteOrder.BIG
    scale: float = 1.0
    offset: float = 0.0
    bits: tuple[int, int] | None = None  # (first bit, bit count) inside the unsigned value
    unit_id: int | None = None  # None: the link's unit id
    sentinels: tuple[int, ...] = ()  # raw values meaning "no value"
    write_value: int | None = None  # an action writes this constant
    verify_with: str | None = None  # read back another point after writing (write-only registers)
    vendor_number: str | None = None  # the vendor's own register number, for display

    @property
    def end(self) -> int:
        """Return the address after the last register / bit."""
        return self.address + self.count

    @property
    def modicon(self) -> str:
        """Return the 1-based Modicon register number as the seed writes it (40001...)."""
        first = self.table.modicon_base + self.address
        width = 5
        if self.count > 1:
            return f"{first:0{width}d}-{first + self.count - 1:0{width}d}"
        return f"{first:0{width}d}"

    def describe(self) -> str:
        """Return a one-line human description (table, number, type)."""
        unit = f" unit {self.unit_id}" if self.unit_id is not None else ""
        bits = f" bits {self.bits[0]}-{self.bits[0] + self.bits[1] - 1}" if self.bits else ""
        return f"{self.table.value} {self.modicon} ({self.type.value}{bits}){unit}"


@dataclass(frozen=True, slots=True)
class OcppMap:
    """How a point appears in OCPP: the message, and for meter values the measurand and phase."""

    message: str
    measurand: str | None = None
    phase: str | None = None
    config_key: str | None = None
    note: str | None = None

    def describe(self) -> str:
        """Return a one-line human description (MeterValues.Voltage L1-N...)."""
        text = self.message
        if self.measurand:
            text += f".{self.measurand}"
        if self.phase:
            text += f" {self.phase}"
        if self.config_key:
            text += f" ({self.config_key})"
        return text


@dataclass(frozen=True, slots=True)
class PointDef:
    """One point of a charger profile: the seed's measures, commands and states."""

    id: str
    name: str
    kind: PointKind
    value_type: ValueType
    unit: str = ""
    range: tuple[float, float] | None = None
    period_s: float | None = None  # None: on event
    haystack: tuple[str, ...] = ()
    jeedom: str | None = None
    description: str = ""
    enum: tuple[EnumValue, ...] = ()
    bacnet: str | None = None
    modbus: ModbusMap | None = None
    ocpp: OcppMap | None = None
    derived: bool = False
    extension: bool = False  # not in the seed's point list (ev-charger-level2-points.md)
    resolution: float | None = None
    sim: str | None = None  # the simulator quantity this point shows, when not its id

    def enum_by_code(self, code: int) -> EnumValue | None:
        """Return the enum entry with this raw code."""
        for entry in self.enum:
            if entry.code == code:
                return entry
        return None

    def enum_by_label(self, label: str) -> EnumValue | None:
        """Return the enum entry with this label (case-insensitive)."""
        wanted = label.strip().upper()
        for entry in self.enum:
            if entry.label.upper() == wanted:
                return entry
        return None

    @property
    def labels(self) -> tuple[str, ...]:
        """Return the enum labels in declaration order."""
        return tuple(e.label for e in self.enum)

    def in_range(self, value: Any) -> bool:
        """Return False when a numeric value lies outside the point's typical range."""
        if self.range is None or isinstance(value, bool) or not isinstance(value, int | float):
            return True
        low, high = self.range
        return low <= value <= high

    def range_text(self) -> str:
        """Return the range as the user reads it (6-32 A)."""
        if self.range is None:
            return ""
        low, high = self.range
        unit = f" {self.unit}" if self.unit else ""
        sep = "-" if low >= 0 else " to "  # "-25-50" would read as a subtraction
        return f"{_fmt(low)}{sep}{_fmt(high)}{unit}"

    def to_json(self) -> dict[str, Any]:
        """Return the catalogue entry as the `evgui points --json` object."""
        mb = self.modbus
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind.value,
            "type": self.value_type.value,
            "unit": self.unit or None,
            "range": list(self.range) if self.range else None,
            "period_s": self.period_s,
            "haystack": "-".join(self.haystack) if self.haystack else None,
            "jeedom": self.jeedom,
            "enum": [e.label for e in self.enum] or None,
            "derived": self.derived,
            "extension": self.extension,
            "modbus": None
            if mb is None
            else {
                "table": mb.table.value,
                "address": mb.address,
                "register": mb.modicon,
                "type": mb.type.value,
                "count": mb.count,
                "word_order": mb.word_order.value,
                "scale": mb.scale,
                "access": mb.access.value,
                "bits": list(mb.bits) if mb.bits else None,
                "unit_id": mb.unit_id,
            },
            "bacnet": self.bacnet,
            "ocpp": None
            if self.ocpp is None
            else {
                "message": self.ocpp.message,
                "measurand": self.ocpp.measurand,
                "phase": self.ocpp.phase,
                "config_key": self.ocpp.config_key,
            },
        }


def _fmt(number: float) -> str:
    """Format a range bound without a useless .0."""
    return str(int(number)) if float(number).is_integer() else str(number)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The points of one profile, by id and by Jeedom logicalId."""

    points: tuple[PointDef, ...]
    _by_id: dict[str, PointDef] = field(init=False, repr=False, compare=False)
    _by_jeedom: dict[str, PointDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {p.id: p for p in self.points})
        object.__setattr__(self, "_by_jeedom", {p.jeedom: p for p in self.points if p.jeedom})

    def __contains__(self, point_id: object) -> bool:
        return point_id in self._by_id

    def __iter__(self) -> Iterator[PointDef]:
        return iter(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def get(self, point_id: str) -> PointDef | None:
        """Return a point by id or Jeedom logicalId."""
        return self._by_id.get(point_id) or self._by_jeedom.get(point_id)

    def __getitem__(self, point_id: str) -> PointDef:
        point = self.get(point_id)
        if point is None:
            raise KeyError(point_id)
        return point

    def of_kind(self, kind: PointKind) -> tuple[PointDef, ...]:
        """Return the points of one kind, in profile order."""
        return tuple(p for p in self.points if p.kind is kind)
