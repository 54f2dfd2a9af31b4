"""Route Command objects to the transport that can carry them: validate, time out, report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from evgui.core.commands import (
    Command,
    CommandError,
    CommandResult,
    CommandStatus,
    validate_value,
)
from evgui.core.events import CommandEvent, EventHub, Level
from evgui.core.points import Catalogue, PointDef

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an executor reports back: the dispatcher wraps it into a CommandResult."""

    status: CommandStatus
    message: str = ""
    detail: dict[str, Any] | None = None


class CommandExecutor(Protocol):
    """A transport's command side, as the dispatcher sees it."""

    route: str  # "modbus" / "ocpp" / "simulator"

    def supports(self, point: PointDef) -> bool:
        """Return True when this route can carry commands to this point."""

    def ready(self) -> tuple[bool, str]:
        """Return whether the link can take a command now, and why not."""

    async def execute(self, point: PointDef, value: Any) -> Outcome:
        """Send the command and return how it ended."""


@dataclass(slots=True)
class _Charger:
    catalogue: Catalogue
    executors: list[CommandExecutor]


class CommandDispatcher:
    """The one way commands reach chargers: validation first, then one route, then one result."""

    def __init__(self, hub: EventHub, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.hub = hub
        self.timeout_s = timeout_s
        self._chargers: dict[str, _Charger] = {}
        self._in_flight: dict[tuple[str, str, str], asyncio.Future[CommandResult]] = {}

    def register(
        self, charger_id: str, catalogue: Catalogue, executor: CommandExecutor
    ) -> Callable[[], None]:
        """Add a route for a charger; return the function that removes it."""
        entry = self._chargers.setdefault(charger_id, _Charger(catalogue, []))
        entry.executors.append(executor)

        def unregister() -> None:
            if executor in entry.executors:
                entry.executors.remove(executor)

        return unregister

    def forget(self, charger_id: str) -> None:
        """Drop every route of a charger (it was removed, or its profile changed)."""
        self._chargers.pop(charger_id, None)

    def capabilities(self, charger_id: str) -> dict[str, list[str]]:
        """Return, per command point, the routes that can carry it (the UI enables from this)."""
        entry = self._chargers.get(charger_id)
        if entry is None:
            return {}
        caps: dict[str, list[str]] = {}
        for point in entry.catalogue:
            routes = [e.route for e in entry.executors if e.supports(point)]
            if routes:
                caps[point.id] = routes
        return caps

    def availability(
        self, charger_id: str, point_id: str, via: str | None = None
    ) -> tuple[bool, str]:
        """Return whether a command can be sent now (over `via`, or any route), and why not."""
        entry = self._chargers.get(charger_id)
        point = entry.catalogue.get(point_id) if entry else None
        if entry is None or point is None:
            return False, "this charger has no such command"
        routes = [
            e for e in entry.executors if e.supports(point) and (via is None or e.route == via)
        ]
        if not routes:
            over = f" over {via.upper() if via == 'ocpp' else via}" if via else ""
            return False, f"{point.name} is not available on this charger{over}"
        reasons = []
        for executor in routes:
            ok, why = executor.ready()
            if ok:
                return True, ""
            reasons.append(f"{executor.route}: {why}")
        return False, "; ".join(reasons)

    async def submit(self, command: Command) -> CommandResult:
        """Validate, send once (identical in-flight requests share the result), and report."""
        key = command.key()
        running = self._in_flight.get(key)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            result = await self._run(command)
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._in_flight[key]
        future.set_result(result)
        return result

    async def _run(self, command: Command) -> CommandResult:
        """Do the work of submit()."""
        entry = self._chargers.get(command.charger_id)
        point = entry.catalogue.get(command.point_id) if entry else None
        if entry is None or point is None:
            what = "charger" if entry is None else "command"
            name = command.charger_id if entry is None else command.point_id
            return self._finish(command, CommandStatus.NOT_SUPPORTED, f"unknown {what} '{name}'")
        try:
            value = validate_value(point, command.value)
        except CommandError as exc:
            return self._finish(command, CommandStatus.INVALID, str(exc))
        routes = [
            e
            for e in entry.executors
            if e.supports(point) and (command.via is None or e.route == command.via)
        ]
        if not routes:
            via = f" over {command.via}" if command.via else ""
            return self._finish(
                command, CommandStatus.NOT_SUPPORTED, f"{point.name} cannot be sent{via}"
            )
        reasons = []
        for executor in routes:
            ready, why = executor.ready()
            if not ready:
                reasons.append(f"{executor.route}: {why}")
                continue
            self._publish(command, CommandStatus.PENDING, f"sending {point.name}", executor.route)
            try:
                outcome = await asyncio.wait_for(
                    executor.execute(point, value), timeout=self.timeout_s
                )
            except TimeoutError:
                return self._finish(
                    command,
                    CommandStatus.TIMEOUT,
                    f"no answer within {self.timeout_s:g} s",
                    executor.route,
                )
            except Exception as exc:  # a transport bug must not kill the caller's loop
                return self._finish(
                    command, CommandStatus.ERROR, f"{type(exc).__name__}: {exc}", executor.route
                )
            return self._finish(
                command, outcome.status, outcome.message, executor.route, outcome.detail
            )
        return self._finish(command, CommandStatus.UNAVAILABLE, "; ".join(reasons))

    def _finish(
        self,
        command: Command,
        status: CommandStatus,
        message: str,
        via: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> CommandResult:
        """Publish and return a final result."""
        self._publish(command, status, message, via)
        level = Level.INFO if status.ok else Level.WARNING
        self.hub.log(
            command.charger_id,
            level,
            f"command {command.point_id}={command.value!r}: {status.value}"
            + (f" ({message})" if message else "")
            + (f" via {via}" if via else ""),
        )
        return CommandResult(command, status, message, via, detail or {})

    def _publish(
        self, command: Command, status: CommandStatus, message: str, via: str | None
    ) -> None:
        """Tell listeners about a command's status."""
        self.hub.publish(
            CommandEvent(
                command.charger_id,
                command.id,
                command.point_id,
                command.value,
                status.value,
                message,
                via,
            )
        )
