"""Fault injection for the simulator's faces (settable from the CLI and from tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ModbusFaults:
    """Ways the simulated Modbus server misbehaves."""

    delay_ms: float = 0.0  # answer every request late
    drop_every: int = 0  # swallow the answer to every Nth request
    exception_code: int = 0  # answer every request with this Modbus exception
    silent: bool = False  # read requests, answer nothing
    unimplemented: set[int] = field(default_factory=set)  # register addresses that do not exist
    ignore_writes: bool = False  # acknowledge writes but keep the old value (read-back mismatch)
    requests: int = 0  # requests seen (for drop_every)


@dataclass
class OcppFaults:
    """Ways the simulated OCPP charge point misbehaves."""

    reject: set[str] = field(default_factory=set)  # actions answered with Rejected / CallError
    delay_ms: float = 0.0  # answer the central system's calls late
    offline: bool = False  # stay disconnected (do not reconnect)


@dataclass
class FaultPlan:
    """All injected faults of one simulated charger."""

    modbus: ModbusFaults = field(default_factory=ModbusFaults)
    ocpp: OcppFaults = field(default_factory=OcppFaults)

    def clear(self) -> None:
        """Remove every fault, in place (the faces hold these objects)."""
        for target, fresh in ((self.modbus, ModbusFaults()), (self.ocpp, OcppFaults())):
            for name in fresh.__dataclass_fields__:
                if name != "requests":
                    setattr(target, name, getattr(fresh, name))
