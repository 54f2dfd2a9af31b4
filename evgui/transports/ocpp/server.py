"""The OCPP central system: chargers dial in over websockets (1.6J and 2.0.1)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed, NegotiationError
from websockets.http11 import Request, Response

from evgui.core.events import EventHub, Level, LinkState
from evgui.core.model import ChargerModel
from evgui.core.reading import Source
from evgui.core.tasks import BackgroundTasks
from evgui.devices.profile import Profile
from evgui.transports.ocpp.doctor import RefusalLog, charger_urls, doctor_ssl_context
from evgui.transports.ocpp.station import StationState
from evgui.transports.ocpp.v16 import CentralStation16
from evgui.transports.ocpp.v201 import CentralStation201

log = logging.getLogger(__name__)
SUBPROTOCOLS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1"}
TLS_ON_PLAIN = "wss:// (TLS) used where plain ws:// is expected: use ws:// or enable TLS here"
MAX_ID_LENGTH = 48  # CiString48 in 2.0.1; 1.6 allows up to 20 in the payload, longer in the URL


@dataclass
class OcppServerConfig:
    """Where and how the central system listens."""

    host: str = "0.0.0.0"
    port: int = 9000
    path: str = "/ocpp"  # ids are taken from /ocpp/<id>; /<id> is accepted too
    ping_interval: float | None = 20.0
    max_frame_bytes: int = 8 * 2**20
    heartbeat_s: int = 300
    password: str | None = None  # security profile 1 for every charger (per-charger wins)
    tls_cert: str | None = None  # security profile 2
    tls_key: str | None = None
    accept_unknown: bool = True
    allowed_tags: frozenset[str] | None = None  # None: accept every RFID tag
    meter_setup: bool = True
    meter_interval_s: int = 10
    call_timeout_s: float = 15.0
    remote_id_tag: str = "EVGUI"

    @property
    def tls(self) -> bool:
        """Return True when the server speaks wss:// only."""
        return bool(self.tls_cert and self.tls_key)


class StationRegistry(Protocol):
    """Where the central system finds (or creates) the model of a charge point id."""

    def lookup(self, cp_id: str) -> tuple[ChargerModel, Profile] | None:
        """Return the model and profile of a known charger."""

    def adopt(self, cp_id: str) -> tuple[ChargerModel, Profile]:
        """Create a model for a charger seen for the first time."""

    def password(self, cp_id: str) -> str | None:
        """Return the charger's basic-auth password, if it has its own."""


@dataclass
class _Session:
    ws: ServerConnection
    cp: CentralStation16 | CentralStation201


