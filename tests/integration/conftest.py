"""Integration fixtures: simulators on loopback port 0, loop hygiene."""

from __future__ import annotations

import pytest

from evgui.simulators.runner import SimConfig, SimulatedCharger
from tests.helpers import check_loop_hygiene

loop_hygiene = pytest.fixture(autouse=True)(check_loop_hygiene)


@pytest.fixture
async def teardown():
    """Collect async closers (stop, close) and await them after the test, newest first."""
    closers: list = []
    yield closers.append
    for close in reversed(closers):
        await close()


@pytest.fixture
async def sim_factory(teardown):
    """Start simulated chargers on loopback (port 0); stop them after the test."""

    async def start(**overrides) -> SimulatedCharger:
        settings = {"modbus_host": "127.0.0.1", "modbus_port": 0, "seed": 1, **overrides}
        config = SimConfig(**settings)
        charger = SimulatedCharger(config)
        await charger.start()
        teardown(charger.stop)
        return charger

    return start


@pytest.fixture
async def serve_profile(teardown):
    """Serve any profile (e.g. a test profile) from a fresh session on loopback port 0."""
    from evgui.simulators.faults import ModbusFaults
    from evgui.simulators.modbus_face import ChargerDatastore, ModbusFace
    from evgui.simulators.session import ChargerSession

    async def start(profile, session=None, faults=None, unit_ids=(1,), framing="tcp", **kw):
        session = session or ChargerSession(seed=1)
        store = ChargerDatastore(profile, session, faults or ModbusFaults(), unit_ids)
        face = ModbusFace(store, port=0, framing=framing, **kw)
        await face.start()
        teardown(face.stop)
        return face

    return start


@pytest.fixture
async def central_factory(teardown):
    """Start the console's OCPP service on 127.0.0.1, port 0; record every hub event."""
    from evgui.core.dispatcher import CommandDispatcher
    from evgui.core.events import EventHub
    from evgui.devices.loader import get_profile
    from evgui.transports.ocpp.registry import AdHocRegistry
    from evgui.transports.ocpp.server import OcppServerConfig
    from evgui.transports.ocpp.service import OcppService

    async def start(known=(), passwords=None, **overrides):
        hub = EventHub()
        events: list = []
        hub.subscribe(events.append)
        config = OcppServerConfig(host="127.0.0.1", port=0, **overrides)
        registry = AdHocRegistry(hub, get_profile("generic-l2"), list(known), passwords)
        dispatcher = CommandDispatcher(hub, timeout_s=config.call_timeout_s + 5)
        service = OcppService(config, registry, hub, dispatcher)
        await service.start()
        teardown(service.stop)
        service.events = events
        service.registry = registry
        service.url = f"ws://127.0.0.1:{service.central.port}/ocpp"
        return service

    return start
