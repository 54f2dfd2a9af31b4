"""The simulated charger's Modbus server: any profile's map, served from the session's values.

pymodbus 3.16's server asks its datastore three things: `device_ids()`,
`async_getValues(device_id, function_code, address, count)` and
`async_setValues(device_id, function_code, address, values)`, each returning values or an
`ExcCodes`. `ChargerDatastore` answers them directly (the shipped SimDevice cannot tell how many
coils a read asked for, nor validate a written value against a range).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from pymodbus.constants import ExcCodes
from pymodbus.exceptions import NoSuchIdException
from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from evgui.core.commands import CommandError, validate_value
from evgui.core.points import Access, PointDef, PointKind, Table, ValueType
from evgui.devices.profile import Profile
from evgui.simulators.faults import ModbusFaults
from evgui.simulators.session import ChargerSession
from evgui.transports.modbus.codec import EncodeError, decode, encode

log = logging.getLogger(__name__)

_READ_TABLE = {1: Table.COIL, 2: Table.DISCRETE, 3: Table.HOLDING, 4: Table.INPUT}
_WRITE_TABLE = {5: Table.COIL, 15: Table.COIL, 6: Table.HOLDING, 16: Table.HOLDING}
_MAX_READ = {Table.COIL: 2000, Table.DISCRETE: 2000, Table.HOLDING: 125, Table.INPUT: 125}
RESERVED_GAP = 16  # unmapped registers this close to mapped ones read as 0 (reserved)


@dataclass(frozen=True, slots=True)
class _Slot:
    """One register (or bit) of the map: the points that read it and those that write it."""

    readers: tuple[PointDef, ...]
    writers: tuple[PointDef, ...]


SlotKey = tuple[int, Table, int]  # (unit id, table, address)


def sim_key(point: PointDef) -> str:
    """Return the session quantity a point shows (the generic ids, or a profile's binding)."""
    return (point.sim or point.id).partition("=")[0]


def sim_command(point: PointDef, value: Any) -> tuple[str, Any]:
    """Return the session command for a write: `sim = "charge_enable=false"` fixes the value."""
    key, sep, literal = (point.sim or point.id).partition("=")
    if not sep:
        return key, value
    words = {"true": True, "false": False, "none": None}
    if literal.lower() in words:
        return key, words[literal.lower()]
    try:
        return key, float(literal)
    except ValueError:
        return key, literal


class ChargerDatastore:
    """Registers of one simulated charger, encoded from the session on each request."""

    def __init__(
        self,
        profile: Profile,
        session: ChargerSession,
        faults: ModbusFaults,
        unit_ids: Sequence[int] = (1,),
    ) -> None:
        self.profile = profile
        self.session = session
        self.faults = faults
        self.base_units = tuple(unit_ids)
        extra = {
            p.modbus.unit_id for p in profile.points if p.modbus and p.modbus.unit_id is not None
        }
        self.unit_ids = tuple(dict.fromkeys([*unit_ids, *sorted(extra)]))
        self._slots: dict[SlotKey, _Slot] = {}
        self._reserved: set[SlotKey] = set()
        self._build_map()

    # -------------------------------------------------------------- the map

    def _units_of(self, point: PointDef) -> tuple[int, ...]:
        """Return the unit ids a point is served on (its own, or every base unit id)."""
        mb = point.modbus
        assert mb is not None
        return (mb.unit_id,) if mb.unit_id is not None else self.base_units

    def _build_map(self) -> None:
        """Index every mapped register per unit id, then mark near gaps as reserved (read as 0)."""
        readers: dict[SlotKey, list[PointDef]] = {}
        writers: dict[SlotKey, list[PointDef]] = {}
        for point in self.profile.points:
            mb = point.modbus
            if mb is None:
                continue
            readable = point.value_type is not ValueType.ACTION and mb.access is not Access.WRITE
            for unit in self._units_of(point):
                for address in range(mb.address, mb.end):
                    key = (unit, mb.table, address)
                    if point.kind is PointKind.COMMAND:
                        writers.setdefault(key, []).append(point)
                    if readable:
                        readers.setdefault(key, []).append(point)
        for key in readers.keys() | writers.keys():
            self._slots[key] = _Slot(tuple(readers.get(key, ())), tuple(writers.get(key, ())))
        groups: dict[tuple[int, Table], list[int]] = {}
        for unit, table, address in self._slots:
            if self._slots[(unit, table, address)].readers:
                groups.setdefault((unit, table), []).append(address)
        for (unit, table), addresses in groups.items():
            for low, high in itertools.pairwise(sorted(addresses)):
                if 1 < high - low <= RESERVED_GAP:
                    self._reserved.update((unit, table, a) for a in range(low + 1, high))

    def _readable(self, unit: int, table: Table, address: int) -> bool:
        if address in self.faults.unimplemented and not table.is_bits:
            return False
        slot = self._slots.get((unit, table, address))
        return (slot is not None and bool(slot.readers)) or (unit, table, address) in self._reserved

    def image(self, unit: int, table: Table, addresses: range) -> list[int]:
        """Return the current words (or bits) of an address range, encoded from the session."""
        values = self.session.values()
        words: dict[int, int] = {}
        done: set[str] = set()
        for address in addresses:
            slot = self._slots.get((unit, table, address))
            for point in slot.readers if slot else ():
                if point.id in done:
                    continue
                done.add(point.id)
                value = values.get(sim_key(point))
                if value is None:
                    continue
                mb = point.modbus
                assert mb is not None
                span = range(mb.address, mb.end)
                current = [words.get(a, 0) for a in span]
                try:
                    encoded = encode(point, self._wire_value(point, value, values), current)
                except EncodeError as exc:
                    log.debug("cannot encode %s=%r: %s", point.id, value, exc)
                    continue
                words.update(zip(span, encoded, strict=True))
        return [words.get(a, 0) for a in addresses]

    def _wire_value(self, point: PointDef, value: Any, values: dict[str, Any]) -> Any:
        """Translate the session's generic value into this profile's vocabulary."""
        if point.value_type is not ValueType.ENUM or not isinstance(value, str):
            return value
        if point.enum_by_label(value) is not None:
            return value
        state = values.get("vehicle_state")
        ranked = sorted(
            point.enum,
            key=lambda e: (
                not (e.iec == value and e.vehicle_state == state),  # B2 after energy: finished
                not (e.iec == value and e.vehicle_state is None),
                e.iec != value,
                value not in e.iec_alias,
            ),
        )
        best = ranked[0] if ranked else None
        if best is not None and (best.iec == value or value in best.iec_alias):
            return best.label
        for entry in point.enum:  # a device that only knows the letter (B for B1 and B2)
            if entry.iec is not None and entry.iec == value[0]:
                return entry.label
        return value

    # ------------------------------------------------------ pymodbus datastore API

    def device_ids(self) -> list[int]:
        """Return the unit ids this charger answers."""
        return list(self.unit_ids)

    async def async_getValues(
        self, device_id: int, func_code: int, address: int, count: int = 1
    ) -> list[int] | list[bool] | ExcCodes:
        """Answer a read (and the echo read after a write)."""
        self._check_unit(device_id)
        if func_code in _WRITE_TABLE:  # pymodbus reads back what it just wrote for the echo
            table = _WRITE_TABLE[func_code]
        elif func_code in _READ_TABLE:
            table = _READ_TABLE[func_code]
        else:
            return ExcCodes.ILLEGAL_FUNCTION
        if func_code in _READ_TABLE and (fault := await self._fault()):
            return fault
        if not 1 <= count <= _MAX_READ[table]:
            return ExcCodes.ILLEGAL_VALUE
        echo = func_code in _WRITE_TABLE  # write-only registers echo what was written
        if not echo and not all(
            self._readable(device_id, table, a) for a in range(address, address + count)
        ):
            return ExcCodes.ILLEGAL_ADDRESS
        words = self.image(device_id, table, range(address, address + count))
        if table.is_bits:
            return [bool(w) for w in words]
        return words

    async def async_setValues(
        self, device_id: int, func_code: int, address: int, values: Sequence[int] | Sequence[bool]
    ) -> ExcCodes | None:
        """Validate a write against the profile, apply it to the session, or refuse it."""
        self._check_unit(device_id)
        table = _WRITE_TABLE.get(func_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        if fault := await self._fault():
            return fault
        addresses = range(address, address + len(values))
        slots = [self._slots.get((device_id, table, a)) for a in addresses]
        if any(slot is None or not slot.writers for slot in slots):
            return ExcCodes.ILLEGAL_ADDRESS  # unknown or read-only register
        written = {a: int(v) for a, v in zip(addresses, values, strict=True)}
        commands: list[tuple[PointDef, Any]] = []
        for point in {w.id: w for s in slots if s for w in s.writers}.values():
            mb = point.modbus
            assert mb is not None
            span = range(mb.address, mb.end)
            current = self.image(device_id, table, span)
            words = [written.get(a, c) for a, c in zip(span, current, strict=True)]
            if point.value_type is ValueType.ACTION:
                if words[0] == mb.write_value or (table.is_bits and mb.write_value and words[0]):
                    commands.append((point, None))
                continue
            decoded = decode(point, words)
            if decoded.value is None:
                return ExcCodes.ILLEGAL_VALUE
            try:
                commands.append((point, validate_value(point, decoded.value)))
            except CommandError:
                return ExcCodes.ILLEGAL_VALUE
        shared = [p for s in slots if s for p in s.writers if p.value_type is ValueType.ACTION]
        if not commands and not (table.is_bits and shared):
            return ExcCodes.ILLEGAL_VALUE  # e.g. 5 written to a register whose actions take 0 / 1
        if self.faults.ignore_writes:
            return None
        for point, value in commands:
            key, given = sim_command(point, value)
            try:
                self.session.command(key, given)
            except KeyError:
                log.debug("the simulator does not act on %s", key)
        return None

    # ------------------------------------------------------------------ faults

    def _check_unit(self, device_id: int) -> None:
        if device_id not in self.unit_ids:
            raise NoSuchIdException(f"unit id {device_id} is not this charger")

    async def _fault(self) -> ExcCodes | None:
        """Apply the injected delay and exception faults to one request."""
        if self.faults.delay_ms > 0:
            await asyncio.sleep(self.faults.delay_ms / 1000.0)
        if self.faults.exception_code:
            return ExcCodes(self.faults.exception_code)
        return None


def _placeholder_device() -> SimDevice:
    """Return the minimal SimDevice the server's constructor insists on (replaced at once)."""
    return SimDevice(id=0, simdata=[SimData(address=0, values=0, datatype=DataType.REGISTERS)])


class ModbusFace:
    """A pymodbus server (TCP, RTU-over-TCP or serial RTU) in front of a ChargerDatastore."""

    def __init__(
        self,
        datastore: ChargerDatastore,
        *,
        host: str = "127.0.0.1",
        port: int = 5020,
        framing: str = "tcp",  # "tcp", "rtu-tcp" or "rtu" (serial: port_path)
        serial_port: str | None = None,
        baudrate: int = 19200,
        parity: str = "E",
        stopbits: int = 1,
    ) -> None:
        self.datastore = datastore
        self.host, self.port, self.framing = host, port, framing
        self.serial = (serial_port, baudrate, parity, stopbits)
        self._server: ModbusTcpServer | ModbusSerialServer | None = None

    @property
    def faults(self) -> ModbusFaults:
        """Return the injected Modbus faults."""
        return self.datastore.faults

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        """Count requests; swallow answers when silent or on every Nth request."""
        faults = self.faults
        if not sending:
            faults.requests += 1
            return data
        if faults.silent or (faults.drop_every and faults.requests % faults.drop_every == 0):
            return b""
        return data

    async def start(self) -> int:
        """Start serving; return the bound TCP port (0 for serial)."""
        common: dict[str, Any] = {
            "trace_packet": self._trace_packet,
            "ignore_missing_devices": self.framing != "tcp",  # a bus stays silent
        }
        if self.framing == "rtu":
            port_path, baudrate, parity, stopbits = self.serial
            self._server = ModbusSerialServer(
                _placeholder_device(),
                framer=FramerType.RTU,
                port=port_path or "",
                baudrate=baudrate,
                parity=parity,
                stopbits=stopbits,
                **common,
            )
        else:
            framer = FramerType.RTU if self.framing == "rtu-tcp" else FramerType.SOCKET
            self._server = ModbusTcpServer(
                _placeholder_device(), framer=framer, address=(self.host, self.port), **common
            )
        self._server.context = cast(Any, self.datastore)
        try:
            await self._server.serve_forever(background=True)
        except RuntimeError as exc:  # pymodbus's way of saying "bind failed"
            self._server = None
            where = self.serial[0] if self.framing == "rtu" else f"{self.host}:{self.port}"
            raise OSError(f"{where}: address in use or not available") from exc
        if self.framing == "rtu":
            return 0
        transport = self._server.transport
        sockets = getattr(transport, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        return self.port

    @property
    def running(self) -> bool:
        """Return True while the server accepts requests."""
        return self._server is not None

    async def stop(self) -> None:
        """Stop serving and close every client connection."""
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()  # type: ignore[no-untyped-call]
            await asyncio.sleep(0)