class CentralSystem:
    """Accept charge points, translate their messages, carry the console's calls to them."""

    def __init__(self, config: OcppServerConfig, registry: StationRegistry, hub: EventHub) -> None:
        self.config = config
        self.registry = registry
        self.hub = hub
        self.refusals = RefusalLog(self._publish_refusal)
        self.stations: dict[str, StationState] = {}
        self.sessions: dict[str, _Session] = {}
        self._server: Server | None = None
        self._tasks = BackgroundTasks(on_error=lambda text: hub.log(None, Level.WARNING, text))
        self.on_boot: list[Callable[[str], None]] = []
        self.port = config.port

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> int:
        """Listen; return the bound port."""
        cfg = self.config
        ssl = doctor_ssl_context(cfg.tls_cert, cfg.tls_key, self.refusals) if cfg.tls else None  # type: ignore[arg-type]
        self._server = await serve(
            self._handle,
            cfg.host,
            cfg.port,
            subprotocols=list(SUBPROTOCOLS),  # type: ignore[arg-type]
            select_subprotocol=self._select_subprotocol,  # type: ignore[arg-type]
            process_request=self._check_request,
            max_size=cfg.max_frame_bytes,
            ping_interval=cfg.ping_interval,
            ssl=ssl,
            create_connection=_doctor_connection(self.refusals, tls=cfg.tls),
        )
        self.port = int(self._server.sockets[0].getsockname()[1])
        self.hub.log(None, Level.INFO, f"OCPP central system listening on {self.urls()[0]}")
        return self.port

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        await self._tasks.cancel_all()
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    def urls(self, cp_id: str | None = None) -> list[str]:
        """Return the URL(s) a charger must use, one per address of this laptop."""
        return charger_urls(self.port, self.config.path, self.config.tls, cp_id, self.config.host)

    def spawn(self, coro: Any, name: str) -> asyncio.Task[Any]:
        """Run a background job with a strong reference (cancelled on stop)."""
        return self._tasks.spawn(coro, name)

    # ------------------------------------------------------------ admission

    def cp_id_of(self, path: str) -> str | None:
        """Return the charge point id from /<prefix>/<id> or /<id> (percent-decoded)."""
        route = urlsplit(path).path
        prefix = "/" + self.config.path.strip("/") if self.config.path.strip("/") else ""
        rest = route[len(prefix) :] if prefix and route.startswith(prefix + "/") else route
        segments = [s for s in rest.split("/") if s]
        if len(segments) != 1:
            return None
        cp_id = unquote(segments[0])
        if not cp_id or len(cp_id) > MAX_ID_LENGTH or any(ord(c) < 32 for c in cp_id):
            return None
        return cp_id

    @staticmethod
    def _peer(connection: ServerConnection) -> str:
        with contextlib.suppress(Exception):
            host, port = connection.remote_address[:2]
            return f"{host}:{port}"
        return "?"

    def _refuse(
        self,
        connection: ServerConnection,
        status: HTTPStatus,
        reason: str,
        cp_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        self.refusals.add(reason, cp_id, self._peer(connection))
        response = connection.respond(status, reason + "\n")
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse wrong paths, unknown ids (when so configured) and bad passwords, saying why."""
        cp_id = self.cp_id_of(request.path)
        if cp_id is None:
            expected = f"/{self.config.path.strip('/')}/<charge point id>".replace("//", "/")
            return self._refuse(
                connection,
                HTTPStatus.NOT_FOUND,
                f"wrong path {request.path!r}: expected {expected}",
            )
        known = self.registry.lookup(cp_id) is not None or cp_id in self.stations
        if not known and not self.config.accept_unknown:
            return self._refuse(
                connection,
                HTTPStatus.NOT_FOUND,
                f"unknown charge point id {cp_id!r} (unknown ids are rejected)",
                cp_id,
            )
        password = self.registry.password(cp_id) or self.config.password
        if password is not None:
            problem = _basic_auth_problem(request.headers, cp_id, password)
            if problem is not None:
                return self._refuse(
                    connection,
                    HTTPStatus.UNAUTHORIZED,
                    problem,
                    cp_id,
                    {"WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"'},
                )
        return None

    def _select_subprotocol(
        self, connection: ServerConnection, offered: Sequence[str]
    ) -> str | None:
        """Pick the first OCPP version the charger offers that we speak; none offered: 1.6."""
        for name in offered:
            if name in SUBPROTOCOLS:
                return name
        if not offered:
            return None  # accepted as 1.6, with a warning when the session starts
        cp_id = self.cp_id_of(connection.request.path) if connection.request else None
        spoken = ", ".join(SUBPROTOCOLS)
        reason = f"unsupported subprotocol(s) {', '.join(offered)} (this server speaks {spoken})"
        self.refusals.add(reason, cp_id, self._peer(connection))
        raise NegotiationError(reason)

    def _publish_refusal(self, refusal: Any) -> None:
        self.hub.log(
            refusal.cp_id,
            Level.WARNING,
            f"OCPP connection refused ({refusal.peer or 'unknown peer'}): {refusal.reason}",
        )

    # --------------------------------------------------------------- sessions

    def station(self, cp_id: str, version: str) -> StationState:
        """Return (creating on first contact) the state of a charge point."""
        station = self.stations.get(cp_id)
        if station is None:
            found = self.registry.lookup(cp_id)
            if found is None:
                found = self.registry.adopt(cp_id)
                self.hub.log(
                    found[0].charger_id, Level.INFO, f"new charge point {cp_id!r} connected"
                )
            model, profile = found
            station = self.stations[cp_id] = StationState(cp_id, model, profile)
            model.set_source_period(Source.OCPP, float(self.config.meter_interval_s))
        station.version = version
        return station

    async def forget(self, cp_id: str) -> None:
        """Drop what is known of a charge point and close its connection (it will redial)."""
        self.stations.pop(cp_id, None)
        session = self.sessions.pop(cp_id, None)
        if session is not None:
            with contextlib.suppress(Exception):
                await session.ws.close(1012, "settings changed: reconnect")

    def connection(self, cp_id: str) -> CentralStation16 | CentralStation201 | None:
        """Return the live connection of a charge point."""
        session = self.sessions.get(cp_id)
        return session.cp if session else None

    def authorize(self, id_tag: str) -> bool:
        """Apply the RFID policy: accept all, or only the allow list."""
        allowed = self.config.allowed_tags
        return allowed is None or id_tag in allowed

    async def _handle(self, ws: ServerConnection) -> None:
        """Serve one charge point connection."""
        cp_id = self.cp_id_of(ws.request.path) if ws.request else None
        if cp_id is None:  # process_request has refused it already
            return
        version = SUBPROTOCOLS.get(ws.subprotocol or "", "1.6")
        station = self.station(cp_id, version)
        model = station.model
        if ws.subprotocol is None:
            self.hub.log(
                model.charger_id,
                Level.WARNING,
                f"{cp_id} offered no OCPP subprotocol: accepted as OCPP 1.6",
            )
        old = self.sessions.get(cp_id)
        if old is not None:
            text = f"{cp_id} reconnected: the old connection is closed"
            self.hub.log(model.charger_id, Level.INFO, text)
            with contextlib.suppress(Exception):
                await old.ws.close(1000, "replaced by a new connection")
        cls = CentralStation201 if version == "2.0.1" else CentralStation16
        cp = cls(
            ws,
            station,
            self.hub,
            heartbeat_s=self.config.heartbeat_s,
            authorize=self.authorize,
            on_boot=lambda: self._after_boot(cp_id),
        )
        session = _Session(ws, cp)
        self.sessions[cp_id] = session
        station.connected_at = time.time()
        model.set_link("ocpp", LinkState.ONLINE, f"OCPP {version} from {self._peer(ws)}")
        station.apply([station.reading("ocpp_connection", "CONNECTED")])
        why = "closed"
        try:
            await cp.start()
        except ConnectionClosed as exc:
            why = _close_text(exc)
        except Exception as exc:  # a bug must end this connection only, never the server
            log.exception("OCPP session %s failed", cp_id)
            why = f"internal error: {type(exc).__name__}: {exc}"
            await ws.close(1011, "internal error")
        finally:
            if self.sessions.get(cp_id) is session:
                del self.sessions[cp_id]
                model.set_link("ocpp", LinkState.OFFLINE, why)
                station.apply([station.reading("ocpp_connection", "DISCONNECTED")])

    def _after_boot(self, cp_id: str) -> None:
        """Tell listeners a charger booted (meter setup hooks in here)."""
        for callback in tuple(self.on_boot):
            callback(cp_id)


def _doctor_connection(refusals: RefusalLog, *, tls: bool) -> type[ServerConnection]:
    """Return a ServerConnection that explains handshakes that never became HTTP requests.

    websockets drops a non-HTTP first line silently; the charger then only sees a timeout.
    A TLS ClientHello (0x16 0x03) on a plain server is refused at once with the reason.
    """

    class DoctorConnection(ServerConnection):
        first_bytes = b""

        def data_received(self, data: bytes) -> None:
            if not self.first_bytes:
                self.first_bytes = data[:8]
                if not tls and data.startswith(b"\x16\x03"):
                    refusals.add(TLS_ON_PLAIN, peer=CentralSystem._peer(self))
                    self.transport.close()
                    return
            super().data_received(data)

        async def handshake(self, *args: Any, **kwargs: Any) -> None:
            await super().handshake(*args, **kwargs)
            exc = self.protocol.handshake_exc
            if (
                self.request is None
                and exc is not None
                and not self.first_bytes.startswith(b"\x16\x03")
            ):
                cause = exc.__cause__ or exc
                what = (
                    "closed before sending a request"
                    if not self.first_bytes
                    else f"not a websocket request ({cause})"
                )
                refusals.add(what, peer=CentralSystem._peer(self))

    return DoctorConnection


def _basic_auth_problem(headers: Headers, cp_id: str, password: str) -> str | None:
    """Check HTTP Basic auth (user = charge point id); return the problem, never the password."""
    header = headers.get("Authorization")
    if not header:
        return "no password sent (this server requires HTTP Basic auth, security profile 1)"
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return f"unsupported authorization scheme {scheme!r} (Basic expected)"
    try:
        user, _, given = (
            base64.b64decode(token.strip(), validate=True).decode("utf-8").partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return "malformed Basic authorization header"
    if user != cp_id:
        return f"basic-auth user {user!r} is not the charge point id {cp_id!r}"
    if given != password:
        return "wrong password"
    return None


def _close_text(exc: ConnectionClosed) -> str:
    """Describe why a websocket closed."""
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "connection lost (no close frame)"
    reason = f": {frame.reason}" if frame.reason else ""
    meaning = {
        1000: "normal close",
        1001: "going away",
        1006: "abnormal close",
        1007: "invalid UTF-8",
        1009: "frame too big",
        1011: "internal error",
        1012: "service restart",
    }.get(frame.code, "closed")
    return f"{meaning} (code {frame.code}){reason}"
