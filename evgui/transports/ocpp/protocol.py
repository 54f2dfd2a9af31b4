"""OCPP-J framing for the central system: strict parsing, CallErrors, frame log, timed calls.

The `ocpp` library ignores frames it cannot parse and answers an unknown action with
NotSupported. OCPP-J says otherwise (1.6 OCPP-J section 4.2.3, 2.0.1 part 4 section 4.3):
NotImplemented for an action the receiver does not know, NotSupported for one it knows but does
not support, FormationViolation (1.6) / FormatViolation (2.0.1) for an unparsable message,
MessageTypeNotSupported (2.0.1) for an unknown message type id. `FramedChargePoint` parses frames
itself, answers accordingly wherever a message id can be read, and leaves valid calls to the
library's handlers and schema validation.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import OCPPError, UnknownCallErrorCodeError
from ocpp.messages import Call, CallError, CallResult
from ocpp.v16.enums import Action as Action16
from ocpp.v201.enums import Action as Action201

from evgui.core.commands import CommandStatus
from evgui.core.events import EventHub, Level, TrafficEvent
from evgui.transports.ocpp.validation import validate_call

_FRAME_HEAD = re.compile(r'^\[\s*(\d)\s*,\s*"([^"\\]*)"\s*,\s*"?([A-Za-z]*)')
_ID_SNIFF = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"\\]{1,36})"')
# Codes the 1.6 spec spells differently from the library (which uses 2.0.1's names).
_CODES_16 = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "MessageTypeNotSupported": "FormationViolation",
}
_KNOWN_ACTIONS = {"1.6": {a.value for a in Action16}, "2.0.1": {a.value for a in Action201}}
NOT_SUPPORTED_CODES = {"NotSupported", "NotImplemented"}
_POSITIVE = {"Accepted", "Unlocked", "Scheduled", "RebootRequired"}
_NEGATIVE = {
    "Rejected",
    "UnlockFailed",
    "Faulted",
    "Unknown",
    "UnknownConnector",
    "OngoingAuthorizedTransaction",
}
_UNSUPPORTED = {"NotSupported", "NotImplemented", "UnknownVendorId", "UnknownMessageId"}


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """How an outgoing call ended."""

    status: CommandStatus
    message: str
    reply: Any = None
    error_code: str | None = None
    rtt_ms: float | None = None


def outcome_of(reply: Any, rtt_ms: float) -> CallOutcome:
    """Read the status field of a call result (most OCPP confirmations have one)."""
    status = getattr(reply, "status", None)
    text = str(status) if status is not None else "answered"
    if status is None or text in _POSITIVE:
        note = f"{text} ({rtt_ms:.0f} ms)"
        return CallOutcome(CommandStatus.ACCEPTED, note, reply, rtt_ms=rtt_ms)
    if text in _UNSUPPORTED:
        return CallOutcome(
            CommandStatus.NOT_SUPPORTED, f"charger answered {text}", reply, rtt_ms=rtt_ms
        )
    if text in _NEGATIVE:
        return CallOutcome(CommandStatus.REJECTED, f"charger answered {text}", reply, rtt_ms=rtt_ms)
    return CallOutcome(CommandStatus.ERROR, f"unexpected status {text}", reply, rtt_ms=rtt_ms)


_SNAKE: dict[str, str] = {}
_CAMEL: dict[str, str] = {}


def _converted(key: str, cache: dict[str, str], convert: Any) -> str:
    name = cache.get(key)
    if name is None:
        name = cache[key] = next(iter(convert({key: None})))
    return name


def snake_keys(data: Any) -> Any:
    """Convert camelCase keys to snake_case, recursively (the library's rules, memoised)."""
    if isinstance(data, dict):
        return {_converted(k, _SNAKE, camel_to_snake_case): snake_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [snake_keys(v) for v in data]
    return data


def camel_keys(data: Any) -> Any:
    """Convert snake_case keys to camelCase, recursively (the library's rules, memoised)."""
    if isinstance(data, dict):
        return {_converted(k, _CAMEL, snake_to_camel_case): camel_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camel_keys(v) for v in data]
    return data


class FramedChargePoint:
    """Mixin for the `ocpp` ChargePoint classes: framing, CallErrors, frame log, timed calls."""

    # provided by the `ocpp` ChargePoint this mixin is combined with
    id: str
    route_map: dict[str, Any]
    _ocpp_version: str
    _response_queue: asyncio.Queue[Any]
    _connection: Any
    call: Callable[..., Awaitable[Any]]
    hub: EventHub
    charger_id: str

    def setup_framing(self, hub: EventHub, charger_id: str) -> None:
        """Set up the frame log and call bookkeeping."""
        self.hub = hub
        self.charger_id = charger_id
        self._pending: dict[str, tuple[str, float]] = {}  # unique id -> (action, sent at)
        self._incoming: dict[str, tuple[str, float]] = {}
        self.calls_received = 0
        self.bad_frames = 0

    # ---------------------------------------------------------------- frame log

    def _log_frame(
        self,
        direction: str,
        action: str,
        payload: Any,
        raw: str,
        *,
        rtt_ms: float | None = None,
        error: str | None = None,
    ) -> None:
        summary = raw if len(raw) <= 200 else raw[:197] + "..."
        self.hub.publish(
            TrafficEvent(
                self.charger_id,
                "ocpp",
                direction,
                action,
                summary,
                rtt_ms=rtt_ms,
                error=error,
                payload=payload,
                raw=raw,
            )
        )

    async def _send(self, message: str) -> None:
        """Send a frame and log it (the payload stays text: parsing it again costs)."""
        action, rtt, error, payload = "?", None, None, None
        head = _FRAME_HEAD.match(message)
        if head is not None:
            kind, uid, word = head.groups()
            if kind == "2":  # our own calls are rare and worth showing whole
                action, payload = word, json.loads(message)[3]
            else:
                action, started = self._incoming.pop(uid, ("?", None))
                rtt = (time.monotonic() - started) * 1000.0 if started else None
                if kind == "4":
                    error = word
        self._log_frame("tx", action, payload, message, rtt_ms=rtt, error=error)
        await self._connection.send(message)

    # ------------------------------------------------------------- receiving

    def _code(self, code: str) -> str:
        """Spell an error code the way this OCPP version does."""
        return _CODES_16.get(code, code) if self._ocpp_version == "1.6" else code

    async def _reply_error(
        self, unique_id: str | None, code: str, description: str, raw: str, action: str = "?"
    ) -> None:
        """Answer a bad frame with a CallError when its id is readable; log it either way."""
        self.bad_frames += 1
        self._log_frame("rx", action, None, raw, error=f"{code}: {description}")
        self.hub.log(
            self.charger_id, Level.WARNING, f"bad OCPP frame from {self.id}: {description}"
        )
        if unique_id is not None:
            await self._send(CallError(unique_id, self._code(code), description, {}).to_json())

    async def route_message(self, raw: str | bytes) -> None:
        """Parse one frame strictly and route it."""
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                await self._reply_error(
                    None, "FormatViolation", "binary frame that is not UTF-8", repr(raw[:60])
                )
                return
        try:
            frame = json.loads(raw)
        except ValueError:
            sniffed = _ID_SNIFF.match(raw)
            await self._reply_error(
                sniffed[1] if sniffed else None, "FormatViolation", "message is not valid JSON", raw
            )
            return
        uid = (
            frame[1]
            if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str)
            else None
        )
        if not isinstance(frame, list) or len(frame) < 3 or uid is None:
            await self._reply_error(
                uid, "ProtocolError", "expected [MessageTypeId, UniqueId, ...]", raw
            )
            return
        kind = frame[0]
        if kind == 2:
            await self._on_call_frame(frame, raw)
        elif kind in (3, 4):
            self._on_response_frame(frame, raw)
        else:
            await self._reply_error(
                uid, "MessageTypeNotSupported", f"MessageTypeId {kind!r} is unknown", raw
            )

    async def _on_call_frame(self, frame: list[Any], raw: str) -> None:
        uid = frame[1]
        if len(frame) != 4 or not isinstance(frame[2], str) or not isinstance(frame[3], dict):
            await self._reply_error(
                uid, "FormatViolation", "a Call is [2, id, action, {payload}]", raw
            )
            return
        action, payload = frame[2], frame[3]
        self.calls_received += 1
        self._incoming[uid] = (action, time.monotonic())
        self._log_frame("rx", action, payload, raw)
        known = action in _KNOWN_ACTIONS.get(self._ocpp_version, set())
        if not known:
            await self._send_call_error(uid, "NotImplemented", f"action {action} is not known")
            return
        if action not in self.route_map:
            await self._send_call_error(uid, "NotSupported", f"{action} is not supported here")
            return
        try:
            await self._handle_call(Call(uid, action, payload))
        except OCPPError as exc:
            await self._send_call_error(uid, exc.code, exc.description, exc.details)

    async def _handle_call(self, msg: Call) -> None:
        """Validate, translate and answer one call (replaces the library's version on hot paths).

        Same steps as `ocpp.ChargePoint._handle_call`, minus per-call costs that showed in
        bench/ocpp_throughput.py: key conversion is memoised, validation runs inline instead of
        hopping to a thread, and our own typed answers are not re-validated (npm ocpp-rpc's strict
        mode validates them in the integration tests).
        """
        handlers = self.route_map[msg.action]
        if not handlers.get("_skip_schema_validation", False):
            validate_call(msg, self._ocpp_version)
        handler = handlers["_on_action"]
        try:
            response = handler(**snake_keys(msg.payload))
            if inspect.isawaitable(response):
                response = await response
        except Exception as exc:  # a handler bug answers InternalError, the link stays up
            self.hub.log(self.charger_id, Level.ERROR, f"{msg.action} handler failed: {exc!r}")
            await self._send(msg.create_call_error(exc).to_json())
            return
        payload = camel_keys(remove_nones(serialize_as_dict(response)))
        await self._send(msg.create_call_result(payload).to_json())

    async def _send_call_error(
        self, uid: str, code: str, description: str, details: Any = None
    ) -> None:
        await self._send(CallError(uid, self._code(code), description, details or {}).to_json())

    def _on_response_frame(self, frame: list[Any], raw: str) -> None:
        uid = frame[1]
        pending = self._pending.pop(uid, None)
        if pending is None:
            self._log_frame("rx", "?", None, raw, error="answer to no pending call: ignored")
            return
        action, sent = pending
        rtt = (time.monotonic() - sent) * 1000.0
        if frame[0] == 3 and len(frame) == 3:
            self._log_frame("rx", action, frame[2], raw, rtt_ms=rtt)
            self._response_queue.put_nowait(CallResult(uid, frame[2], action))
        elif frame[0] == 4 and len(frame) >= 4:
            details = frame[4] if len(frame) > 4 and isinstance(frame[4], dict) else {}
            self._log_frame("rx", action, details, raw, rtt_ms=rtt, error=f"{frame[2]}: {frame[3]}")
            self._response_queue.put_nowait(CallError(uid, frame[2], frame[3], details))
        else:
            self._log_frame("rx", action, None, raw, rtt_ms=rtt, error="malformed answer")
            self._response_queue.put_nowait(CallError(uid, "ProtocolError", "malformed answer", {}))

    # ---------------------------------------------------------------- calling

    async def send_call(self, payload: Any, timeout: float) -> CallOutcome:
        """Send a call and wait at most `timeout` seconds; never raises for protocol failures."""
        uid = uuid.uuid4().hex
        action = type(payload).__name__
        self._pending[uid] = (action, time.monotonic())
        started = time.monotonic()
        try:
            reply = await asyncio.wait_for(
                self.call(payload, suppress=False, unique_id=uid),
                timeout,
            )
        except TimeoutError:
            self._pending.pop(uid, None)
            return CallOutcome(CommandStatus.TIMEOUT, f"{action}: no answer within {timeout:g} s")
        except OCPPError as exc:
            status = (
                CommandStatus.NOT_SUPPORTED
                if exc.code in NOT_SUPPORTED_CODES
                else CommandStatus.ERROR
            )
            return CallOutcome(
                status, f"{action}: call error {exc.code}: {exc.description}", error_code=exc.code
            )
        except UnknownCallErrorCodeError as exc:
            return CallOutcome(CommandStatus.ERROR, f"{action}: {exc}")
        except Exception as exc:  # the connection closed under us, or a schema violation
            return CallOutcome(CommandStatus.ERROR, f"{action}: {type(exc).__name__}: {exc}")
        return outcome_of(reply, (time.monotonic() - started) * 1000.0)
