"""Network scanners over a TCP line protocol (``type = "tcp"``), TLS on the LAN.

Many wifi/Ethernet handhelds and fixed scanners can only open a socket and type lines. The
protocol is the smallest that is still safe and useful:

    client: AUTH <device token>\\n        (first line; a paired token whose role may scan)
    agent:  {"auth": "ok", "device_id": "…"}\\n
    client: <code>\\n                     (one code per line; empty lines are ignored)
    agent:  <verdict JSON>\\n             (one line per code, same shape as POST /api/v1/scans)

A scanner that retries a code whose answer it lost says ``AUTH <token> ids`` instead;
then each line is ``<request_id> <code>`` (the id: 1–64 printable characters, no space)
and a retry with the same id gets the first verdict back, never ``already_admitted``.

A wrong or missing token gets one error line (``{"error": {"code": "unauthorized", …}}``)
and the connection is closed. The listener exists only when a lane configures it, on the
address the config names (loopback by default). The token is never logged.

TLS (``tls``): on by default on any address but loopback, with the certificate the
agent's API uses (lent as ``InputContext.server_tls``). ``tls = "off"`` on a LAN address
serves scanners that cannot do TLS — their tokens and codes cross the network in clear,
which the input's status says in ``warning``. The handshake runs after the connection
has its slot, so a flood of half-open handshakes is bounded like any other client.

Slots: ``max_clients`` at once. When they are full, the oldest client that has not yet
authenticated is closed to make room — a stranger holding every slot cannot keep a
paired scanner out; only authenticated scanners are never pushed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from hardware.health import DeviceHealth
from scanner.backoff import Backoff
from scanner.inputs.context import Authenticate, InputContext, Judge
from scanner.inputs.network_health import NetworkHealth
from scanner.reads import CodeRead, Emit

log = logging.getLogger(__name__)

#: Longest request id in ``ids`` mode (as the LAN API's ``request_id``).
MAX_REQUEST_ID = 64
PLAIN_ON_LAN = "plain TCP on a LAN address: tokens and codes can be read on the network"


@dataclass(frozen=True)
class TcpOptions:
    #: TCP port to listen on (0 = any free port; tests use it).
    port: int
    #: Address to listen on: loopback unless the scanners are on the LAN (then the box's
    #: LAN address, or "0.0.0.0").
    host: str = "127.0.0.1"
    #: A client must send ``AUTH <token>`` (after the TLS handshake) within this time.
    auth_timeout_ms: int = 10_000
    #: Longest line accepted, in bytes; a longer one closes the connection.
    max_line_bytes: int = 4096
    #: Connections open at once; the oldest unauthenticated one makes room for a new one.
    max_clients: int = 32
    #: "auto" (TLS unless ``host`` is loopback), "on", or "off" (scanners without TLS).
    tls: Literal["auto", "on", "off"] = "auto"

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError("port: expected 0..65535")
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            raise ValueError(f"host: expected an IP address, got {self.host!r}") from None
        if not 100 <= self.auth_timeout_ms <= 600_000:
            raise ValueError("auth_timeout_ms: expected 100..600000")
        if not 64 <= self.max_line_bytes <= 65536:
            raise ValueError("max_line_bytes: expected 64..65536")
        if not 1 <= self.max_clients <= 1024:
            raise ValueError("max_clients: expected 1..1024")

    @property
    def loopback(self) -> bool:
        return ipaddress.ip_address(self.host).is_loopback

    @property
    def wants_tls(self) -> bool:
        return self.tls == "on" or (self.tls == "auto" and not self.loopback)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _line(doc: Mapping[str, object]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _error(code: str, message: str) -> bytes:
    return _line({"error": {"code": code, "message": message}})


@dataclass
class TcpHealth(NetworkHealth):
    """Network health plus a standing warning (plain TCP on the LAN)."""

    warning: str | None = None

    def snapshot(self) -> dict[str, object]:
        doc = super().snapshot()
        doc["warning"] = self.warning
        return doc


class TcpInput:
    """Listens while running; each authenticated line is judged and answered in order."""

    kind = "tcp"

    def __init__(
        self,
        input_id: str,
        options: TcpOptions,
        judge: Judge,
        authenticate: Authenticate,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.id = input_id
        self.options = options
        self.net = TcpHealth(input_id, self.kind, "tcp")
        self.health: DeviceHealth = self.net
        if tls is None and not options.loopback:
            self.net.warning = PLAIN_ON_LAN
        self._judge = judge
        self._authenticate = authenticate
        self._tls = tls
        #: Every client, and (in arrival order) those not yet authenticated.
        self._clients: set[asyncio.StreamWriter] = set()
        self._unauthenticated: dict[asyncio.StreamWriter, None] = {}
        #: ``(host, port)`` actually bound, once listening (port 0 picks one).
        self.bound: tuple[str, int] | None = None
        self.listening = asyncio.Event()

    async def run(self, emit: Emit) -> None:
        """Serve until cancelled; ``emit`` is unused (replies need :data:`Judge`)."""
        opts = self.options
        backoff = Backoff(0.5, 10.0)
        if self.net.warning:
            log.warning("%s: %s (%s:%d)", self.id, self.net.warning, opts.host, opts.port)
        while True:
            try:
                server = await asyncio.start_server(
                    self._client,
                    opts.host,
                    opts.port,
                    limit=opts.max_line_bytes + MAX_REQUEST_ID + 3,
                    reuse_address=True,
                )
            except OSError as exc:
                log.warning(
                    "%s: cannot listen on %s:%d (%s); retrying",
                    self.id,
                    opts.host,
                    opts.port,
                    exc.strerror or exc,
                )
                self.health.fail(
                    f"cannot listen on {opts.host}:{opts.port}: {exc.strerror}",
                    _wall_ms(),
                    disconnected=True,
                )
                await asyncio.sleep(backoff.next_delay())
                continue
            sockname = server.sockets[0].getsockname()
            self.bound = (sockname[0], sockname[1])
            self.health.connected = True
            self.listening.set()
            scheme = "TLS" if self._tls is not None else "TCP"
            log.info("%s: %s scanners on %s:%d", self.id, scheme, *self.bound)
            try:
                async with server:
                    await server.serve_forever()
            finally:
                self.listening.clear()
                self.health.connected = False
                for writer in list(self._clients):
                    writer.close()

    def _take_slot(self, writer: asyncio.StreamWriter) -> bool:
        """A slot for a new client, closing the oldest unauthenticated one if full."""
        if len(self._clients) >= self.options.max_clients:
            if not self._unauthenticated:
                return False
            oldest = next(iter(self._unauthenticated))
            self._drop(oldest)
            oldest.transport.abort()
        self._clients.add(writer)
        self._unauthenticated[writer] = None
        self.net.clients = len(self._clients)
        return True

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        self._clients.discard(writer)
        self._unauthenticated.pop(writer, None)
        self.net.clients = len(self._clients)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        where = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "?"
        if not self._take_slot(writer):
            if self._tls is None:
                writer.write(_error("too_many_clients", "too many scanners connected; try later"))
            await _close(writer)
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:  # notice handhelds that walked out of wifi range
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        try:
            async with asyncio.timeout(self.options.auth_timeout_ms / 1000):
                if self._tls is not None:
                    await writer.start_tls(self._tls)
                auth = await self._auth(reader, writer, where)
            if auth is not None:
                self._unauthenticated.pop(writer, None)
                await self._serve(reader, writer, *auth)
        except TimeoutError:
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.write(_error("unauthorized", "send AUTH <token> first"))
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except (asyncio.LimitOverrunError, ValueError):
            with contextlib.suppress(ConnectionError):
                writer.write(
                    _error(
                        "line_too_long", f"lines are limited to {self.options.max_line_bytes} bytes"
                    )
                )
        finally:
            self._drop(writer)
            await _close(writer)

    async def _auth(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, where: str
    ) -> tuple[str, bool] | None:
        """(token, ids mode) once the client authenticated, else None (error line sent)."""
        line = await reader.readline()
        word, _, rest = line.decode("utf-8", errors="replace").strip().partition(" ")
        token, _, mode = rest.strip().partition(" ")
        token, mode = token.strip(), mode.strip().lower()
        device_id = self._authenticate(token) if word.upper() == "AUTH" else None
        if device_id is None or mode not in ("", "ids"):
            log.warning("%s: refused a TCP client from %s (bad or missing token)", self.id, where)
            self.health.fail(f"refused a client from {where}: bad or missing token", _wall_ms())
            writer.write(
                _error(
                    "unauthorized",
                    "unknown or revoked device token, or its role may not submit scans: "
                    "pair it with role scanner (first line: AUTH <token> [ids])",
                )
            )
            return None
        writer.write(_line({"auth": "ok", "device_id": device_id}))
        await writer.drain()
        log.info("%s: scanner %s connected from %s", self.id, device_id, where)
        return token, mode == "ids"

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, token: str, ids: bool
    ) -> None:
        while True:
            line = await reader.readline()
            if not line:
                return
            if not line.endswith(b"\n"):  # EOF inside a line: the last code was cut off
                return
            text = line.decode("utf-8", errors="replace").rstrip("\r\n")
            if not text.strip():
                continue
            device_id = self._authenticate(token)  # still paired? (a hash lookup per code)
            if device_id is None:
                writer.write(_error("unauthorized", "this device's token was revoked"))
                return
            request_id = None
            if ids:
                request_id, _, text = text.partition(" ")
                if not _good_request_id(request_id) or not text:
                    writer.write(_error("invalid_request", "in ids mode send <request_id> <code>"))
                    await writer.drain()
                    continue
            self.health.ok(_wall_ms())
            read = CodeRead(text, self.id, self.kind, time.monotonic_ns(), request_id)
            try:
                verdict = await self._judge(read, device_id)
            except Exception:  # the agent answers for its own faults; never drop the client
                log.exception("%s: judging a scan failed", self.id)
                verdict = {
                    "error": {
                        "code": "internal_error",
                        "message": "internal error; see the agent's log",
                    }
                }
            writer.write(_line(verdict))
            await writer.drain()


def _good_request_id(text: str) -> bool:
    return 0 < len(text) <= MAX_REQUEST_ID and text.isprintable()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError, OSError, ssl.SSLError, TimeoutError):
        async with asyncio.timeout(2):
            await writer.wait_closed()


def make_tcp_input(input_id: str, options: Any, ctx: InputContext) -> TcpInput:
    assert isinstance(options, TcpOptions)
    if ctx.judge is None or ctx.authenticate is None:
        raise TypeError("a TCP input needs the agent's judge and authenticate callables")
    tls: ssl.SSLContext | None = None
    if options.wants_tls:
        server_tls: Callable[[], ssl.SSLContext] | None = ctx.server_tls
        if server_tls is None:
            raise ValueError(f'{input_id}: tls needs the agent\'s certificate (or tls = "off")')
        tls = server_tls()
    return TcpInput(input_id, options, ctx.judge, ctx.authenticate, tls)
