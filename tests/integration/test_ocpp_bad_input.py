"""Bad input from a charger: the right OCPP-J CallError, or the right close code; nothing breaks."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.helpers import until

HEARTBEAT = '[2,"hb-{n}","Heartbeat",{{}}]'


async def ask(ws, frame: str, timeout: float = 3.0):
    await ws.send(frame)
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


BAD_FRAMES = [
    # (version, frame, the CallError code that version's OCPP-J spec names)
    ("1.6", '[2,"e1","Heartbeat"', "FormationViolation"),  # broken JSON, id still readable
    ("2.0.1", '[2,"e1","Heartbeat"', "FormatViolation"),
    ("1.6", '[7,"e2","Heartbeat",{}]', "FormationViolation"),  # 1.6 has no MessageTypeNotSupported
    ("2.0.1", '[7,"e2","Heartbeat",{}]', "MessageTypeNotSupported"),
    ("1.6", '[2,"e3","FooBar",{}]', "NotImplemented"),  # an action nobody knows
    ("2.0.1", '[2,"e3","FooBar",{}]', "NotImplemented"),
    ("1.6", '[2,"e5","BootNotification",{"chargePointVendor":5,"chargePointModel":"x"}]', "TypeConstraintViolation"),
    ("2.0.1", '[2,"e5","BootNotification",{"chargingStation":{"model":5,"vendorName":"v"},"reason":"PowerUp"}]',
     "TypeConstraintViolation"),
    ("1.6", '[2,"e6","BootNotification",{"chargePointModel":"x"}]', "ProtocolError"),  # field missing
    ("2.0.1", '[2,"e6","BootNotification",{"reason":"PowerUp"}]', "ProtocolError"),
    ("1.6", '[2,"e7","Heartbeat",{"surprise":1}]', "FormationViolation"),
    ("2.0.1", '[2,"e7","Heartbeat",{"surprise":1}]', "FormatViolation"),
    ("1.6", '[2,"e8","Heartbeat","not an object"]', "FormationViolation"),
    ("2.0.1", '[2,"e8","Heartbeat","not an object"]', "FormatViolation"),
    ("1.6", '[2,"e9"]', "ProtocolError"),
    ("2.0.1", '[2,"e9"]', "ProtocolError"),
]  # fmt: skip


@pytest.mark.parametrize(("version", "frame", "expected"), BAD_FRAMES)
async def test_bad_frames_get_the_call_error_the_spec_names(
    central_factory, version, frame, expected
):
    service = await central_factory()
    proto = "ocpp1.6" if version == "1.6" else "ocpp2.0.1"
    async with connect(service.url + "/BAD", subprotocols=[proto], proxy=None) as ws:
        reply = await ask(ws, frame)
        assert reply[0] == 4 and reply[1] == frame.split('"')[1]
        assert reply[2] == expected, reply
        ok = await ask(ws, HEARTBEAT.format(n=1))
        assert ok[0] == 3 and "currentTime" in ok[2]  # still serving this charger


async def test_known_but_unhandled_action_is_not_supported(central_factory):
    service = await central_factory()
    async with connect(service.url + "/BAD", subprotocols=["ocpp1.6"], proxy=None) as ws:
        reply = await ask(ws, '[2,"k1","SignCertificate",{"csr":"x"}]')
        assert reply[2] == "NotSupported"


async def test_unreadable_frames_are_logged_not_answered(central_factory):
    service = await central_factory()
    async with connect(service.url + "/BAD", subprotocols=["ocpp1.6"], proxy=None) as ws:
        for junk in ("not json at all", '{"a": 1}', "[]", "42", b"\xff\xfe binary"):
            await ws.send(junk)
        ok = await ask(ws, HEARTBEAT.format(n=2))
        assert ok[0] == 3 and ok[1] == "hb-2"  # nothing was answered before it, and it still works
    station_frames = service.central.stations["BAD"]
    assert station_frames is not None
    warnings = [e.text for e in service.events if "bad OCPP frame" in getattr(e, "text", "")]
    assert len(warnings) == 5


async def test_answers_to_nothing_are_ignored(central_factory):
    service = await central_factory()
    async with connect(service.url + "/BAD", subprotocols=["ocpp1.6"], proxy=None) as ws:
        await ws.send('[3,"nobody-asked",{}]')
        await ws.send('[4,"nobody-asked","GenericError","x",{}]')
        ok = await ask(ws, HEARTBEAT.format(n=3))
        assert ok[1] == "hb-3"


async def test_oversized_frame_closes_with_1009_and_others_keep_working(central_factory):
    service = await central_factory(max_frame_bytes=4096)
    async with connect(service.url + "/GOOD", subprotocols=["ocpp1.6"], proxy=None) as good:
        async with connect(
            service.url + "/BIG", subprotocols=["ocpp1.6"], proxy=None, max_size=None
        ) as big:
            await big.send('[2,"x","DataTransfer",{"vendorId":"v","data":"' + "A" * 10_000 + '"}]')
            with pytest.raises(ConnectionClosed) as info:
                await asyncio.wait_for(big.recv(), 3)
            assert info.value.rcvd.code == 1009
        ok = await ask(good, HEARTBEAT.format(n=4))
        assert ok[0] == 3
    model = service.registry.models["BIG"]
    await until(lambda: "frame too big (code 1009)" in model.link_state("ocpp")[1])


async def test_invalid_utf8_text_frame_closes_with_1007(central_factory):
    service = await central_factory()
    reader, writer = await asyncio.open_connection("127.0.0.1", service.central.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (f"GET /ocpp/UTF HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.6\r\n\r\n").encode()
    )  # fmt: skip
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 3)
    assert b" 101 " in head
    payload, mask = b'[2,"u","Heartbeat",{\xff\xfe}]', os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    writer.write(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)
    await writer.drain()
    close = await asyncio.wait_for(reader.read(64), 3)
    assert close[0] == 0x88 and struct.unpack("!H", close[2:4])[0] == 1007
    writer.close()
    model = await until(lambda: service.registry.models.get("UTF"))
    await until(lambda: "code 1007" in model.link_state("ocpp")[1])


async def test_a_flood_from_one_charger_does_not_stall_another(central_factory):
    service = await central_factory()
    async with connect(service.url + "/FLOOD", subprotocols=["ocpp1.6"], proxy=None) as flood, \
            connect(service.url + "/CALM", subprotocols=["ocpp1.6"], proxy=None) as calm:  # fmt: skip

        async def storm() -> int:
            for n in range(2000):
                await flood.send(HEARTBEAT.format(n=n))
            answered = 0
            while answered < 2000:
                await asyncio.wait_for(flood.recv(), 10)
                answered += 1
            return answered

        storm_task = asyncio.create_task(storm())
        await asyncio.sleep(0.05)
        worst = 0.0
        for n in range(10):
            started = time.monotonic()
            reply = await ask(calm, HEARTBEAT.format(n=10_000 + n))
            worst = max(worst, time.monotonic() - started)
            assert reply[0] == 3
        assert await storm_task == 2000  # every call of the flood answered, none lost
        assert worst < 2.0, f"the calm charger waited {worst:.2f} s"
