"""One Modbus client per physical link (the only transport module that imports pymodbus).

A link serialises requests behind one lock, keeps a minimum gap between them when a charger
needs one, reconnects with exponential backoff, and publishes a link state: connecting, online,
degraded (some requests fail), offline (connection refused or lost, or 3 silent requests in a row).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerType

from evgui.core.events import LinkState
from evgui.core.points import Table
from evgui.transports.modbus.url import LinkConfig

log = logging.getLogger(__name__)

EXCEPTION_MEANINGS = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}
READ_FUNCTIONS = {Table.COIL: 1, Table.DISCRETE: 2, Table.HOLDING: 3, Table.INPUT: 4}
FUNCTION_NAMES = {1: "read coils", 2: "read discrete inputs", 3: "read holding registers",
                  4: "read input registers", 5: "write single coil", 6: "write single register",
                  15: "write multiple coils", 16: "write multiple registers"}  # fmt: skip
OFFLINE_AFTER_FAILURES = 3
HEALTH_WINDOW = 10
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0

StateListener = Callable[[LinkState, str], None]


def exception_text(code: int) -> str:
    """Return 'exception 2 (illegal data address)'."""
    return f"exception {code} ({EXCEPTION_MEANINGS.get(code, 'unknown')})"


@dataclass(slots=True)
class ModbusResult:
    """What one request did: the words read, or why it failed."""

    function: int
    unit: int
    address: int
    count: int
    words: list[int] = field(default_factory=list)
    exception_code: int | None = None
    error: str | None = None
    timed_out: bool = False
    offline: bool = False
    rtt_ms: float = 0.0
    ts: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        """Return True when the charger answered with data."""
        return self.error is None

    @property
    def refused(self) -> bool:
        """Return True when the charger refused the addresses (exception 2 or 3)."""
        return self.exception_code in (2, 3)

    @property
    def function_name(self) -> str:
        """Return the Modbus function's name."""
        return FUNCTION_NAMES.get(self.function, f"function {self.function}")


