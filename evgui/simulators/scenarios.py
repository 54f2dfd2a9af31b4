"""Scripted scenarios for the simulated charger (idle, charge, cycle, fault), in simulated time."""

from __future__ import annotations

from collections.abc import Callable

from evgui.simulators.session import ACCEPTED_TAGS, ChargerSession, Vehicle

DEMO_TAG = ACCEPTED_TAGS[0]
PLUG_AT_S = 1.0
TAG_AT_S = 3.0
UNPLUG_AFTER_FULL_S = 20.0
IDLE_BETWEEN_S = 20.0


class Scenario:
    """A script driven by the simulator's tick: `step(session)` after each tick."""

    name = "idle"

    def __init__(self, session: ChargerSession) -> None:
        self.session = session

    def step(self) -> None:
        """Advance the script (nothing happens while idle)."""


class ChargeScenario(Scenario):
    """Plug in, present an accepted tag, charge until the car is full, unplug once."""

    name = "charge"
    repeat = False

    def __init__(self, session: ChargerSession, soc: float = 0.6) -> None:
        super().__init__(session)
        self.soc = soc
        self.cycle_start = 0.0
        self.phase = "wait"
        self.full_since: float | None = None

    def next_soc(self) -> float:
        """Return the state of charge the next car arrives with."""
        return self.soc

    def step(self) -> None:
        """Walk plug -> tag -> charge -> full -> unplug (-> again when repeating)."""
        s = self.session
        t = s.now - self.cycle_start
        if self.phase == "wait" and t >= PLUG_AT_S:
            s.plug(Vehicle(soc=self.next_soc()))
            self.phase = "plugged"
        elif self.phase == "plugged" and t >= TAG_AT_S:
            s.present_tag(DEMO_TAG)
            self.phase = "charging"
        elif self.phase == "charging":
            vehicle = s.vehicle
            done = vehicle is None or vehicle.demand_a() <= 0 or not s.transaction_active
            if vehicle is not None and done and s.session_energy_kwh > 0:
                self.full_since = s.now if self.full_since is None else self.full_since
                if s.now - self.full_since >= UNPLUG_AFTER_FULL_S:
                    s.unplug()
            if s.vehicle is None:  # unplugged by the script or by someone else
                self.full_since = None
                self.phase = "wait" if self.repeat else "done"
                self.cycle_start = s.now + IDLE_BETWEEN_S


class CycleScenario(ChargeScenario):
    """Repeat plug, charge, unplug with a different car each time."""

    name = "cycle"
    repeat = True

    def next_soc(self) -> float:
        """Return a random arrival state of charge (seeded)."""
        return round(self.session.rng.uniform(0.3, 0.9), 2)


class FaultScenario(ChargeScenario):
    """Charge, then inject and clear faults in turn: ground fault, over-temperature, pilot E."""

    name = "fault"
    FAULTS = (
        ("ground_fault", 20.0, 35.0),
        ("over_temperature", 50.0, 65.0),
        ("pilot_e", 80.0, 95.0),
    )
    PERIOD_S = 100.0

    def step(self) -> None:
        """Run the charge script and the fault timetable."""
        super().step()
        t = self.session.now % self.PERIOD_S
        for name, start, end in self.FAULTS:
            active = start <= t < end
            if active != (name in self.session.faults):
                self.session.set_fault(name, active)
                if not active and self.session.vehicle is not None:
                    self.session.present_tag(DEMO_TAG)  # re-authorise after the fault clears


SCENARIOS: dict[str, Callable[[ChargerSession], Scenario]] = {
    "idle": Scenario,
    "charge": ChargeScenario,
    "cycle": CycleScenario,
    "fault": FaultScenario,
}
