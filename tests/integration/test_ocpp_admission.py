"""Who may connect, and why not: paths, subprotocols, passwords, unknown ids, TLS, the doctor."""

from __future__ import annotations

import asyncio
import base64
import ssl
import subprocess

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from evgui.core.events import LinkState
from evgui.transports.ocpp.doctor import local_ipv4_addresses
from tests.helpers import need_tool, until


def auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def refused_with(url: str, status: int, **kw) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with connect(url, proxy=None, open_timeout=5, **kw):
            pass
    assert info.value.response.status_code == status


async def test_paths_ids_and_percent_decoding(central_factory):
    service = await central_factory()
    base = f"ws://127.0.0.1:{service.central.port}"
    async with connect(f"{base}/ocpp/CP%20A%2F1", subprotocols=["ocpp1.6"], proxy=None) as ws:
        assert ws.subprotocol == "ocpp1.6"
        await until(lambda: "CP A/1" in service.central.sessions)
    async with connect(f"{base}/CP2?x=1", subprotocols=["ocpp1.6"], proxy=None):
        await until(lambda: "CP2" in service.central.sessions)
    await refused_with(f"{base}/ocpp/a/b", 404, subprotocols=["ocpp1.6"])
    await refused_with(f"{base}/ocpp/", 404, subprotocols=["ocpp1.6"])
    reasons = [r.reason for r in service.central.refusals.entries]
    assert any("wrong path '/ocpp/a/b'" in r and "/ocpp/<charge point id>" in r for r in reasons)


async def test_subprotocols_none_accepted_as_16_unsupported_refused(central_factory):
    service = await central_factory()
    url = f"ws://127.0.0.1:{service.central.port}/ocpp/NOPROTO"
    async with connect(url, proxy=None) as ws:
        assert ws.subprotocol is None
        await until(lambda: "NOPROTO" in service.central.sessions)
        assert service.central.stations["NOPROTO"].version == "1.6"
    assert any(
        "offered no OCPP subprotocol: accepted as OCPP 1.6" in getattr(e, "text", "")
        for e in service.events
    )
    await refused_with(url.replace("NOPROTO", "OLD"), 400, subprotocols=["ocpp1.5"])
    assert any(
        "unsupported subprotocol(s) ocpp1.5" in r.reason for r in service.central.refusals.entries
    )
    async with connect(
        url.replace("NOPROTO", "NEW"), subprotocols=["ocpp2.0.1", "ocpp1.6"], proxy=None
    ) as ws:
        assert ws.subprotocol == "ocpp2.0.1"


async def test_basic_auth_per_charger_and_global(central_factory):
    service = await central_factory(password="site-pw", passwords={"CP7": "own-pw"})
    base = f"ws://127.0.0.1:{service.central.port}/ocpp"
    await refused_with(f"{base}/CP1", 401, subprotocols=["ocpp1.6"])
    await refused_with(
        f"{base}/CP1", 401, subprotocols=["ocpp1.6"], additional_headers=auth("CP1", "nope")
    )
    await refused_with(
        f"{base}/CP1", 401, subprotocols=["ocpp1.6"], additional_headers=auth("CP9", "site-pw")
    )
    await refused_with(
        f"{base}/CP7", 401, subprotocols=["ocpp1.6"], additional_headers=auth("CP7", "site-pw")
    )
    async with connect(
        f"{base}/CP1",
        subprotocols=["ocpp1.6"],
        additional_headers=auth("CP1", "site-pw"),
        proxy=None,
    ):
        await until(lambda: "CP1" in service.central.sessions)
    async with connect(
        f"{base}/CP7",
        subprotocols=["ocpp1.6"],
        additional_headers=auth("CP7", "own-pw"),
        proxy=None,
    ):
        await until(lambda: "CP7" in service.central.sessions)
    reasons = [r.reason for r in service.central.refusals.entries]
    assert reasons[0].startswith("no password sent")
    assert "wrong password" in reasons[1] and "is not the charge point id" in reasons[2]
    everything = " ".join(reasons) + " ".join(str(getattr(e, "text", "")) for e in service.events)
    assert "site-pw" not in everything and "own-pw" not in everything and "nope" not in everything


async def test_simulator_with_the_right_password_connects(central_factory, sim_factory):
    service = await central_factory(passwords={"SIMPW": "s3cret"})
    await sim_factory(
        modbus_host=None, scenario="idle", ocpp_url=service.url, cp_id="SIMPW", password="s3cret"
    )
    model = await until(lambda: service.registry.models.get("SIMPW"))
    await until(lambda: model.link_state("ocpp")[0] is LinkState.ONLINE)


async def test_unknown_ids_rejected_when_so_configured(central_factory):
    service = await central_factory(known=["KNOWN"], accept_unknown=False)
    base = f"ws://127.0.0.1:{service.central.port}/ocpp"
    await refused_with(f"{base}/STRANGER", 404, subprotocols=["ocpp1.6"])
    async with connect(f"{base}/KNOWN", subprotocols=["ocpp1.6"], proxy=None):
        await until(lambda: "KNOWN" in service.central.sessions)
    assert "unknown charge point id 'STRANGER'" in service.central.refusals.entries[-1].reason


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    openssl = need_tool("openssl")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


async def test_tls_security_profile_2(central_factory, sim_factory, certificate):
    cert, key = certificate
    service = await central_factory(tls_cert=cert, tls_key=key, password="pw")
    wss = f"wss://127.0.0.1:{service.central.port}/ocpp"
    assert service.central.urls()[0].startswith("wss://")
    trust = ssl.create_default_context(cafile=cert)
    charger = await sim_factory(modbus_host=None, scenario="idle", ocpp_url=wss, cp_id="TLS1",
                                password="pw", ocpp_ssl=trust)  # fmt: skip
    model = await until(lambda: service.registry.models.get("TLS1"))
    await until(lambda: model.link_state("ocpp")[0] is LinkState.ONLINE)
    assert charger.session.ocpp_connected
    plain = wss.replace("wss://", "ws://") + "/PLAIN"
    with pytest.raises(Exception):  # noqa: B017 - the server drops a non-TLS client
        async with connect(plain, subprotocols=["ocpp1.6"], proxy=None, open_timeout=3):
            pass
    await until(lambda: any("plain ws:// used where wss:// (TLS) is required" in r.reason
                            for r in service.central.refusals.entries))  # fmt: skip


async def test_wss_against_a_plain_server_is_explained(central_factory):
    service = await central_factory()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(Exception):  # noqa: B017 - TLS hello to a plain HTTP server
        async with connect(
            f"wss://127.0.0.1:{service.central.port}/ocpp/X",
            ssl=context,
            proxy=None,
            open_timeout=3,
        ):
            pass
    await until(lambda: any("wss:// (TLS) used where plain ws:// is expected" in r.reason
                            for r in service.central.refusals.entries))  # fmt: skip


def test_doctor_lists_this_laptops_addresses():
    addresses = local_ipv4_addresses()
    assert addresses[-1] == "127.0.0.1"
    assert all(a.count(".") == 3 for a in addresses)


async def test_urls_to_type_into_the_charger(central_factory):
    service = await central_factory()
    urls = service.central.urls("CP001")
    assert urls == [f"ws://127.0.0.1:{service.central.port}/ocpp/CP001"]  # bound to loopback only
    await asyncio.sleep(0)
