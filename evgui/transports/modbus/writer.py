"""Modbus commands: encode, write, read back and compare (validation happened in the dispatcher)."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Any

from evgui.core.commands import CommandStatus
from evgui.core.dispatcher import Outcome
from evgui.core.events import EventHub, LinkState
from evgui.core.points import Access, Catalogue, PointDef, ValueType
from evgui.core.reading import Reading
from evgui.transports.modbus.codec import EncodeError, encode
from evgui.transports.modbus.link import ModbusLink, ModbusResult
from evgui.transports.modbus.poller import decoded_reading, traffic_event

VERIFY_DELAY_S = 0.05
VERIFY_RETRY_S = 0.5


def same_value(point: PointDef, wanted: Any, got: Any) -> bool:
    """Return True when a read-back value matches what was written, within resolution."""
    if isinstance(wanted, float | int) and not isinstance(wanted, bool):
        if not isinstance(got, float | int) or isinstance(got, bool):
            return False
        step = point.modbus.scale if point.modbus else 0.0
        tolerance = max(point.resolution or 0.0, step) / 2 + 1e-6
        return math.isclose(float(wanted), float(got), abs_tol=tolerance)
    return bool(wanted == got)


class ModbusCommandExecutor:
    """The Modbus route for the CommandDispatcher."""

    route = "modbus"

    def __init__(
        self,
        charger_id: str,
        link: ModbusLink,
        unit_id: int,
        hub: EventHub | None = None,
        last_written: dict[str, Any] | None = None,
        *,
        catalogue: Catalogue | None = None,
        write_multiple: bool = False,
        on_readback: Callable[[Reading], object] | None = None,
    ) -> None:
        self.charger_id = charger_id
        self.link = link
        self.unit_id = unit_id
        self.hub = hub
        self.last_written = last_written if last_written is not None else {}
        self.catalogue = catalogue
        self.write_multiple = write_multiple
        self.on_readback = on_readback  # the charger's value right after a write, for the model

    def supports(self, point: PointDef) -> bool:
        """Return True for command points mapped to a writable register or coil."""
        mb = point.modbus
        return (
            mb is not None
            and mb.table.writable
            and mb.access is not Access.READ
            and point.kind.value == "command"
        )

    def ready(self) -> tuple[bool, str]:
        """Return whether the link can take a write now."""
        if self.link.state is LinkState.OFFLINE:
            return False, f"Modbus link offline: {self.link.detail}"
        return True, ""

    def _unit(self, point: PointDef) -> int:
        mb = point.modbus
        assert mb is not None
        return mb.unit_id if mb.unit_id is not None else self.unit_id

    async def _read_words(self, point: PointDef) -> ModbusResult:
        mb = point.modbus
        assert mb is not None
        return await self.link.read(mb.table, mb.address, mb.count, self._unit(point))

    def _log(self, result: ModbusResult, point: PointDef, value: Any) -> None:
        if self.hub is not None and point.modbus is not None:
            self.hub.publish(
                traffic_event(self.charger_id, result, point.modbus.table.value, {point.id: value})
            )

    async def execute(self, point: PointDef, value: Any) -> Outcome:
        """Write the value, then read it back to check the charger took it."""
        mb = point.modbus
        assert mb is not None
        current = None
        if mb.bits is not None:  # a bit field shares its register: keep the other bits
            before = await self._read_words(point)
            if not before.ok:
                return _failed(before, "reading the register before writing its bit field")
            current = before.words
        try:
            words = encode(point, value, current)
        except EncodeError as exc:
            return Outcome(CommandStatus.INVALID, str(exc))
        result = await self.link.write(
            mb.table, mb.address, words, self._unit(point), multiple=self.write_multiple
        )
        self._log(result, point, value)
        if not result.ok:
            return _failed(result, "write")
        self.last_written[point.id] = value
        check = point
        if mb.verify_with and self.catalogue is not None:  # written here, read back there
            check = self.catalogue.get(mb.verify_with) or point
        elif point.value_type is ValueType.ACTION or mb.access is Access.WRITE:
            return Outcome(CommandStatus.ACCEPTED, f"written ({result.rtt_ms:.0f} ms)")
        got: Any = None
        for delay in (VERIFY_DELAY_S, VERIFY_RETRY_S):
            await asyncio.sleep(delay)
            back = await self._read_words(check)
            self._log(back, check, None)
            if not back.ok:
                return _failed(back, "read-back")
            reading = decoded_reading(check, back.words, time.time())
            if self.on_readback is not None:
                self.on_readback(reading)
            got = reading.value
            if same_value(point, value, got):
                return Outcome(
                    CommandStatus.ACCEPTED, f"written and read back ({result.rtt_ms:.0f} ms)"
                )
        return Outcome(
            CommandStatus.VERIFY_MISMATCH,
            f"wrote {value!r}, the charger reads back {got!r}",
            {"written": value, "read_back": got},
        )


def _failed(result: ModbusResult, stage: str) -> Outcome:
    """Turn a failed request into an outcome."""
    if result.exception_code is not None:
        return Outcome(
            CommandStatus.REJECTED,
            f"{stage}: charger answered {result.error}",
            {"exception_code": result.exception_code},
        )
    if result.timed_out:
        return Outcome(CommandStatus.TIMEOUT, f"{stage}: {result.error}")
    if result.offline:
        return Outcome(CommandStatus.UNAVAILABLE, f"{stage}: {result.error}")
    return Outcome(CommandStatus.ERROR, f"{stage}: {result.error}")
