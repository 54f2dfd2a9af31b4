"""The simulated charge point's websocket link: dial the central system, reconnect with backoff.

Version-specific faces (1.6J, 2.0.1) subclass `OcppChargePointFace` and provide the protocol.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, WebSocketException

from evgui import __version__
from evgui.core.tasks import BackgroundTasks
from evgui.simulators.faults import OcppFaults
from evgui.simulators.session import ChargerSession, SessionChange

log = logging.getLogger(__name__)

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
IDENTITY = {
    "vendor": "evgui",
    "model": "SimCharger L2",
    "serial": "SIM-0001",
    "firmware": f"evgui-sim {__version__}",
}


class Sample(NamedTuple):
    """One measurand of a meter reading, before the OCPP version formats it."""

    measurand: str
    value: float
    unit: str | None
    phase: str | None = None
    location: str | None = None
    decimals: int = 1


def meter_samples(
    session: ChargerSession, wanted: set[str], voltage_phases: str = "L1-N"
) -> list[Sample]:
    """Return the session's measurands that are wanted (OCPP measurand names)."""
    s = session
    suffix = "-N" if voltage_phases == "L1-N" else ""
    samples = [
        Sample("Energy.Active.Import.Register", s.meter_wh, "Wh", decimals=0),
        Sample("Power.Active.Import", s.power_kw() * 1000.0, "W"),
        *(Sample("Voltage", s.voltage_v[n], "V", f"L{n + 1}{suffix}") for n in range(s.phases)),
        *(
            Sample("Current.Import", s.current_a[n], "A", f"L{n + 1}", decimals=2)
            for n in range(s.phases)
        ),
        Sample("Current.Offered", s.offered_a(), "A"),
        Sample("Temperature", s.temperature_c, "Celsius", location="Body"),
        Sample("Frequency", s.frequency_hz, None, decimals=2),
        Sample("Power.Factor", s.power_factor, None, decimals=3),
    ]
    if s.vehicle is not None:
        samples.append(Sample("SoC", s.vehicle.soc * 100.0, "Percent", location="EV", decimals=0))
    return [x for x in samples if x.measurand in wanted]


def utc_now() -> str:
    """Return the current UTC time as OCPP writes it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def basic_auth_header(user: str, password: str) -> str:
    """Return an HTTP Basic Authorization header value (OCPP security profile 1)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


