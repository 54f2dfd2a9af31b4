"""Group a profile's points into as few Modbus requests as possible, per poll period."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from evgui.core.points import Access, PointDef, Table, ValueType
from evgui.devices.profile import ModbusSettings, ReadStrategy

MAX_BITS = 2000
ONCE = math.inf


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: a contiguous range of one table and unit id, and the points inside."""

    table: Table
    unit_id: int | None
    start: int
    count: int
    points: tuple[PointDef, ...]

    @property
    def end(self) -> int:
        """Return the address after the last register."""
        return self.start + self.count

    def words_of(self, point: PointDef, words: list[int]) -> list[int]:
        """Return a point's slice of the block's words."""
        mb = point.modbus
        assert mb is not None
        offset = mb.address - self.start
        return words[offset : offset + mb.count]


def readable_points(points: Iterable[PointDef]) -> list[PointDef]:
    """Return the points a poller reads (mapped, not write-only, not actions)."""
    return [
        p
        for p in points
        if p.modbus is not None
        and p.modbus.access is not Access.WRITE
        and p.value_type is not ValueType.ACTION
    ]


def poll_period(point: PointDef, settings: ModbusSettings) -> float:
    """Return how often a point is read: its period, the event fallback, or once."""
    if point.period_s is None:
        return settings.event_poll_s
    return point.period_s


def plan_blocks(
    points: Iterable[PointDef],
    settings: ModbusSettings,
    *,
    isolated: frozenset[str] = frozenset(),
) -> list[Block]:
    """Merge points into blocks: same table and unit, gaps <= max_gap, size <= max_block.

    Points in `isolated` (a charger refused a block around them) are always read alone, and so
    are all points when the profile's read strategy is per_point.
    """
    groups: dict[tuple[Table, int | None], list[PointDef]] = {}
    for point in readable_points(points):
        mb = point.modbus
        assert mb is not None
        groups.setdefault((mb.table, mb.unit_id), []).append(point)
    blocks: list[Block] = []
    for (table, unit_id), members in sorted(
        groups.items(), key=lambda kv: (kv[0][0].value, kv[0][1] or 0)
    ):
        members.sort(key=lambda p: (p.modbus.address if p.modbus else 0, p.id))
        limit = MAX_BITS if table.is_bits else settings.max_block
        current: list[PointDef] = []
        start = end = 0
        for point in members:
            mb = point.modbus
            assert mb is not None
            alone = settings.read_strategy is ReadStrategy.PER_POINT or point.id in isolated
            joins = (
                current
                and not alone
                and not any(p.id in isolated for p in current)
                and mb.address - end <= settings.max_gap
                and max(end, mb.end) - start <= limit
            )
            if joins:
                current.append(point)
                end = max(end, mb.end)
                continue
            if current:
                blocks.append(Block(table, unit_id, start, end - start, tuple(current)))
            current, start, end = [point], mb.address, mb.end
        if current:
            blocks.append(Block(table, unit_id, start, end - start, tuple(current)))
    return blocks


class PollPlan:
    """Which blocks to read at each tick of the poll clock, cached per set of due periods."""

    def __init__(self, points: Iterable[PointDef], settings: ModbusSettings) -> None:
        self.settings = settings
        self.points = readable_points(points)
        self.periods = sorted({poll_period(p, settings) for p in self.points})
        finite = [p for p in self.periods if not math.isinf(p)]
        self.tick_s = min(finite) if finite else 1.0
        self.isolated: frozenset[str] = frozenset()
        self._cache: dict[tuple[frozenset[float], frozenset[str]], list[Block]] = {}

    def due(self, tick: int) -> frozenset[float]:
        """Return the periods due at tick n (tick 0: everything, 'once' included)."""
        due = set()
        for period in self.periods:
            if math.isinf(period):
                if tick == 0:
                    due.add(period)
            elif tick % max(1, round(period / self.tick_s)) == 0:
                due.add(period)
        return frozenset(due)

    def blocks_for(self, periods: frozenset[float]) -> list[Block]:
        """Return the blocks covering every point whose period is due."""
        key = (periods, self.isolated)
        blocks = self._cache.get(key)
        if blocks is None:
            wanted = [p for p in self.points if poll_period(p, self.settings) in periods]
            blocks = self._cache[key] = plan_blocks(wanted, self.settings, isolated=self.isolated)
        return blocks

    def full_cycle(self) -> list[Block]:
        """Return the blocks that read every point once."""
        return self.blocks_for(frozenset(self.periods))

    def isolate(self, point_ids: Iterable[str]) -> None:
        """Read these points alone from now on (a block around them was refused)."""
        self.isolated = self.isolated | frozenset(point_ids)
