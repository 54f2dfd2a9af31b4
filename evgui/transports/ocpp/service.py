"""The OCPP side of the console: central system + one command route per charge point."""

from __future__ import annotations

from collections.abc import Callable

from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import EventHub
from evgui.transports.ocpp.executor import OcppCommandExecutor
from evgui.transports.ocpp.server import CentralSystem, OcppServerConfig, StationRegistry


class OcppService:
    """Run the central system, register each charger's OCPP route, set up meters on boot."""

    def __init__(
        self,
        config: OcppServerConfig,
        registry: StationRegistry,
        hub: EventHub,
        dispatcher: CommandDispatcher,
    ) -> None:
        self.central = CentralSystem(config, registry, hub)
        self.dispatcher = dispatcher
        self.executors: dict[str, OcppCommandExecutor] = {}
        self._unregister: dict[str, Callable[[], None]] = {}
        self.central.on_boot.append(self._on_boot)

    async def start(self) -> int:
        """Start listening; return the port."""
        return await self.central.start()

    async def stop(self) -> None:
        """Stop the central system and withdraw its command routes."""
        await self.central.stop()
        for cp_id in list(self.executors):
            self._release(cp_id)

    async def forget(self, cp_id: str) -> None:
        """Withdraw a charge point's route and state; a live connection is closed (it redials)."""
        self._release(cp_id)
        await self.central.forget(cp_id)

    def _release(self, cp_id: str) -> None:
        self.executors.pop(cp_id, None)
        unregister = self._unregister.pop(cp_id, None)
        if unregister is not None:
            unregister()

    def executor(self, cp_id: str) -> OcppCommandExecutor:
        """Return the charger's OCPP route, registering it with the dispatcher once."""
        executor = self.executors.get(cp_id)
        if executor is None:
            executor = self.executors[cp_id] = OcppCommandExecutor(self.central, cp_id)
            station = self.central.stations.get(cp_id)
            found = self.central.registry.lookup(cp_id)
            catalogue = (
                station.model.catalogue if station else found[0].catalogue if found else None
            )
            if catalogue is not None:
                charger_id = station.model.charger_id if station else found[0].charger_id  # type: ignore[index]
                self._unregister[cp_id] = self.dispatcher.register(charger_id, catalogue, executor)
        return executor

    def _on_boot(self, cp_id: str) -> None:
        """Register the route and run the meter setup (in the background, never inside @on)."""
        executor = self.executor(cp_id)
        if self.central.config.meter_setup:
            self.central.spawn(executor.meter_setup(), name=f"ocpp-meter-setup-{cp_id}")