class OcppChargePointFace:
    """Dial the central system as one charge point and keep the link up."""

    subprotocol = "ocpp1.6"

    def __init__(
        self,
        session: ChargerSession,
        faults: OcppFaults,
        url: str,
        cp_id: str,
        *,
        password: str | None = None,
        meter_interval_s: float = 10.0,
        on_event: Callable[[str], None] | None = None,
        ssl: Any = None,
    ) -> None:
        self.session = session
        self.faults = faults
        self.url = url.rstrip("/") + "/" + cp_id
        self.cp_id = cp_id
        self.password = password
        self.meter_interval_s = meter_interval_s
        self.heartbeat_s = 60.0
        self.on_event = on_event or (lambda _text: None)
        self.ssl = ssl
        self.connected = asyncio.Event()
        self.boots = 0
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._changes: asyncio.Queue[SessionChange] = asyncio.Queue(maxsize=1000)
        self._unsubscribe: Callable[[], None] | None = None
        self._conn_tasks = BackgroundTasks(on_error=self.on_event)

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start dialling in the background."""
        self._unsubscribe = self.session.subscribe(self._queue_change)
        self._task = asyncio.create_task(self._run(), name=f"sim-ocpp-{self.cp_id}")

    async def stop(self) -> None:
        """Hang up and stop reconnecting."""
        if self._unsubscribe:
            self._unsubscribe()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.session.ocpp_connected = False
        self.session.external_authorizer = False

    async def drop_connection(self) -> None:
        """Close the websocket now (fault injection and Reset); the loop dials again."""
        if self._ws is not None:
            await self._ws.close(1012, "restart")

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run work for the current connection; it is cancelled when the connection ends.

        The `ocpp` library starts `@after` coroutines with an untracked ensure_future, so they
        outlive their connection; the faces' @after hooks are plain functions that call this.
        """
        self._conn_tasks.spawn(coro)

    def _queue_change(self, change: SessionChange) -> None:
        """Forward session changes to the sender task (dropped while offline)."""
        if self.connected.is_set():
            with contextlib.suppress(asyncio.QueueFull):
                self._changes.put_nowait(change)

    async def _run(self) -> None:
        """Connect, serve, and reconnect with exponential backoff."""
        backoff = BACKOFF_FIRST_S
        while True:
            if self.faults.offline:
                await asyncio.sleep(0.2)
                continue
            headers = {}
            if self.password is not None:
                headers["Authorization"] = basic_auth_header(self.cp_id, self.password)
            try:
                async with connect(
                    self.url,
                    subprotocols=[self.subprotocol],  # type: ignore[list-item]
                    additional_headers=headers,
                    open_timeout=10,
                    proxy=None,
                    ssl=self.ssl,
                    max_size=8 * 2**20,
                ) as ws:
                    backoff = BACKOFF_FIRST_S
                    self._ws = ws
                    await self._serve(ws)
            except asyncio.CancelledError:
                raise
            except InvalidStatus as exc:
                self.on_event(f"refused by central system: HTTP {exc.response.status_code}")
            except (OSError, InvalidHandshake, WebSocketException, TimeoutError) as exc:
                self.on_event(f"link down: {type(exc).__name__}: {exc}")
            finally:
                self._ws = None
                self._set_connected(False)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)

    async def _serve(self, ws: ClientConnection) -> None:
        """Run one connection: the reader, the boot sequence, then the periodic senders."""
        cp = self.make_charge_point(ws)
        reader = asyncio.create_task(cp.start(), name=f"sim-ocpp-read-{self.cp_id}")
        workers: list[asyncio.Task[None]] = []
        try:
            await self._race(reader, self.boot(cp))
            self.boots += 1
            self._set_connected(True)
            self.on_event("connected and booted")
            await self._race(reader, self.after_boot(cp))
            workers = [
                asyncio.create_task(self._every(lambda: self.heartbeat_s, self.heartbeat, cp)),
                asyncio.create_task(
                    self._every(lambda: self.meter_interval_s, self.send_meter_values, cp)
                ),
                asyncio.create_task(self._pump_changes(cp)),
            ]
            await reader
        finally:
            await self._conn_tasks.cancel_all()
            for task in [*workers, reader]:
                task.cancel()
            for task in [*workers, reader]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    @staticmethod
    async def _race(reader: asyncio.Task[None], work: Awaitable[Any]) -> None:
        """Await work, but give up when the connection's reader ends first (or on cancel)."""
        job = asyncio.ensure_future(work)
        try:
            done, _ = await asyncio.wait({reader, job}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not job.done():
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job
        if job not in done:
            await reader  # re-raise why the connection ended
        job.result()

    def _set_connected(self, up: bool) -> None:
        """Update the session's view of the backend link."""
        if up:
            self.connected.set()
        else:
            self.connected.clear()
        self.session.ocpp_connected = up
        self.session.external_authorizer = up

    async def _every(
        self, period: Callable[[], float], send: Callable[[Any], Awaitable[None]], cp: Any
    ) -> None:
        """Call send(cp) every period() seconds."""
        while True:
            await asyncio.sleep(max(period(), 0.05))
            await send(cp)

    async def _pump_changes(self, cp: Any) -> None:
        """Send session changes to the central system, in order."""
        while True:
            change = await self._changes.get()
            try:
                await self.on_change(cp, change)
            except (TimeoutError, WebSocketException):
                raise
            except Exception as exc:  # a rejected call must not end the link
                self.on_event(
                    f"{change.kind} not delivered: {type(exc).__name__}: {str(exc)[:200]}"
                )

    async def fault_delay(self) -> None:
        """Apply the injected answer delay."""
        if self.faults.delay_ms > 0:
            await asyncio.sleep(self.faults.delay_ms / 1000.0)

    async def refuses(self, action: str) -> bool:
        """Apply the injected delay; return True when this action must be rejected."""
        await self.fault_delay()
        return action in self.faults.reject

    def request_reconnect(self) -> None:
        """Close and re-dial soon (used by Reset)."""
        asyncio.get_running_loop().call_later(
            0.2, lambda: asyncio.ensure_future(self.drop_connection())
        )

    # ---------------------------------------------------- version-specific parts

    def make_charge_point(self, ws: ClientConnection) -> Any:
        """Return the `ocpp` ChargePoint object for this connection."""
        raise NotImplementedError

    async def boot(self, cp: Any) -> None:
        """Send BootNotification until accepted."""
        raise NotImplementedError

    async def after_boot(self, cp: Any) -> None:
        """Send the initial status notifications."""
        raise NotImplementedError

    async def heartbeat(self, cp: Any) -> None:
        """Send a Heartbeat."""
        raise NotImplementedError

    async def send_meter_values(self, cp: Any) -> None:
        """Send the configured meter values."""
        raise NotImplementedError

    async def on_change(self, cp: Any, change: SessionChange) -> None:
        """Report one session change to the central system."""
        raise NotImplementedError
