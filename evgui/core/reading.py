"""Readings: one value of one point from one source, with its quality."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

Value = float | int | bool | str | None


class Quality(StrEnum):
    """How far a value can be trusted."""

    GOOD = "good"
    STALE = "stale"  # not refreshed for 3 periods, or its link is down: last value kept
    BAD = "bad"  # the charger said "no value", refused the read, or sent garbage
    OUT_OF_RANGE = "out-of-range"  # decoded fine but outside the typical range


class Source(StrEnum):
    """Where a reading came from."""

    MODBUS = "modbus"
    OCPP = "ocpp"
    BACNET = "bacnet"
    SIMULATOR = "simulator"
    DERIVED = "derived"


@dataclass(frozen=True, slots=True)
class Reading:
    """A value of a point at a time, from a source."""

    point_id: str
    value: Value
    unit: str
    ts: float  # seconds since the epoch
    source: Source
    quality: Quality = Quality.GOOD
    reason: str | None = None  # why the quality is not good
    raw: Any = None  # the undecoded wire value, for logs and tooltips
    received: float | None = None  # monotonic receipt time, for latency measurement

    @property
    def usable(self) -> bool:
        """Return True when the value may be shown as current (good or out-of-range)."""
        return self.value is not None and self.quality in (Quality.GOOD, Quality.OUT_OF_RANGE)

    def with_quality(self, quality: Quality, reason: str | None = None) -> Reading:
        """Return a copy with another quality and reason."""
        return replace(self, quality=quality, reason=reason)

    def to_json(self, jeedom: str | None = None) -> dict[str, Any]:
        """Return the reading as a JSON object (CLI and logs)."""
        return {
            "id": self.point_id,
            "jeedom": jeedom,
            "value": self.value,
            "unit": self.unit or None,
            "quality": self.quality.value,
            "source": self.source.value,
            "ts": round(self.ts, 3),
            **({"reason": self.reason} if self.reason else {}),
        }
