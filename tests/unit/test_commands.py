"""Command validation against the profile, and the dispatcher's routing, timeouts and dedup."""

from __future__ import annotations

import asyncio

import pytest

from evgui.core.commands import Command, CommandError, CommandStatus, validate_value
from evgui.core.dispatcher import CommandDispatcher, Outcome
from evgui.core.events import CommandEvent, EventHub
from evgui.devices.loader import get_profile

CAT = get_profile("generic-l2").catalogue


@pytest.mark.parametrize(
    ("point", "given", "expected"),
    [
        ("max_current_limit", 16, 16.0),
        ("max_current_limit", "6", 6.0),
        ("max_current_limit", "32,0", 32.0),
        ("charge_enable", "ENABLE", True),
        ("charge_enable", "disable", False),
        ("charge_enable", 1, True),
        ("charge_enable", "off", False),
        ("charge_mode", "smart", "SMART"),
        ("charge_mode", 0, "NORMAL"),
        ("connector_lock", "LOCK", "LOCK"),
        ("remote_stop", None, None),
        ("remote_stop", "STOP", None),
        ("cable_lock", None, None),
    ],
)
def test_valid_values_are_normalised(point, given, expected):
    assert validate_value(CAT[point], given) == expected


@pytest.mark.parametrize(
    ("point", "given", "message"),
    [
        ("max_current_limit", 40, "Max Current Limit must be within 6-32 A (got 40)"),
        ("max_current_limit", 5.9, "within 6-32 A"),
        ("max_current_limit", "abc", "needs a number within 6-32 A"),
        ("max_current_limit", float("nan"), "finite"),
        ("max_current_limit", True, "needs a number"),
        ("max_current_limit", None, "needs a value within 6-32 A"),
        ("charge_mode", "TURBO", "one of NORMAL / SMART"),
        ("charge_enable", "maybe", "DISABLE / ENABLE"),
        ("remote_stop", 5, "takes no value"),
        ("active_power", 3, "is a measure, not a command"),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(point, given, message):
    with pytest.raises(CommandError) as info:
        validate_value(CAT[point], given)
    assert message in str(info.value)


class RecordingExecutor:
    """A route that records what it was asked (the dispatcher's own unit test double)."""

    def __init__(self, route, points, ready=(True, ""), delay=0.0, outcome=None):
        self.route, self.points, self._ready, self.delay = route, set(points), ready, delay
        self.outcome = outcome or Outcome(CommandStatus.ACCEPTED, "ok")
        self.sent = []

    def supports(self, point):
        return point.id in self.points

    def ready(self):
        return self._ready

    async def execute(self, point, value):
        self.sent.append((point.id, value))
        await asyncio.sleep(self.delay)
        return self.outcome


@pytest.fixture
def hub_events():
    hub = EventHub()
    events = []
    hub.subscribe(events.append)
    return hub, events


async def test_out_of_range_is_refused_before_anything_is_sent(hub_events):
    hub, events = hub_events
    dispatcher = CommandDispatcher(hub)
    ex = RecordingExecutor("modbus", ["max_current_limit"])
    dispatcher.register("cp1", CAT, ex)
    result = await dispatcher.submit(Command("cp1", "max_current_limit", 40))
    assert result.status is CommandStatus.INVALID
    assert "6-32 A" in result.message
    assert ex.sent == []
    assert [e.status for e in events if isinstance(e, CommandEvent)] == ["invalid"]


async def test_accepted_command_reports_pending_then_result(hub_events):
    hub, events = hub_events
    dispatcher = CommandDispatcher(hub)
    ex = RecordingExecutor("modbus", ["max_current_limit"])
    dispatcher.register("cp1", CAT, ex)
    result = await dispatcher.submit(Command("cp1", "max_current_limit", "16"))
    assert result.status is CommandStatus.ACCEPTED and result.via == "modbus"
    assert ex.sent == [("max_current_limit", 16.0)]
    assert [e.status for e in events if isinstance(e, CommandEvent)] == ["pending", "accepted"]


async def test_identical_commands_in_flight_are_sent_once(hub_events):
    hub, _ = hub_events
    dispatcher = CommandDispatcher(hub)
    ex = RecordingExecutor("modbus", ["remote_stop"], delay=0.05)
    dispatcher.register("cp1", CAT, ex)
    first, second = await asyncio.gather(
        dispatcher.submit(Command("cp1", "remote_stop")),
        dispatcher.submit(Command("cp1", "remote_stop")),
    )
    assert ex.sent == [("remote_stop", None)]
    assert first.status is second.status is CommandStatus.ACCEPTED


async def test_timeout_is_reported(hub_events):
    hub, _ = hub_events
    dispatcher = CommandDispatcher(hub, timeout_s=0.05)
    dispatcher.register("cp1", CAT, RecordingExecutor("ocpp", ["remote_stop"], delay=1))
    result = await dispatcher.submit(Command("cp1", "remote_stop"))
    assert result.status is CommandStatus.TIMEOUT
    assert "0.05 s" in result.message


async def test_link_down_means_nothing_sent_and_says_why(hub_events):
    hub, _ = hub_events
    dispatcher = CommandDispatcher(hub)
    ex = RecordingExecutor("modbus", ["charge_enable"], ready=(False, "link offline"))
    dispatcher.register("cp1", CAT, ex)
    result = await dispatcher.submit(Command("cp1", "charge_enable", True))
    assert result.status is CommandStatus.UNAVAILABLE
    assert "modbus: link offline" in result.message
    assert ex.sent == []
    assert dispatcher.availability("cp1", "charge_enable") == (False, "modbus: link offline")


async def test_falls_back_to_the_next_ready_route(hub_events):
    hub, _ = hub_events
    dispatcher = CommandDispatcher(hub)
    down = RecordingExecutor("modbus", ["remote_stop"], ready=(False, "offline"))
    up = RecordingExecutor("ocpp", ["remote_stop"])
    dispatcher.register("cp1", CAT, down)
    dispatcher.register("cp1", CAT, up)
    result = await dispatcher.submit(Command("cp1", "remote_stop"))
    assert result.via == "ocpp" and up.sent and not down.sent


async def test_unknown_charger_command_and_route(hub_events):
    hub, _ = hub_events
    dispatcher = CommandDispatcher(hub)
    dispatcher.register("cp1", CAT, RecordingExecutor("modbus", ["remote_stop"]))
    assert (
        await dispatcher.submit(Command("nope", "remote_stop"))
    ).status is CommandStatus.NOT_SUPPORTED
    assert (
        await dispatcher.submit(Command("cp1", "no_point"))
    ).status is CommandStatus.NOT_SUPPORTED
    forced = await dispatcher.submit(Command("cp1", "remote_stop", via="ocpp"))
    assert forced.status is CommandStatus.NOT_SUPPORTED and "over ocpp" in forced.message
    assert dispatcher.capabilities("cp1") == {"remote_stop": ["modbus"]}


async def test_executor_crash_becomes_an_error_result(hub_events):
    hub, _ = hub_events

    class Broken(RecordingExecutor):
        async def execute(self, point, value):
            raise RuntimeError("transport bug")

    dispatcher = CommandDispatcher(hub)
    dispatcher.register("cp1", CAT, Broken("modbus", ["remote_stop"]))
    result = await dispatcher.submit(Command("cp1", "remote_stop"))
    assert result.status is CommandStatus.ERROR and "transport bug" in result.message
