"""Modbus value codec: registers <-> point values (types, byte/word order, scale, enums, bits).

Encoding is the exact inverse of decoding; the simulator serves values through `encode` and the
poller reads them back through `decode`.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from typing import NamedTuple

from evgui.core.points import ByteOrder, ModbusMap, PointDef, RegType, ValueType, WordOrder
from evgui.core.reading import Quality, Value

_INT_LIMITS = {
    RegType.UINT16: (0, 0xFFFF),
    RegType.INT16: (-0x8000, 0x7FFF),
    RegType.UINT32: (0, 0xFFFF_FFFF),
    RegType.INT32: (-0x8000_0000, 0x7FFF_FFFF),
    RegType.UINT64: (0, 2**64 - 1),
    RegType.INT64: (-(2**63), 2**63 - 1),
    RegType.BOOL: (0, 0xFFFF),
}
_STRUCT = {RegType.UINT16: "H", RegType.INT16: "h", RegType.UINT32: "I", RegType.INT32: "i"}
_STRUCT |= {RegType.UINT64: "Q", RegType.INT64: "q", RegType.FLOAT32: "f", RegType.FLOAT64: "d"}
_STRUCT |= {RegType.BOOL: "H"}


class EncodeError(ValueError):
    """A value that cannot be put on the wire for this point."""


class Decoded(NamedTuple):
    """A decoded value, its quality, and the raw wire value."""

    value: Value
    quality: Quality = Quality.GOOD
    reason: str | None = None
    raw: int | float | str | None = None


def _swap_bytes(words: Sequence[int]) -> list[int]:
    """Swap the two bytes of each 16-bit word."""
    return [((w & 0xFF) << 8) | (w >> 8) for w in words]


def words_to_bytes(words: Sequence[int], mb: ModbusMap) -> bytes:
    """Return the big-endian byte string the words encode, honouring byte and word order."""
    ordered = list(words)
    if mb.byte_order is ByteOrder.LITTLE:
        ordered = _swap_bytes(ordered)
    if mb.word_order is WordOrder.LITTLE and mb.type is not RegType.STRING:
        ordered.reverse()
    return b"".join(w.to_bytes(2, "big") for w in ordered)


def bytes_to_words(data: bytes, mb: ModbusMap) -> list[int]:
    """Return the wire words for a big-endian byte string (inverse of words_to_bytes)."""
    words = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    if mb.word_order is WordOrder.LITTLE and mb.type is not RegType.STRING:
        words.reverse()
    if mb.byte_order is ByteOrder.LITTLE:
        words = _swap_bytes(words)
    return words


def _decimals(scale: float) -> int:
    """Return how many decimals a scale gives (0.1 -> 1, 0.001 -> 3, 10 -> 0)."""
    if scale >= 1:
        return 0
    return max(0, math.ceil(-math.log10(scale) - 1e-9))


Decoder = Callable[[Sequence[int]], Decoded]
_DECODERS: dict[int, tuple[PointDef, Decoder]] = {}


def decode(point: PointDef, words: Sequence[int]) -> Decoded:
    """Decode a point's registers (or bits) into its value, with quality and reason."""
    entry = _DECODERS.get(id(point))
    if entry is None or entry[0] is not point:  # compiled once per point, then reused
        entry = _DECODERS[id(point)] = (point, _compile_decoder(point))
    return entry[1](words)


def _compile_decoder(point: PointDef) -> Decoder:
    """Return a decoder with the point's format, order and scale worked out in advance."""
    mb = point.modbus
    if mb is None:
        return lambda _words: Decoded(None, Quality.BAD, "no Modbus mapping")
    count = mb.count
    typed = _typed_converter(point)

    def wrong_length(words: Sequence[int]) -> Decoded:
        return Decoded(None, Quality.BAD, f"expected {count} registers, got {len(words)}")

    if mb.table.is_bits:

        def bit(words: Sequence[int]) -> Decoded:
            return typed(int(bool(words[0]))) if len(words) == count else wrong_length(words)

        return bit
    if mb.type is RegType.STRING:
        labels = {e.label.upper(): e.label for e in point.enum}

        def text(words: Sequence[int]) -> Decoded:
            if len(words) != count:
                return wrong_length(words)
            raw = words_to_bytes(words, mb).split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
            if point.value_type is ValueType.ENUM:  # a state sent as text, e.g. "C2"
                label = labels.get(raw.upper())
                if label is None:
                    return Decoded(
                        None, Quality.BAD, f"unknown state {raw!r} for {point.name}", raw
                    )
                return Decoded(label, raw=raw)
            return Decoded(raw, raw=raw)

        return text
    sentinels = frozenset(mb.sentinels)
    little_bytes = mb.byte_order is ByteOrder.LITTLE
    if count == 1 and not little_bytes:
        signed = mb.type is RegType.INT16

        def unpack(words: Sequence[int]) -> int | float:
            word = words[0]
            return word - 0x10000 if signed and word & 0x8000 else word

    else:
        packer = struct.Struct(">" + _STRUCT[mb.type])

        def unpack(words: Sequence[int]) -> int | float:
            value: int | float = packer.unpack(words_to_bytes(words, mb))[0]
            return value

    if mb.bits is not None:
        first, mask, whole = mb.bits[0], (1 << mb.bits[1]) - 1, unpack

        def unpack(words: Sequence[int]) -> int | float:
            return (int(whole(words)) >> first) & mask

    def registers(words: Sequence[int]) -> Decoded:
        if len(words) != count:
            return wrong_length(words)
        raw = unpack(words)
        if raw in sentinels and isinstance(raw, int):
            why = f"charger reports no value (0x{raw & ((1 << 16 * count) - 1):X})"
            return Decoded(None, Quality.BAD, why, raw)
        if isinstance(raw, float) and not math.isfinite(raw):
            return Decoded(None, Quality.BAD, f"charger reports no value ({raw})", raw)
        return typed(raw)

    return registers


