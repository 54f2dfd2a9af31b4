"""Poll a charger over Modbus: per-period schedule without drift, block reads, keep-alives."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from evgui.core.events import EventHub, Level, LinkState, TrafficEvent
from evgui.core.model import ChargerModel
from evgui.core.points import PointDef, ValueType
from evgui.core.reading import Quality, Reading, Source
from evgui.devices.profile import KeepAlive, ModbusSettings, Profile
from evgui.transports.modbus.codec import EncodeError, decode, encode
from evgui.transports.modbus.link import ModbusLink, ModbusResult, exception_text
from evgui.transports.modbus.planner import Block, PollPlan

log = logging.getLogger(__name__)


def decoded_reading(
    point: PointDef, words: Sequence[int], now: float, received: float | None = None
) -> Reading:
    """Decode a point's words into a Modbus reading."""
    d = decode(point, words)
    return Reading(
        point.id, d.value, point.unit, now, Source.MODBUS, d.quality, d.reason, d.raw, received
    )


def traffic_event(
    charger_id: str | None, result: ModbusResult, table: str, decoded: dict[str, Any] | None = None
) -> TrafficEvent:
    """Describe one Modbus transaction for the protocol log."""
    what = f"unit {result.unit} {table} {result.address}+{result.count}"
    if result.ok:
        words = result.words if len(result.words) <= 8 else [*result.words[:8], "..."]
        summary = f"{what} -> {words}"
    else:
        summary = f"{what} -> {result.error}"
    return TrafficEvent(
        charger_id,
        "modbus",
        "",
        result.function_name,
        summary,
        ts=result.ts,
        rtt_ms=round(result.rtt_ms, 2),
        error=result.error,
        payload={
            "function": result.function,
            "unit": result.unit,
            "address": result.address,
            "count": result.count,
            "words": result.words,
            "decoded": decoded or {},
            "exception": result.exception_code,
        },
    )


class BlockReader:
    """Read blocks and decode them into readings; split a refused block and remember it."""

    def __init__(
        self,
        charger_id: str,
        link: ModbusLink,
        unit_id: int,
        plan: PollPlan,
        hub: EventHub | None = None,
    ) -> None:
        self.charger_id = charger_id
        self.link = link
        self.unit_id = unit_id
        self.plan = plan
        self.hub = hub
        self.requests = 0

    async def read(self, blocks: list[Block]) -> list[Reading]:
        """Read each block; return readings for every point that answered or was refused."""
        readings: list[Reading] = []
        for block in blocks:
            readings += await self._read_block(block)
        return readings

    async def _read_block(self, block: Block) -> list[Reading]:
        unit = block.unit_id if block.unit_id is not None else self.unit_id
        result = await self.link.read(block.table, block.start, block.count, unit)
        self.requests += 1
        if result.refused and len(block.points) > 1:
            # A register this charger lacks must not blank its neighbours: read them alone
            # from now on.
            self.plan.isolate(p.id for p in block.points)
            self._publish(result, block, {})
            out: list[Reading] = []
            for point in block.points:
                mb = point.modbus
                assert mb is not None
                single = Block(block.table, block.unit_id, mb.address, mb.count, (point,))
                out += await self._read_block(single)
            return out
        readings = self._decode(block, result)
        self._publish(result, block, {r.point_id: r.value for r in readings})
        return readings

    def _decode(self, block: Block, result: ModbusResult) -> list[Reading]:
        """Turn one answer into readings (bad quality with the reason when refused)."""
        now = time.time()
        received = time.monotonic()
        if result.ok:
            return [
                decoded_reading(point, block.words_of(point, result.words), now, received)
                for point in block.points
            ]
        if result.exception_code is not None:  # the charger answered "no": say so per point
            return [
                Reading(
                    p.id,
                    None,
                    p.unit,
                    now,
                    Source.MODBUS,
                    Quality.BAD,
                    f"charger refuses {_where(p)}: {exception_text(result.exception_code)}",
                    None,
                    received,
                )
                for p in block.points
            ]
        return []  # silence or offline: the values go stale, the link state says why

    def _publish(self, result: ModbusResult, block: Block, decoded: dict[str, Any]) -> None:
        if self.hub is not None:
            self.hub.publish(traffic_event(self.charger_id, result, block.table.value, decoded))


