"""Connection doctor: why a charger did not connect, and the URLs to type into it."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address


@dataclass(frozen=True, slots=True)
class Refusal:
    """A connection attempt that did not become a charge point session."""

    reason: str
    cp_id: str | None = None
    peer: str | None = None
    ts: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, object]:
        """Return the refusal as the CLI prints it."""
        return {"cp": self.cp_id, "peer": self.peer, "reason": self.reason, "ts": round(self.ts, 3)}


class RefusalLog:
    """The last refused attempts, newest last, with a callback for live display."""

    def __init__(
        self, on_refusal: Callable[[Refusal], None] | None = None, keep: int = 200
    ) -> None:
        self.entries: deque[Refusal] = deque(maxlen=keep)
        self.listeners: list[Callable[[Refusal], None]] = [on_refusal] if on_refusal else []

    def add(self, reason: str, cp_id: str | None = None, peer: str | None = None) -> None:
        """Record one refusal and tell the listeners."""
        refusal = Refusal(reason, cp_id, peer)
        self.entries.append(refusal)
        for listener in tuple(self.listeners):
            listener(refusal)


def _linux_interface_addresses() -> set[str]:
    """Return the IPv4 address of every interface (Linux ioctl; empty elsewhere)."""
    if not sys.platform.startswith("linux"):
        return set()
    import fcntl

    found: set[str] = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for _index, name in socket.if_nameindex():
            packed = struct.pack("256s", name.encode()[:15])
            with contextlib.suppress(OSError):
                answer = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, packed)
                found.add(socket.inet_ntoa(answer[20:24]))
    return found


def local_ipv4_addresses() -> list[str]:
    """Return the laptop's IPv4 addresses, loopback last."""
    found = _linux_interface_addresses()
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks the route
        found.add(probe.getsockname()[0])
    found.add("127.0.0.1")
    return sorted(
        found, key=lambda ip: (ip.startswith("127."), tuple(int(p) for p in ip.split(".")))
    )


def charger_urls(
    port: int, path: str, tls: bool, cp_id: str | None = None, host: str = "0.0.0.0"
) -> list[str]:
    """Return the exact URL to type into a charger, for each address it can reach."""
    scheme = "wss" if tls else "ws"
    prefix = "/" + path.strip("/") if path.strip("/") else ""
    tail = cp_id or "<charge point id>"
    hosts = local_ipv4_addresses() if host in ("0.0.0.0", "", "::") else [host]
    return [f"{scheme}://{ip}:{port}{prefix}/{tail}" for ip in hosts]


def doctor_ssl_context(cert: str, key: str, log: RefusalLog) -> ssl.SSLContext:
    """Return a server TLS context that records failed handshakes with a readable reason."""

    class _Reporting(ssl.SSLObject):
        def do_handshake(self) -> None:
            try:
                super().do_handshake()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                raise
            except ssl.SSLError as exc:
                log.add(tls_failure_reason(exc))
                raise

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sslobject_class = _Reporting
    return context


def tls_failure_reason(exc: ssl.SSLError) -> str:
    """Explain a failed TLS handshake in plain words."""
    reason = (exc.reason or str(exc)).upper()
    if "HTTP_REQUEST" in reason or "WRONG_VERSION_NUMBER" in reason:
        return "plain ws:// used where wss:// (TLS) is required: change the URL scheme to wss://"
    if "UNKNOWN_CA" in reason or "CERTIFICATE" in reason:
        return f"the charger does not trust this server's certificate ({exc.reason})"
    return f"TLS handshake failed: {exc.reason or exc}"
