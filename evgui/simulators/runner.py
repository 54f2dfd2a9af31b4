"""A whole simulated charger: session physics, scenario, Modbus face and OCPP face, one clock."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evgui.devices.loader import get_profile
from evgui.devices.profile import Profile
from evgui.simulators.faults import FaultPlan
from evgui.simulators.modbus_face import ChargerDatastore, ModbusFace
from evgui.simulators.ocpp_link import OcppChargePointFace
from evgui.simulators.scenarios import SCENARIOS, ChargeScenario, Scenario
from evgui.simulators.session import ChargerSession, SessionChange

TICK_S = 0.1


@dataclass
class SimConfig:
    """How to run a simulated charger."""

    profile_id: str = "generic-l2"
    modbus_host: str | None = "127.0.0.1"  # None: no Modbus face
    modbus_port: int = 5020
    modbus_framing: str = "tcp"  # "tcp", "rtu-tcp", or "rtu" with serial_port
    serial_port: str | None = None
    unit_id: int | None = None  # None: the profile's default
    ocpp_url: str | None = None  # None: no OCPP face
    ocpp_version: str = "1.6"
    password: str | None = None
    cp_id: str = "SIM001"
    phases: int = 3
    scenario: str = "charge"
    speed: float = 1.0
    seed: int | None = None
    soc: float | None = None
    meter_interval_s: float = 10.0
    voltage_phases: str = "L1-N"
    ocpp_ssl: Any = None
    clock: bool = True  # False: time only moves through advance() (repeatable tests)
    faults: FaultPlan = field(default_factory=FaultPlan)


class SimulatedCharger:
    """Run a charger that behaves like one, on loopback or any address."""

    def __init__(self, config: SimConfig, on_event: Callable[[str], None] | None = None) -> None:
        if config.scenario not in SCENARIOS:
            known = ", ".join(SCENARIOS)
            raise ValueError(f"unknown scenario '{config.scenario}' (known: {known})")
        if config.speed <= 0:
            raise ValueError("speed must be > 0")
        self.config = config
        self.profile: Profile = get_profile(config.profile_id)
        self.faults = config.faults
        self.session = ChargerSession(phases=config.phases, seed=config.seed)
        self.scenario: Scenario = SCENARIOS[config.scenario](self.session)
        if config.soc is not None and isinstance(self.scenario, ChargeScenario):
            self.scenario.soc = config.soc
        self.on_event = on_event or (lambda _text: None)
        self.modbus: ModbusFace | None = None
        self.ocpp: OcppChargePointFace | None = None
        self._tick_task: asyncio.Task[None] | None = None
        self._unsubscribe = self.session.subscribe(self._report)

    @property
    def modbus_port(self) -> int:
        """Return the Modbus TCP port actually bound (after start)."""
        return self.modbus.port if self.modbus else 0

    @property
    def unit_id(self) -> int:
        """Return the unit id the Modbus face answers."""
        if self.config.unit_id is not None:
            return self.config.unit_id
        return self.profile.modbus.unit_id if self.profile.modbus else 1

    async def start(self) -> None:
        """Start the clock, the Modbus server and the OCPP dialler."""
        cfg = self.config
        if cfg.modbus_host is not None and self.profile.modbus is not None:
            serial = self.profile.modbus.serial
            store = ChargerDatastore(
                self.profile, self.session, self.faults.modbus, (self.unit_id,)
            )
            self.modbus = ModbusFace(
                store,
                host=cfg.modbus_host,
                port=cfg.modbus_port,
                framing=cfg.modbus_framing,
                serial_port=cfg.serial_port,
                baudrate=serial.baudrate,
                parity=serial.parity,
                stopbits=serial.stopbits,
            )
            await self.modbus.start()
        if cfg.ocpp_url is not None:
            self.ocpp = self._make_ocpp_face()
            self.ocpp.start()
        if cfg.clock:
            self._tick_task = asyncio.create_task(self._clock(), name="sim-clock")

    def connect_ocpp(self, url: str) -> None:
        """Start dialling a central system (when it was not known at construction)."""
        if self.ocpp is not None:
            raise RuntimeError("the OCPP face is already running")
        self.config.ocpp_url = url
        self.ocpp = self._make_ocpp_face()
        self.ocpp.start()

    def _make_ocpp_face(self) -> OcppChargePointFace:
        """Return the OCPP face for the configured version."""
        cfg = self.config
        assert cfg.ocpp_url is not None
        common: dict[str, Any] = {
            "password": cfg.password,
            "meter_interval_s": cfg.meter_interval_s,
            "on_event": lambda text: self.on_event(f"ocpp: {text}"),
            "ssl": cfg.ocpp_ssl,
        }
        if cfg.ocpp_version == "1.6":
            from evgui.simulators.ocpp16_face import Ocpp16Face

            return Ocpp16Face(
                self.session, self.faults.ocpp, cfg.ocpp_url, cfg.cp_id,
                voltage_phases=cfg.voltage_phases, **common,
            )  # fmt: skip
        if cfg.ocpp_version in ("2.0.1", "201"):
            from evgui.simulators.ocpp201_face import Ocpp201Face

            face: OcppChargePointFace = Ocpp201Face(
                self.session, self.faults.ocpp, cfg.ocpp_url, cfg.cp_id, **common
            )
            return face
        raise ValueError(f"unknown OCPP version '{cfg.ocpp_version}' (1.6 or 2.0.1)")

    async def stop(self) -> None:
        """Stop everything; safe to call twice."""
        task, self._tick_task = self._tick_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.ocpp is not None:
            await self.ocpp.stop()
        if self.modbus is not None:
            await self.modbus.stop()

    async def refuse_modbus(self, refuse: bool) -> None:
        """Stop accepting Modbus connections (refused), or accept them again on the same port."""
        if self.modbus is None:
            return
        if refuse:
            await self.modbus.stop()
        else:
            await self.modbus.start()

    async def _clock(self) -> None:
        """Advance simulated time at `speed` x real time and run the scenario."""
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            self.advance((now - last) * self.config.speed)
            last = now

    def advance(self, seconds: float, step: float = 1.0) -> None:
        """Advance simulated time (in steps, so the scenario sees every stage)."""
        while seconds > 0:
            dt = min(step, seconds)
            self.session.tick(dt)
            self.scenario.step()
            seconds -= dt

    def _report(self, change: SessionChange) -> None:
        """Turn session changes into one human line each."""
        now = self.session.now
        if change.kind == "status":
            error = change.data["error_code"]
            text = f"OCPP status {change.data['status']}" + (
                "" if error == "NoError" else f" ({error})"
            )
        elif change.kind == "iec":
            text = f"pilot {change.data['state']}"
        elif change.kind in ("plugged", "unplugged"):
            text = f"vehicle {change.kind}"
        elif change.kind == "authorize":
            text = f"RFID tag {change.data['tag']} presented"
        elif change.kind == "transaction_started":
            text = f"session started (tag {change.data['tag']})"
        elif change.kind == "transaction_stopped":
            text = f"session stopped ({change.data['reason']})"
        else:
            text = change.kind
        self.on_event(f"t={now:7.1f}s  {text}")
