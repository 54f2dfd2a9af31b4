"""The Modbus planner: block reads, per-period plans, per_point strategy, isolation."""

from __future__ import annotations

import dataclasses
import itertools
import math

from evgui.core.points import Table
from evgui.devices.loader import get_profile
from evgui.devices.profile import ReadStrategy
from evgui.transports.modbus.planner import PollPlan, plan_blocks

GENERIC = get_profile("generic-l2")
SEED_REGISTER_POINTS = ["active_power", "output_voltage", "output_current", "energy_delivered",
                        "charger_temperature", "charge_enable", "max_current_limit", "charger_status"]  # fmt: skip


def test_a_full_cycle_of_the_seed_registers_is_four_requests():
    seed = [GENERIC.catalogue[p] for p in SEED_REGISTER_POINTS]
    blocks = plan_blocks(seed, GENERIC.modbus)
    assert len(blocks) == 4
    spans = sorted((b.table.value, b.start, b.count) for b in blocks)
    assert spans == [("coil", 0, 1), ("holding", 0, 7), ("holding", 100, 1), ("holding", 200, 1)]


def test_the_whole_generic_map_reads_in_seven_requests():
    plan = PollPlan(GENERIC.points, GENERIC.modbus)
    blocks = plan.full_cycle()
    assert len(blocks) == 7
    covered = {p.id for b in blocks for p in b.points}
    mapped = {p.id for p in GENERIC.points if p.modbus and p.value_type.value != "action"}
    assert covered == mapped
    assert all(b.count <= 125 for b in blocks)


def test_per_period_plans_read_only_what_is_due():
    plan = PollPlan(GENERIC.points, GENERIC.modbus)
    assert plan.tick_s == 1.0
    assert plan.due(0) == frozenset(plan.periods)
    every_second = {p.id for b in plan.blocks_for(plan.due(1)) for p in b.points}
    assert "active_power" in every_second and "output_current" in every_second
    assert "energy_delivered" not in every_second
    at_ten = {p.id for b in plan.blocks_for(plan.due(10)) for p in b.points}
    assert "energy_delivered" in at_ten and "charger_temperature" not in at_ten
    assert 60.0 in plan.due(60) and 60.0 not in plan.due(30)


def test_once_points_are_read_at_start_only():
    settings = GENERIC.modbus
    plan = PollPlan(GENERIC.points, settings)
    plan.periods.append(math.inf)
    assert math.inf in plan.due(0) and math.inf not in plan.due(60)


def test_per_point_strategy_reads_each_point_alone():
    settings = dataclasses.replace(GENERIC.modbus, read_strategy=ReadStrategy.PER_POINT)
    blocks = plan_blocks(GENERIC.points, settings)
    assert all(len(b.points) == 1 for b in blocks)


def test_isolated_points_break_blocks_and_are_read_alone():
    plan = PollPlan(GENERIC.points, GENERIC.modbus)
    before = len(plan.full_cycle())
    plan.isolate(["output_voltage", "output_current"])
    blocks = plan.full_cycle()
    alone = [b for b in blocks if any(p.id in plan.isolated for p in b.points)]
    assert all(len(b.points) == 1 for b in alone)
    assert len(blocks) > before


def test_max_block_and_max_gap_split_blocks():
    small = dataclasses.replace(GENERIC.modbus, max_block=3, max_gap=0)
    blocks = plan_blocks(GENERIC.points, small)
    assert all(b.count <= 3 or len(b.points) == 1 for b in blocks)
    for b in blocks:
        ends = sorted((p.modbus.address, p.modbus.end) for p in b.points)
        for (_a0, e0), (a1, _e1) in itertools.pairwise(ends):
            assert a1 <= e0  # no gap at all


def test_blocks_never_mix_tables():
    for b in plan_blocks(GENERIC.points, GENERIC.modbus):
        assert {p.modbus.table for p in b.points} == {b.table}
        assert b.table in Table
