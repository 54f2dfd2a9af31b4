"""Modbus poll cycle: evgui's transport vs a raw pymodbus loop over the same registers.

Runs `evgui sim` (the simulator's Modbus face) in its own process on loopback, as a charger is
another device, then alternates rounds of
  A) evgui: BlockReader.read(plan.full_cycle()) - link lock, decode, readings, state;
  B) raw:   AsyncModbusTcpClient reading the same (table, start, count) blocks, no decoding;
and prints requests per cycle and the median cycle time of each, with the ratio A/B.
Target (issue 4): <= 4 requests per seed-map cycle, and A/B <= 1.3.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import time

from pymodbus.client import AsyncModbusTcpClient

from evgui.core.points import Table
from evgui.devices.loader import get_profile
from evgui.transports.modbus.link import ModbusLink
from evgui.transports.modbus.planner import PollPlan, plan_blocks
from evgui.transports.modbus.poller import BlockReader
from evgui.transports.modbus.url import LinkConfig

SEED_REGISTER_POINTS = (
    "active_power", "output_voltage", "output_current", "energy_delivered",
    "charger_temperature", "charge_enable", "max_current_limit", "charger_status",
)  # fmt: skip


async def raw_cycle(client: AsyncModbusTcpClient, blocks) -> None:
    for b in blocks:
        if b.table is Table.COIL:
            reply = await client.read_coils(b.start, count=b.count, device_id=1)
        else:
            reply = await client.read_holding_registers(b.start, count=b.count, device_id=1)
        assert not reply.isError()


async def main(rounds: int, cycles: int) -> None:
    profile = get_profile("generic-l2")
    seed = [profile.catalogue[p] for p in SEED_REGISTER_POINTS]
    seed_blocks = plan_blocks(seed, profile.modbus)
    plan = PollPlan(profile.points, profile.modbus)
    full_blocks = plan.full_cycle()
    sim = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "evgui", "sim", "--modbus", "127.0.0.1:0", "--seed", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert sim.stdout is not None
    first = (await sim.stdout.readline()).decode()
    port = int(re.search(r"127\.0\.0\.1:(\d+)", first)[1])  # type: ignore[index]
    link = ModbusLink(LinkConfig(kind="tcp", host="127.0.0.1", port=port, timeout_s=2))
    raw = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
    await raw.connect()
    results: dict[str, list[float]] = {}
    try:
        for label, blocks in (("seed map", seed_blocks), ("whole generic map", full_blocks)):
            reader = BlockReader("bench", link, 1, plan)
            ours, theirs = [], []
            for _ in range(rounds):  # alternate so drift hits both alike
                t0 = time.perf_counter()
                for _ in range(cycles):
                    await reader.read(blocks)
                ours.append((time.perf_counter() - t0) / cycles)
                t0 = time.perf_counter()
                for _ in range(cycles):
                    await raw_cycle(raw, blocks)
                theirs.append((time.perf_counter() - t0) / cycles)
            results[label] = [
                len(blocks),
                statistics.median(ours) * 1000,
                statistics.median(theirs) * 1000,
            ]
    finally:
        raw.close()
        await link.close()
        sim.terminate()
        await sim.wait()
    print(f"{'map':20s} {'requests':>8s} {'evgui ms':>9s} {'raw ms':>8s} {'ratio':>6s}")
    for label, (requests, ours_ms, raw_ms) in results.items():
        print(f"{label:20s} {requests:8d} {ours_ms:9.3f} {raw_ms:8.3f} {ours_ms / raw_ms:6.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--cycles", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.cycles))