def _raise_if_cancelled() -> None:
    """Re-raise a cancellation that asyncio.wait_for swallowed.

    Python 3.11's wait_for loses a cancel() that lands as the inner call finishes (a refused
    connect does so at once): the poller would then sleep on and never stop. Python 3.12
    fixed wait_for; Task.cancelling() still knows, so honour it here.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class ModbusLink:
    """A pymodbus client with one lock, backoff, a minimum request gap and a link state."""

    def __init__(
        self,
        config: LinkConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        offline_after: int = OFFLINE_AFTER_FAILURES,
    ) -> None:
        self.config = config
        self.clock = clock
        self.offline_after = offline_after  # silent requests in a row before the link is offline
        self.state = LinkState.CONNECTING
        self.detail = ""
        self.requests = 0
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[StateListener] = []
        self._failures = 0
        self._recent: deque[bool] = deque(maxlen=HEALTH_WINDOW)
        self._backoff = BACKOFF_FIRST_S
        self._next_attempt = 0.0
        self._last_request_end = 0.0
        self._offline_since: float | None = None

    # ------------------------------------------------------------------ state

    def add_state_listener(self, listener: StateListener) -> Callable[[], None]:
        """Call listener(state, detail) on every transition; return the remover."""
        self._listeners.append(listener)
        listener(self.state, self.detail)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _set_state(self, state: LinkState, detail: str) -> None:
        """Publish a transition; an outage is logged once, and its end once."""
        if state is self.state and detail == self.detail:
            return
        previous = self.state
        self.state, self.detail = state, detail
        if state is LinkState.OFFLINE and previous is not LinkState.OFFLINE:
            self._offline_since = self.clock()
            log.info("modbus %s offline: %s", self.config.describe(), detail)
        elif previous is LinkState.OFFLINE and state is not LinkState.OFFLINE:
            lasted = self.clock() - (self._offline_since or self.clock())
            log.info("modbus %s back after %.1f s", self.config.describe(), lasted)
        for listener in tuple(self._listeners):
            listener(state, detail)

    def _record(self, ok: bool, why: str = "") -> None:
        """Update the health window and the state after a request."""
        self._recent.append(ok)
        if ok:
            self._failures = 0
            self._backoff = BACKOFF_FIRST_S
            if all(self._recent) or len(self._recent) < 2:
                self._set_state(LinkState.ONLINE, "")
            else:
                failed = self._recent.count(False)
                self._set_state(
                    LinkState.DEGRADED, f"{failed} of the last {len(self._recent)} requests failed"
                )
            return
        self._failures += 1
        if self._failures >= self.offline_after:
            self._go_offline(why)
        else:
            self._set_state(LinkState.DEGRADED, why)

    def _go_offline(self, why: str) -> None:
        """Drop the connection and schedule the next attempt with exponential backoff."""
        self._drop_client()
        self._next_attempt = self.clock() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX_S)
        self._recent.clear()
        self._set_state(LinkState.OFFLINE, why)

    # ------------------------------------------------------------- connection

    def _make_client(self) -> AsyncModbusTcpClient | AsyncModbusSerialClient:
        """Create the pymodbus client (its own reconnect is off: this link owns backoff)."""
        cfg = self.config
        common: dict[str, Any] = {"timeout": cfg.timeout_s, "retries": 0, "reconnect_delay": 0}
        if cfg.kind == "rtu":
            return AsyncModbusSerialClient(
                cfg.serial_port,
                framer=FramerType.RTU,
                baudrate=cfg.baudrate,
                parity=cfg.parity,
                stopbits=cfg.stopbits,
                bytesize=cfg.bytesize,
                **common,
            )
        framer = FramerType.RTU if cfg.kind == "rtu-tcp" else FramerType.SOCKET
        return AsyncModbusTcpClient(cfg.host, port=cfg.port, framer=framer, **common)

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    async def _ensure_connected(self) -> str | None:
        """Connect if needed; return why not (None when connected)."""
        if self._client is not None and self._client.connected:
            return None
        now = self.clock()
        if now < self._next_attempt:
            return f"{self.detail or 'offline'} (next try in {self._next_attempt - now:.1f} s)"
        self._drop_client()
        if self.state not in (LinkState.OFFLINE, LinkState.DEGRADED):
            self._set_state(LinkState.CONNECTING, f"connecting to {self.config.describe()}")
        client = self._make_client()
        try:
            connected = await asyncio.wait_for(client.connect(), self.config.timeout_s + 1.0)
        except (TimeoutError, OSError, ModbusException) as exc:
            connected, reason = False, f"{type(exc).__name__}: {exc}"
        else:
            reason = "connection refused or no route" if not connected else ""
        if not connected:
            with contextlib.suppress(Exception):
                client.close()
            self._go_offline(f"cannot connect to {self.config.describe()}: {reason}")
            return self.detail
        self._client = client
        return None

    async def close(self) -> None:
        """Close the connection (a later request reconnects)."""
        async with self._lock:
            self._drop_client()

    # ---------------------------------------------------------------- requests

    async def read(self, table: Table, address: int, count: int, unit: int) -> ModbusResult:
        """Read registers or bits; the result says what was read or why not."""
        function = READ_FUNCTIONS[table]
        return await self._request(function, unit, address, count, None)

    async def read_any(self, unit: int) -> ModbusResult:
        """Ask a unit id for holding register 0 (for scan: even an exception reply is a device)."""
        return await self._request(3, unit, 0, 1, None)

    async def write(
        self,
        table: Table,
        address: int,
        values: Sequence[int],
        unit: int,
        *,
        multiple: bool = False,
    ) -> ModbusResult:
        """Write registers or coils; `multiple` forces function 15/16 for chargers that need it."""
        single = len(values) == 1 and not multiple
        if table is Table.COIL:
            function = 5 if single else 15
        elif table is Table.HOLDING:
            function = 6 if single else 16
        else:
            raise ValueError(f"a {table.value} table cannot be written")
        return await self._request(function, unit, address, len(values), list(values))

    async def _request(
        self, function: int, unit: int, address: int, count: int, values: list[int] | None
    ) -> ModbusResult:
        """Run one request under the lock, with retries on silence."""
        result = ModbusResult(function, unit, address, count)
        async with self._lock:
            why = await self._ensure_connected()
            if why is not None:
                result.error, result.offline = why, True
                return result
            gap = self.config.min_gap_ms / 1000.0 - (self.clock() - self._last_request_end)
            if gap > 0:
                await asyncio.sleep(gap)
            for attempt in range(self.config.retries + 1):
                started = self.clock()
                await self._exchange(result, values)
                result.rtt_ms = (self.clock() - started) * 1000.0
                self._last_request_end = self.clock()
                self.requests += 1
                if not result.timed_out:
                    break
                await self._forget_late_answer()
                if attempt == self.config.retries:
                    break
                result.error, result.timed_out = None, False
                if (why := await self._ensure_connected()) is not None:
                    result.error, result.offline = why, True
                    break
            if result.offline:
                self._go_offline(result.error or "connection lost")
            elif result.timed_out:
                self._record(
                    False, f"no answer from unit {unit} within {self.config.timeout_s:g} s"
                )
            else:
                self._record(True)  # data or a Modbus exception: the charger is there
        _raise_if_cancelled()
        return result

    async def _forget_late_answer(self) -> None:
        """Make sure an answer that arrives after its timeout is not taken for the next one.

        TCP: reconnect (a late reply on the old socket then goes nowhere; matching transaction
        ids is not enough: pymodbus fails the next request on the mismatch). RTU has no
        transaction id at all, so wait out the late frame before the next request.
        """
        if self.config.kind == "rtu":
            await asyncio.sleep(self.config.timeout_s / 2)
        else:
            self._drop_client()

    async def _exchange(self, result: ModbusResult, values: list[int] | None) -> None:
        """Send one request and fill in the result."""
        client = self._client
        assert client is not None
        fc, unit, address, count = result.function, result.unit, result.address, result.count
        try:
            if fc == 1:
                reply = await client.read_coils(address, count=count, device_id=unit)
            elif fc == 2:
                reply = await client.read_discrete_inputs(address, count=count, device_id=unit)
            elif fc == 3:
                reply = await client.read_holding_registers(address, count=count, device_id=unit)
            elif fc == 4:
                reply = await client.read_input_registers(address, count=count, device_id=unit)
            elif fc == 5:
                assert values is not None
                reply = await client.write_coil(address, bool(values[0]), device_id=unit)
            elif fc == 15:
                assert values is not None
                reply = await client.write_coils(address, [bool(v) for v in values], device_id=unit)
            elif fc == 6:
                assert values is not None
                reply = await client.write_register(address, values[0], device_id=unit)
            else:
                assert values is not None
                reply = await client.write_registers(address, values, device_id=unit)
        except ConnectionException as exc:
            result.error, result.offline = f"connection lost: {exc}", True
            return
        except (ModbusException, TimeoutError) as exc:
            if self._client is None or not self._client.connected:
                result.error, result.offline = f"connection lost: {exc}", True
            else:
                result.error, result.timed_out = (
                    f"no answer within {self.config.timeout_s:g} s",
                    True,
                )
            return
        except OSError as exc:
            result.error, result.offline = f"connection lost: {exc}", True
            return
        if reply.isError():
            code = int(getattr(reply, "exception_code", 0))
            result.exception_code = code
            result.error = exception_text(code)
        elif fc in (1, 2):
            result.words = [int(b) for b in reply.bits[:count]]
        elif fc in (3, 4):
            result.words = list(reply.registers)
            if len(result.words) != count:
                result.error = f"asked {count} registers, got {len(result.words)}"
        else:
            result.words = list(values or [])


class LinkPool:
    """Share one ModbusLink per physical link (several unit ids on one RS-485 bus or gateway)."""

    def __init__(self) -> None:
        self._links: dict[tuple[Any, ...], tuple[ModbusLink, int]] = {}

    def acquire(self, config: LinkConfig) -> ModbusLink:
        """Return the link for this physical address, creating it on first use."""
        key = config.physical_key
        link, users = self._links.get(key, (None, 0))
        if link is None:
            link = ModbusLink(config)
        self._links[key] = (link, users + 1)
        return link

    async def release(self, link: ModbusLink) -> None:
        """Give a link back; the last user closes it."""
        key = link.config.physical_key
        held, users = self._links.get(key, (None, 0))
        if held is not link:
            return
        if users <= 1:
            del self._links[key]
            await link.close()
        else:
            self._links[key] = (link, users - 1)
