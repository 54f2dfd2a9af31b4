"""The console's chargers: models, Modbus pollers, the OCPP central system, one dispatcher.

Qt-free: the GUI gets a Fleet from the composition root (evgui/app.py) and only calls the
methods below, never a transport.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from evgui.core.backend import ProfileChoice
from evgui.core.config import ChargerConfig, ServerSettings, slug
from evgui.core.dispatcher import CommandDispatcher
from evgui.core.events import EventHub, Level, LinkState
from evgui.core.model import ChargerModel
from evgui.core.tasks import BackgroundTasks
from evgui.devices.loader import ProfileError, get_profile, shipped_profiles
from evgui.devices.profile import ModbusSettings, Profile
from evgui.transports.modbus.url import LinkUrlError, parse_link_url

# The transports (pymodbus, websockets, ocpp + jsonschema: ~1 s of imports) are imported when the
# fleet starts, not when it is built: the console paints its window first (bench/startup.py).
if TYPE_CHECKING:
    from evgui.transports.modbus.link import LinkPool
    from evgui.transports.modbus.poller import ModbusPoller
    from evgui.transports.ocpp.service import OcppService

HOUSEKEEPING_S = 1.0
FALLBACK_PROFILE = "generic-l2"


@dataclasses.dataclass
class ChargerEntry:
    """A charger of the fleet: its configuration, profile, model and running poller."""

    config: ChargerConfig
    profile: Profile
    model: ChargerModel
    poller: ModbusPoller | None = None
    unregister: Callable[[], None] | None = None
    adopted: bool = False  # connected over OCPP with an unknown id, not saved yet
    transient: bool = False  # lives for this run only (the --demo charger): never saved


class Fleet:
    """Every charger the console watches, and the one way to change them."""

    def __init__(
        self,
        hub: EventHub,
        server: ServerSettings,
        chargers: list[ChargerConfig],
        *,
        listen_host: str = "0.0.0.0",
        listen_port: int | None = None,
    ) -> None:
        self.hub = hub
        self.listen_host = listen_host  # tests and the self-test listen on 127.0.0.1 only
        self.listen_port = listen_port  # this run only (0: any free port), never saved
        self.dispatcher = CommandDispatcher(hub)
        self.server_settings = server
        self.entries: dict[str, ChargerEntry] = {}
        self._pool: LinkPool | None = None
        self.server_state = "stopped"
        self.server_error = ""
        self.ocpp: OcppService | None = None
        self._tasks = BackgroundTasks(on_error=lambda text: hub.log(None, Level.WARNING, text))
        self._listeners: list[Callable[[], None]] = []
        for config in chargers:
            self._add_entry(config)

    # --------------------------------------------------------------- observers

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call listener() when chargers are added, removed or renamed."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in tuple(self._listeners):
            listener()

    @property
    def pool(self) -> LinkPool:
        """Return the Modbus links (one per physical link), created on first use."""
        if self._pool is None:
            from evgui.transports.modbus.link import LinkPool

            self._pool = LinkPool()
        return self._pool

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Start the OCPP server, the pollers and the housekeeping."""
        await self.start_server()
        for entry in self.entries.values():
            self._start_modbus(entry)
        self._tasks.spawn(self._housekeeping(), "fleet-housekeeping")

    async def stop(self) -> None:
        """Stop everything cleanly."""
        await self._tasks.cancel_all()
        for entry in list(self.entries.values()):
            await self._stop_modbus(entry)
        await self.stop_server()

    async def start_server(self) -> None:
        """(Re)start the OCPP central system with the current settings."""
        from evgui.transports.ocpp.server import OcppServerConfig
        from evgui.transports.ocpp.service import OcppService

        await self.stop_server()
        s = self.server_settings
        port = int(s.port) if self.listen_port is None else self.listen_port
        config = OcppServerConfig(
            host=self.listen_host, port=port, path=s.path or "/ocpp",
            password=s.password or None, tls_cert=s.tls_cert or None, tls_key=s.tls_key or None,
            accept_unknown=s.accept_unknown, allowed_tags=s.allowed_tags(),
        )  # fmt: skip
        self.ocpp = OcppService(config, self, self.hub, self.dispatcher)
        try:
            await self.ocpp.start()
        except OSError as exc:
            self.server_state = "error"
            self.server_error = f"cannot listen on port {port}: {exc.strerror or exc}"
            self.hub.log(None, Level.ERROR, f"OCPP server: {self.server_error}")
            self.ocpp = None
            return
        self.server_state = "listening"
        self.server_error = ""

    async def apply_server_settings(self, settings: ServerSettings) -> None:
        """Take new server settings (saved by the caller) and restart the server with them."""
        self.server_settings = settings
        self.listen_port = None
        await self.start_server()

    async def stop_server(self) -> None:
        """Stop the OCPP central system."""
        if self.ocpp is not None:
            await self.ocpp.stop()
            self.ocpp = None
        self.server_state = "stopped"

    def server_port(self) -> int | None:
        """Return the port the OCPP server listens on (None when stopped)."""
        return self.ocpp.central.port if self.ocpp else None

    def server_urls(self, cp_id: str | None = None) -> list[str]:
        """Return the URL(s) a charger must use."""
        return self.ocpp.central.urls(cp_id) if self.ocpp else []

    async def _housekeeping(self) -> None:
        """Mark values stale that stopped arriving (OCPP has no poll tick of its own)."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_S)
            now = time.time()
            for entry in self.entries.values():
                entry.model.refresh_staleness(now)

    # ------------------------------------------------------------ chargers

    def profile(self, profile_id: str) -> Profile:
        """Return a profile, falling back to the generic one (logged) when it is missing."""
        try:
            return get_profile(profile_id)
        except (KeyError, ProfileError) as exc:
            self.hub.log(
                None, Level.WARNING, f"profile {profile_id!r}: {exc}; using {FALLBACK_PROFILE}"
            )
            return get_profile(FALLBACK_PROFILE)

    @staticmethod
    def profile_choices() -> list[ProfileChoice]:
        """Return the shipped profiles with their link defaults, for the connection manager."""
        return [profile_choice(p) for p in shipped_profiles()]

    def _add_entry(self, config: ChargerConfig, adopted: bool = False) -> ChargerEntry:
        profile = self.profile(config.profile_id)
        model = ChargerModel(
            config.id, profile.catalogue, hub=self.hub, e_while_idle=profile.quirks.e_while_idle
        )
        entry = ChargerEntry(config, profile, model, adopted=adopted)
        self.entries[config.id] = entry
        if config.modbus_kind == "none":
            model.set_link("modbus", LinkState.UNCONFIGURED)
        if not config.ocpp_id:
            model.set_link("ocpp", LinkState.UNCONFIGURED)
        else:
            model.set_link("ocpp", LinkState.OFFLINE, "waiting for the charger to connect")
        return entry

    def _start_modbus(self, entry: ChargerEntry) -> None:
        url = entry.config.modbus_url()
        if url is None or entry.profile.modbus is None:
            return
        from evgui.transports.modbus.poller import ModbusPoller
        from evgui.transports.modbus.writer import ModbusCommandExecutor

        try:
            link_config = parse_link_url(url)
        except LinkUrlError as exc:
            entry.model.set_link("modbus", LinkState.OFFLINE, f"bad address: {exc}")
            return
        link_config = dataclasses.replace(link_config, min_gap_ms=entry.profile.modbus.min_gap_ms)
        link = self.pool.acquire(link_config)
        written: dict[str, Any] = {}
        executor = ModbusCommandExecutor(
            entry.config.id, link, link_config.unit_id, self.hub, written,
            catalogue=entry.profile.catalogue, write_multiple=entry.profile.modbus.write_multiple,
            on_readback=lambda reading: entry.model.apply([reading]),
        )  # fmt: skip
        entry.unregister = self.dispatcher.register(
            entry.config.id, entry.profile.catalogue, executor
        )
        entry.poller = ModbusPoller(
            entry.model, entry.profile, link, link_config.unit_id, last_written=written
        )
        entry.poller.start()

    async def _stop_modbus(self, entry: ChargerEntry) -> None:
        if entry.unregister:
            entry.unregister()
            entry.unregister = None
        if entry.poller is not None:
            poller, entry.poller = entry.poller, None
            await poller.stop()
            await self.pool.release(poller.link)

    def new_id(self, name: str) -> str:
        """Return an unused charger id made from a name."""
        base, n = slug(name), 1
        candidate = base
        while candidate in self.entries:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    async def add(self, config: ChargerConfig, transient: bool = False) -> ChargerEntry:
        """Add (or, for an adopted OCPP newcomer, confirm) a charger and start talking to it."""
        problems = config.problems()
        if problems:
            raise ValueError("; ".join(problems.values()))
        old = self.entries.get(config.id)
        if (
            old is not None
            and old.adopted
            and old.config.ocpp_id == config.ocpp_id
            and old.config.profile_id == config.profile_id
        ):  # confirming a newcomer: keep its live OCPP session and model
            old.config, old.adopted = config, False
            self._start_modbus(old)
            self._changed()
            return old
        if old is not None:
            await self.remove(config.id)
        entry = self._add_entry(config)
        entry.transient = transient
        self._start_modbus(entry)
        self._changed()
        return entry

    async def update(self, config: ChargerConfig) -> ChargerEntry:
        """Apply edited settings (the charger's links restart); an edited demo charger is kept."""
        old = self.entries.get(config.id)
        return await self.add(config, transient=old.transient if old else False)

    async def remove(self, charger_id: str) -> None:
        """Stop talking to a charger and forget it."""
        entry = self.entries.pop(charger_id, None)
        if entry is not None:
            await self._stop_modbus(entry)
            self.dispatcher.forget(charger_id)
            if entry.config.ocpp_id and self.ocpp is not None:
                await self.ocpp.forget(entry.config.ocpp_id)
            self._changed()

    def configs(self) -> list[ChargerConfig]:
        """Return the saved chargers (adopted newcomers are offered, not saved)."""
        return [e.config for e in self.entries.values() if not (e.adopted or e.transient)]

    # --------------------------------------------- the OCPP station registry

    def _by_cp_id(self, cp_id: str) -> ChargerEntry | None:
        for entry in self.entries.values():
            if entry.config.ocpp_id == cp_id:
                return entry
        return None

    def lookup(self, cp_id: str) -> tuple[ChargerModel, Profile] | None:
        """Return the model of the charger with this charge point id."""
        entry = self._by_cp_id(cp_id)
        return (entry.model, entry.profile) if entry else None

    def adopt(self, cp_id: str) -> tuple[ChargerModel, Profile]:
        """Show a charge point with an unknown id and offer it as a new entry."""
        config = ChargerConfig(id=self.new_id(cp_id), name=cp_id, ocpp_id=cp_id)
        entry = self._add_entry(config, adopted=True)
        text = f"unknown charge point {cp_id!r} connected: save it in the connection manager"
        self.hub.log(config.id, Level.WARNING, text)
        self._changed()
        return entry.model, entry.profile

    def password(self, cp_id: str) -> str | None:
        """Return the charger's own OCPP password."""
        entry = self._by_cp_id(cp_id)
        return entry.config.ocpp_password or None if entry else None

    # ----------------------------------------------------------- diagnosis

    async def test_connection(
        self, config: ChargerConfig, timeout: float = 3.0
    ) -> list[tuple[bool, str]]:
        """Try what a configuration would do; return (ok, plain-words line) pairs."""
        lines: list[tuple[bool, str]] = []
        problems = config.problems()
        if problems:
            return [(False, msg) for msg in problems.values()]
        profile = self.profile(config.profile_id)
        url = config.modbus_url()
        if url is not None and profile.modbus is not None:
            lines += await self._test_modbus(url, profile, timeout)
        if config.ocpp_id:
            urls = self.server_urls(config.ocpp_id)
            connected = (
                self.ocpp is not None and self.ocpp.central.connection(config.ocpp_id) is not None
            )
            if connected:
                lines.append((True, f"OCPP: {config.ocpp_id} is connected now"))
            elif self.server_state != "listening":
                lines.append(
                    (False, f"OCPP: the server is not running ({self.server_error or 'stopped'})")
                )
            else:
                where = urls[0] if urls else "?"
                text = f"OCPP: {config.ocpp_id} has not connected; type {where} into the charger"
                lines.append((False, text))
                refusals = (
                    [r for r in self.ocpp.central.refusals.entries if r.cp_id == config.ocpp_id]
                    if self.ocpp
                    else []
                )
                if refusals:
                    lines.append((False, f"OCPP: last attempt refused: {refusals[-1].reason}"))
        return lines

    async def _test_modbus(
        self, url: str, profile: Profile, timeout: float
    ) -> list[tuple[bool, str]]:
        from evgui.transports.modbus.link import ModbusLink  # a throw-away link, not the pool's
        from evgui.transports.modbus.planner import PollPlan
        from evgui.transports.modbus.poller import BlockReader

        assert profile.modbus is not None
        try:
            config = parse_link_url(url)
        except LinkUrlError as exc:
            return [(False, f"Modbus: {exc}")]
        config = dataclasses.replace(config, timeout_s=min(timeout / 2, 1.5), retries=0)
        link = ModbusLink(config, offline_after=10**6)
        plan = PollPlan(profile.points, profile.modbus)
        reader = BlockReader("test", link, config.unit_id, plan)
        try:
            readings = await asyncio.wait_for(reader.read(plan.full_cycle()), timeout * 2)
        except TimeoutError:
            readings = []
        finally:
            await link.close()
        where = f"{config.describe()} unit {config.unit_id}"
        if not readings:
            return [(False, f"Modbus: no answer from {where}: {link.detail or 'timeout'}")]
        good = [r for r in readings if r.usable]
        bad = [r for r in readings if not r.usable]
        lines = [(True, f"Modbus: {where} answers: {len(good)} of {len(readings)} values read")]
        for reading in bad[:3]:
            lines.append((False, f"Modbus: {reading.point_id}: {reading.reason}"))
        power = next((r for r in good if r.point_id == "active_power"), None)
        if power is not None:
            lines.append((True, f"Modbus: active power {power.value} kW"))
        return lines


def profile_choice(profile: Profile) -> ProfileChoice:
    """Describe a profile for the connection manager, with its link defaults."""
    models = ", ".join(profile.models[:3]) + ("..." if len(profile.models) > 3 else "")
    title = f"{profile.vendor} {models}".strip() if profile.models else profile.vendor
    mb = profile.modbus or ModbusSettings(transports=())
    return ProfileChoice(
        id=profile.id, title=title or profile.id, confidence=profile.confidence,
        modbus_kinds=tuple(t.value for t in mb.transports), port=mb.port, unit_id=mb.unit_id,
        baudrate=mb.serial.baudrate, parity=mb.serial.parity, stopbits=mb.serial.stopbits,
        ocpp_versions=profile.ocpp.versions if profile.ocpp else (), notes=profile.quirks.notes,
    )  # fmt: skip