def _where(point: PointDef) -> str:
    """Name a point's register for a message."""
    return point.modbus.describe() if point.modbus else point.id


class ModbusPoller:
    """Feed a ChargerModel from one charger, on the profile's per-point periods."""

    def __init__(
        self,
        model: ChargerModel,
        profile: Profile,
        link: ModbusLink,
        unit_id: int,
        *,
        last_written: dict[str, Any] | None = None,
        on_cycle: Callable[[int], None] | None = None,
    ) -> None:
        if profile.modbus is None:
            raise ValueError(f"profile {profile.id} has no Modbus map")
        self.model = model
        self.profile = profile
        self.settings: ModbusSettings = profile.modbus
        self.link = link
        self.unit_id = unit_id
        self.plan = PollPlan(profile.points, self.settings)
        self.reader = BlockReader(model.charger_id, link, unit_id, self.plan, model.hub)
        self.last_written = last_written if last_written is not None else {}
        self.on_cycle = on_cycle
        self.ticks = 0
        self.overruns = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._unlisten: Callable[[], None] | None = None
        self._keepalive_failed: set[str] = set()

    def start(self) -> None:
        """Start polling (and keep-alive writes) in the background."""
        self._unlisten = self.link.add_state_listener(self._on_link_state)
        self._tasks.append(
            asyncio.create_task(self._run(), name=f"modbus-poll-{self.model.charger_id}")
        )
        for ka in self.settings.keepalive:
            self._tasks.append(
                asyncio.create_task(self._keepalive(ka), name=f"modbus-keepalive-{ka.point_id}")
            )

    async def stop(self) -> None:
        """Stop polling."""
        if self._unlisten:
            self._unlisten()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _on_link_state(self, state: LinkState, detail: str) -> None:
        self.model.set_link("modbus", state, detail)

    async def _run(self) -> None:
        """Tick at the shortest period; each tick reads the blocks of the periods due."""
        loop = asyncio.get_running_loop()
        tick_s = self.plan.tick_s
        origin = loop.time()
        tick = 0
        while True:
            blocks = self.plan.blocks_for(self.plan.due(tick))
            readings = await self.reader.read(blocks)
            if readings:
                self.model.apply(readings)
            self.model.refresh_staleness()
            self.ticks += 1
            if self.on_cycle:
                self.on_cycle(tick)
            # next tick on the fixed grid origin + n x tick_s: no drift; skip ticks we overran
            tick += 1
            now = loop.time()
            due_at = origin + tick * tick_s
            if now > due_at:
                missed = int((now - due_at) // tick_s) + 1
                self.overruns += missed
                tick += missed
                due_at = origin + tick * tick_s
            await asyncio.sleep(due_at - now)

    async def _keepalive(self, ka: KeepAlive) -> None:
        """Rewrite a register every interval so the charger does not fall back to a safe state."""
        point = self.profile.catalogue.get(ka.point_id)
        assert point is not None
        assert point.modbus is not None
        while True:
            await asyncio.sleep(ka.interval_s)
            value = ka.value if ka.value is not None else self.last_written.get(point.id)
            if value is None:
                value = self.model.value(point.id)
            if value is None and point.value_type is not ValueType.ACTION:  # a lifebit needs none
                self._warn_once(ka, "no value known yet to refresh")
                continue
            try:
                words = encode(point, value)
            except EncodeError as exc:
                self._warn_once(ka, str(exc))
                continue
            mb = point.modbus
            unit = mb.unit_id if mb.unit_id is not None else self.unit_id
            result = await self.link.write(
                mb.table, mb.address, words, unit, multiple=self.settings.write_multiple
            )
            self.model.hub.publish(
                traffic_event(self.model.charger_id, result, mb.table.value, {point.id: value})
            )
            if result.ok:
                self._keepalive_failed.discard(point.id)
            else:
                self._warn_once(ka, result.error or "failed")

    def _warn_once(self, ka: KeepAlive, why: str) -> None:
        if ka.point_id not in self._keepalive_failed:
            self._keepalive_failed.add(ka.point_id)
            fallback = f" ({ka.fallback})" if ka.fallback else ""
            self.model.hub.log(
                self.model.charger_id,
                Level.WARNING,
                f"keep-alive of {ka.point_id} failed: {why}{fallback}",
            )
