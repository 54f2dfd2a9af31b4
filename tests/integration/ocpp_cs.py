"""A bare central system written in tests with only the `ocpp` library and websockets."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint
from ocpp.v16 import call_result as r16
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import Server, ServerConnection, serve


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class RecordingCentral(ChargePoint):
    """Answers a charge point and records what it sent."""

    def __init__(self, cp_id: str, ws: Any) -> None:
        super().__init__(cp_id, ws, response_timeout=5)
        self.received: list[tuple[str, dict[str, Any]]] = []

    def of(self, action: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.received if name == action]

    @on(Action.boot_notification)
    def on_boot(self, **kw):
        self.received.append(("BootNotification", kw))
        return r16.BootNotification(
            current_time=now(), interval=300, status=RegistrationStatus.accepted
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **kw):
        self.received.append(("Heartbeat", kw))
        return r16.Heartbeat(current_time=now())

    @on(Action.status_notification)
    def on_status(self, **kw):
        self.received.append(("StatusNotification", kw))
        return r16.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag, **kw):
        self.received.append(("Authorize", {"id_tag": id_tag, **kw}))
        ok = id_tag != "DEADBEEF"
        status = AuthorizationStatus.accepted if ok else AuthorizationStatus.invalid
        return r16.Authorize(id_tag_info={"status": status})

    @on(Action.start_transaction)
    def on_start(self, **kw):
        self.received.append(("StartTransaction", kw))
        return r16.StartTransaction(
            transaction_id=42, id_tag_info={"status": AuthorizationStatus.accepted}
        )

    @on(Action.stop_transaction)
    def on_stop(self, **kw):
        self.received.append(("StopTransaction", kw))
        return r16.StopTransaction()

    @on(Action.meter_values)
    def on_meter_values(self, **kw):
        self.received.append(("MeterValues", kw))
        return r16.MeterValues()


class BareCentralSystem:
    """Serve RecordingCentral on loopback, port 0."""

    def __init__(self) -> None:
        self.stations: dict[str, RecordingCentral] = {}
        self.connects: list[tuple[str, dict[str, str]]] = []
        self._server: Server | None = None
        self.port = 0

    async def _handler(self, ws: ServerConnection) -> None:
        cp_id = ws.request.path.rstrip("/").split("/")[-1]
        self.connects.append((cp_id, dict(ws.request.headers)))
        central = RecordingCentral(cp_id, ws)
        old = self.stations.get(cp_id)
        if old is not None:
            central.received = old.received  # keep the history across reconnects
        self.stations[cp_id] = central
        with contextlib.suppress(Exception):
            await central.start()

    async def start(self, port: int = 0) -> int:
        self._server = await serve(self._handler, "127.0.0.1", port, subprotocols=["ocpp1.6"])
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
            await asyncio.sleep(0)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp"


from ocpp.v201 import ChargePoint as ChargePoint201  # noqa: E402
from ocpp.v201 import call_result as r201  # noqa: E402
from ocpp.v201.enums import Action as Action201  # noqa: E402


class RecordingCsms201(ChargePoint201):
    """A bare OCPP 2.0.1 CSMS that records what the station sent."""

    def __init__(self, cp_id: str, ws: Any) -> None:
        super().__init__(cp_id, ws, response_timeout=5)
        self.received: list[tuple[str, dict[str, Any]]] = []

    def of(self, action: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.received if name == action]

    @on(Action201.boot_notification)
    def on_boot(self, **kw):
        self.received.append(("BootNotification", kw))
        return r201.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on(Action201.heartbeat)
    def on_heartbeat(self, **kw):
        self.received.append(("Heartbeat", kw))
        return r201.Heartbeat(current_time=now())

    @on(Action201.status_notification)
    def on_status(self, **kw):
        self.received.append(("StatusNotification", kw))
        return r201.StatusNotification()

    @on(Action201.authorize)
    def on_authorize(self, id_token, **kw):
        self.received.append(("Authorize", {"id_token": id_token, **kw}))
        return r201.Authorize(id_token_info={"status": "Accepted"})

    @on(Action201.transaction_event)
    def on_transaction_event(self, **kw):
        self.received.append(("TransactionEvent", kw))
        return r201.TransactionEvent()


class BareCsms201(BareCentralSystem):
    """Serve RecordingCsms201 on loopback, port 0."""

    async def _handler(self, ws: ServerConnection) -> None:
        cp_id = ws.request.path.rstrip("/").split("/")[-1]
        self.connects.append((cp_id, dict(ws.request.headers)))
        station = RecordingCsms201(cp_id, ws)
        old = self.stations.get(cp_id)
        if old is not None:
            station.received = old.received
        self.stations[cp_id] = station  # type: ignore[assignment]
        with contextlib.suppress(Exception):
            await station.start()

    async def start(self, port: int = 0) -> int:
        self._server = await serve(self._handler, "127.0.0.1", port, subprotocols=["ocpp2.0.1"])
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port
