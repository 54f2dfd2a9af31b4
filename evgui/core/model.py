"""The charger model: latest value per point and per source, a merged view, derived points."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import replace

from evgui.core.events import EventHub, IdentityEvent, Level, LinkEvent, LinkState, ReadingsEvent
from evgui.core.points import Catalogue, PointDef, PointKind
from evgui.core.reading import Quality, Reading, Source, Value
from evgui.core.series import SeriesStore
from evgui.core.state import StateInputs, cable_state, vehicle_state

STALE_AFTER_PERIODS = 3
_LINK_SOURCES = {"modbus": Source.MODBUS, "ocpp": Source.OCPP, "bacnet": Source.BACNET}
_RANK = {Quality.GOOD: 3, Quality.OUT_OF_RANGE: 3, Quality.STALE: 2, Quality.BAD: 1}


def _fmt_time(ts: float) -> str:
    """Format an epoch time as HH:MM:SS local time."""
    return time.strftime("%H:%M:%S", time.localtime(ts))


class ChargerModel:
    """Everything known about one charger, fed by transports, observed by the UI."""

    def __init__(
        self,
        charger_id: str,
        catalogue: Catalogue,
        *,
        hub: EventHub | None = None,
        e_while_idle: bool = False,
        clock: Callable[[], float] = time.time,
        series_capacity: int = 86_400,
    ) -> None:
        self.charger_id = charger_id
        self.catalogue = catalogue
        self.hub = hub or EventHub()
        self.e_while_idle = e_while_idle
        self.clock = clock
        self.series = SeriesStore(series_capacity)
        self.identity: dict[str, str] = {}
        self._by_source: dict[str, dict[Source, Reading]] = {}
        self._merged: dict[str, Reading] = {}
        self._links: dict[str, tuple[LinkState, str]] = {}
        self._source_period: dict[Source, float] = {}

    # ------------------------------------------------------------------ queries

    def latest(self, point_id: str, source: Source | None = None) -> Reading | None:
        """Return the merged reading of a point, or the reading of one source."""
        point = self.catalogue.get(point_id)
        pid = point.id if point else point_id
        if source is None:
            return self._merged.get(pid)
        return self._by_source.get(pid, {}).get(source)

    def value(self, point_id: str) -> Value:
        """Return the merged value of a point when usable, else None."""
        reading = self.latest(point_id)
        return reading.value if reading is not None and reading.usable else None

    def by_source(self, point_id: str) -> dict[Source, Reading]:
        """Return the latest reading of a point from each source (Modbus vs OCPP)."""
        return dict(self._by_source.get(point_id, {}))

    def snapshot(self) -> dict[str, Reading]:
        """Return the merged view: the best current reading of every point."""
        return dict(self._merged)

    def link_state(self, link: str) -> tuple[LinkState, str]:
        """Return a link's state and detail."""
        return self._links.get(link, (LinkState.UNCONFIGURED, ""))

    @property
    def links(self) -> dict[str, tuple[LinkState, str]]:
        """Return every link's state."""
        return dict(self._links)

    # ----------------------------------------------------------------- updates

    def set_source_period(self, source: Source, seconds: float) -> None:
        """Declare how often a source refreshes (e.g. the OCPP meter sample interval)."""
        self._source_period[source] = seconds

    def apply(self, readings: Iterable[Reading]) -> list[Reading]:
        """Store readings, flag out-of-range values, update derived points; publish one event."""
        changed: list[Reading] = []
        for incoming in readings:
            point = self.catalogue.get(incoming.point_id)
            if point is None:
                continue  # a transport may know points this profile lacks
            if point.id != incoming.point_id:
                incoming = replace(incoming, point_id=point.id)  # noqa: PLW2901 (Jeedom alias)
            reading = self._flag_range(point, incoming)
            self._by_source.setdefault(point.id, {})[reading.source] = reading
            merged = self._merge(point.id)
            if merged is not None:
                changed.append(merged)
                self._record(point, merged)
        changed += self._derive()
        if changed:
            self.hub.publish(ReadingsEvent(self.charger_id, tuple(changed)))
        return changed

    def set_link(self, link: str, state: LinkState, detail: str = "") -> None:
        """Record a link's state; an offline link marks that source's values stale."""
        previous = self._links.get(link)
        if previous == (state, detail):
            return
        self._links[link] = (state, detail)
        self.hub.publish(LinkEvent(self.charger_id, link, state, detail))
        if previous is None or previous[0] is not state:
            level = Level.WARNING if state is LinkState.OFFLINE else Level.INFO
            text = f"{link} {state.value}" + (f": {detail}" if detail else "")
            self.hub.log(self.charger_id, level, text)
        source = _LINK_SOURCES.get(link)
        if state is LinkState.OFFLINE and source is not None:
            since = _fmt_time(self.clock())
            self._mark_stale(lambda r: r.source is source, f"{link} link offline since {since}")

    def set_identity(self, **fields: str) -> None:
        """Record what the charger says about itself (vendor, model, serial, firmware)."""
        update = {k: v for k, v in fields.items() if v}
        if update and any(self.identity.get(k) != v for k, v in update.items()):
            self.identity.update(update)
            self.hub.publish(IdentityEvent(self.charger_id, dict(self.identity)))

    def refresh_staleness(self, now: float | None = None) -> list[Reading]:
        """Mark values stale that missed 3 periods; return the merged readings that changed."""
        now = self.clock() if now is None else now

        def expired(r: Reading) -> bool:
            point = self.catalogue.get(r.point_id)
            if point is None or point.period_s is None or point.derived:
                return False
            period = max(point.period_s, self._source_period.get(r.source, 0.0))
            if math.isinf(period):
                return False
            return now - r.ts > STALE_AFTER_PERIODS * period

        return self._mark_stale(expired, None)

    # ---------------------------------------------------------------- internals

    def _mark_stale(self, which: Callable[[Reading], bool], reason: str | None) -> list[Reading]:
        """Turn matching good readings stale, re-merge, and publish what changed."""
        changed: list[Reading] = []
        for pid, sources in self._by_source.items():
            touched = False
            for source, reading in list(sources.items()):
                if reading.quality in (Quality.GOOD, Quality.OUT_OF_RANGE) and which(reading):
                    why = reason or f"no update since {_fmt_time(reading.ts)}"
                    # not a new receipt: the latency of showing it is not measured
                    stale = replace(reading, quality=Quality.STALE, reason=why, received=None)
                    sources[source] = stale
                    touched = True
            if touched:
                merged = self._merge(pid)
                if merged is not None:
                    changed.append(merged)
        if changed:
            changed += self._derive()
            self.hub.publish(ReadingsEvent(self.charger_id, tuple(changed)))
        return changed

    def _flag_range(self, point: PointDef, reading: Reading) -> Reading:
        """Flag a good numeric value outside the point's typical range."""
        if reading.quality is Quality.GOOD and not point.in_range(reading.value):
            return reading.with_quality(
                Quality.OUT_OF_RANGE, f"outside the typical range {point.range_text()}"
            )
        return reading

    def _merge(self, point_id: str) -> Reading | None:
        """Pick the best reading among sources (usable over stale over bad, then newest)."""
        candidates = self._by_source.get(point_id)
        if not candidates:
            return None
        best = max(candidates.values(), key=lambda r: (_RANK[r.quality], r.ts))
        if self._merged.get(point_id) == best:
            return None
        self._merged[point_id] = best
        return best

    def _record(self, point: PointDef, reading: Reading) -> None:
        """Append numeric measures to their trend series."""
        value = reading.value
        if (
            point.kind is PointKind.MEASURE
            and reading.usable
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            self.series.append(point.id, reading.ts, float(value))

    def _input(self, point_id: str) -> tuple[Value, bool]:
        """Return a merged value for the derivation and whether it is stale."""
        reading = self._merged.get(point_id)
        if reading is None or reading.value is None or reading.quality is Quality.BAD:
            return None, False
        return reading.value, reading.quality is Quality.STALE

    def _derive(self) -> list[Reading]:
        """Recompute the derived points; return those whose value or quality changed."""
        inputs = {pid: self._input(pid) for pid in (
            "iec_state", "ocpp_status", "cable_connected", "energy_delivered", "active_power",
            "charge_enable", "charger_status", "connector_status", "session_status",
            "ground_fault", "cable_locked", "cable_locked_permanently",
        )}  # fmt: skip
        # One link down, another still reporting (Modbus offline, OCPP connected): derive from
        # the fresh values only, and the result is fresh. All stale: keep the last picture, stale.
        fresh = any(v is not None and not was_stale for v, was_stale in inputs.values())
        values: dict[str, Value] = {
            pid: None if fresh and was_stale else v for pid, (v, was_stale) in inputs.items()
        }
        stale = not fresh and any(v is not None for v in values.values())
        derived: list[tuple[str, int | None]] = []
        if "state" in self.catalogue:
            derived.append(("state", self._vehicle_state(values)))
        if "cable_state" in self.catalogue:
            locked, permanent = values["cable_locked"], values["cable_locked_permanently"]
            derived.append(
                (
                    "cable_state",
                    cable_state(
                        None if locked is None else bool(locked),
                        None if permanent is None else bool(permanent),
                    ),
                )
            )
        now = self.clock()
        out: list[Reading] = []
        for pid, code in derived:
            point = self.catalogue[pid]
            entry = point.enum_by_code(code) if code is not None else None
            reading = Reading(
                pid,
                entry.label if entry else None,
                "",
                now,
                Source.DERIVED,
                Quality.STALE if stale else Quality.GOOD,
                "derived from stale values" if stale else None,
                raw=code,
            )
            old = self._merged.get(pid)
            if old is not None and (old.raw, old.quality) == (reading.raw, reading.quality):
                continue
            if old is None and code is None:
                continue
            self._by_source.setdefault(pid, {})[Source.DERIVED] = reading
            self._merged[pid] = reading
            out.append(reading)
        return out

    def _vehicle_state(self, v: dict[str, Value]) -> int | None:
        """Apply the vehicle-state rules to the merged values."""
        iec_label = v["iec_state"]
        device_state = iec = None
        if isinstance(iec_label, str) and "iec_state" in self.catalogue:
            entry = self.catalogue["iec_state"].enum_by_label(iec_label)
            if entry is not None:
                device_state, iec = entry.vehicle_state, entry.iec
        power = _float(v["active_power"])
        status, power_reading = self._merged.get("ocpp_status"), self._merged.get("active_power")
        if status is not None and power_reading is not None and power_reading.ts < status.ts:
            power = None  # measured before the status changed: it cannot contradict the status
        verdict = vehicle_state(
            StateInputs(
                device_state=device_state,
                iec=iec,
                ocpp_status=_str(v["ocpp_status"]),
                cable_connected=_bool(v["cable_connected"]),
                energy_kwh=_float(v["energy_delivered"]),
                power_kw=power,
                charge_enable=_bool(v["charge_enable"]),
                charger_status=_str(v["charger_status"]),
                connector_status=_str(v["connector_status"]),
                session_status=_str(v["session_status"]),
                ground_fault=_bool(v["ground_fault"]),
            ),
            e_while_idle=self.e_while_idle,
        )
        return verdict.state if verdict else None


def _str(value: Value) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Value) -> bool | None:
    return value if isinstance(value, bool) else None


def _float(value: Value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