def _typed_converter(point: PointDef) -> Callable[[int | float], Decoded]:
    """Return the raw-number -> value conversion for a point's value type."""
    mb = point.modbus
    assert mb is not None
    vt = point.value_type
    if vt is ValueType.BOOL:
        return lambda raw: Decoded(raw != 0, raw=raw)
    if vt is ValueType.ENUM:
        labels = {e.code: e.label for e in point.enum}
        name = point.name

        def label(raw: int | float) -> Decoded:
            text = labels.get(int(raw))
            if text is None:
                return Decoded(None, Quality.BAD, f"unknown code {raw} for {name}", raw)
            return Decoded(text, raw=raw)

        return label
    scale, offset = mb.scale, mb.offset
    if vt is ValueType.INT:
        return lambda raw: Decoded(round(raw * scale + offset), raw=raw)
    if mb.type is RegType.FLOAT32:
        return lambda raw: Decoded(float(f"{raw * scale + offset:.7g}"), raw=raw)  # ~7 digits
    if mb.type is RegType.FLOAT64:
        return lambda raw: Decoded(float(f"{raw * scale + offset:.15g}"), raw=raw)
    digits = _decimals(scale) + _decimals(abs(offset) or 1)
    return lambda raw: Decoded(round(raw * scale + offset, digits), raw=raw)


def raw_value(point: PointDef, value: Value) -> int | float:
    """Return the raw wire number for a value (before packing), raising EncodeError."""
    mb = point.modbus
    assert mb is not None
    vt = point.value_type
    if vt is ValueType.ACTION:
        return mb.write_value if mb.write_value is not None else 1
    if vt is ValueType.BOOL:
        if isinstance(value, str):
            entry = point.enum_by_label(value)
            if entry is None:
                raise EncodeError(f"{point.name}: '{value}' is not one of {point.labels}")
            return entry.code
        return int(bool(value))
    if vt is ValueType.ENUM:
        entry = point.enum_by_label(str(value)) if isinstance(value, str) else None
        if entry is None and isinstance(value, int) and not isinstance(value, bool):
            entry = point.enum_by_code(value)
        if entry is None:
            raise EncodeError(f"{point.name}: {value!r} is not one of {' / '.join(point.labels)}")
        return entry.code
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EncodeError(f"{point.name}: {value!r} is not a number")
    number = (float(value) - mb.offset) / mb.scale
    if mb.type.is_float:
        return number
    return round(number)


def encode(point: PointDef, value: Value, current: Sequence[int] | None = None) -> list[int]:
    """Encode a value into the point's registers (bits: [0|1]); `current` keeps other bit fields."""
    mb = point.modbus
    if mb is None:
        raise EncodeError(f"{point.name} has no Modbus mapping")
    if mb.table.is_bits:
        return [int(bool(raw_value(point, value)))]
    if mb.type is RegType.STRING:
        data = str(value).encode("utf-8")
        if len(data) > 2 * mb.count:
            raise EncodeError(f"{point.name}: '{value}' is longer than {2 * mb.count} bytes")
        return bytes_to_words(data.ljust(2 * mb.count, b"\x00"), mb)
    raw = raw_value(point, value)
    if mb.bits is not None:
        first, width = mb.bits
        if not 0 <= int(raw) < (1 << width):
            raise EncodeError(f"{point.name}: {raw} does not fit {width} bits")
        base = 0
        if current is not None and len(current) == mb.count:
            (base,) = struct.unpack(">" + _STRUCT[mb.type], words_to_bytes(current, mb))
        mask = ((1 << width) - 1) << first
        raw = (int(base) & ~mask) | (int(raw) << first)
    if not mb.type.is_float:
        low, high = _INT_LIMITS[mb.type]
        if not low <= raw <= high:
            raise EncodeError(f"{point.name}: {value} is {raw} on the wire, outside {mb.type}")
    return bytes_to_words(struct.pack(">" + _STRUCT[mb.type], raw), mb)
