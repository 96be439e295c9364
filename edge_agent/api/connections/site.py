"""``GuardedSite``: an aiohttp site whose own accept loop asks the guard before anything.

Why not ``web.TCPSite``: it hands the listening socket to ``loop.create_server``, whose
accept loop (a) takes every connection and starts its TLS handshake before the
application hears of it, so nothing can bound connections by address before they cost a
descriptor and a handshake, and (b) on EMFILE logs a traceback and keeps looping
(python/cpython#151615: up to ``backlog`` tracebacks and retries per event-loop tick —
the 1–2 MB/s of log a slowloris caused). This loop accepts one connection at a time
(``loop.sock_accept``), asks ``ConnectionGuard.admit`` for a slot, and only then starts
TLS (``loop.connect_accepted_socket`` with ``ssl_handshake_timeout``) and aiohttp's own
protocol. On EMFILE it closes the oldest stranger, counts it, and backs off, with one
log line per burst (``logs.py`` rate-limits repeats too).

aiohttp's own knobs still do what they do well: ``keepalive_timeout`` (the runner's, set
to ``api.idle_timeout_s``) closes a connection idle between requests or slow with a
later request's headers; ``client_max_size`` bounds bodies; ``max_line_size`` and
``max_field_size`` bound headers.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import ssl
from typing import Any, cast

from aiohttp import web

from edge_agent.api.connections.guard import Conn, ConnectionGuard

log = logging.getLogger(__name__)

#: accept() errors that mean "out of descriptors or memory now, not a broken socket".
OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
#: How long to wait before accepting again after running out with nothing to evict.
OUT_OF_FILES_PAUSE_S = 0.5


class _Listener:
    """Stands where aiohttp keeps an ``asyncio.Server``: its sockets, and close()."""

    def __init__(self, sock: socket.socket, task: asyncio.Task[None]) -> None:
        self.sockets = [sock]
        self._task = task

    def close(self) -> None:
        self._task.cancel()
        for sock in self.sockets:
            sock.close()


class _Tracked(asyncio.Protocol):
    """aiohttp's request handler, with the guard told when the connection is set up
    and when it is gone (a thin forwarder: aiohttp never sees the difference)."""

    def __init__(self, inner: asyncio.Protocol, guard: ConnectionGuard, conn: Conn) -> None:
        self._inner = inner
        self._guard = guard
        self._conn = conn

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast(asyncio.Transport, transport)
        self._guard.attach(self._conn, stream)
        if self._conn.closed:  # evicted while its handshake finished
            stream.abort()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._guard.release(self._conn)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()


class GuardedSite(web.BaseSite):
    """One listening address of the LAN API, its connections bounded by ``guard``."""

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        *,
        guard: ConnectionGuard,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._host = host
        self._port = port
        self._guard = guard
        self._pending: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.create_server((self._host, self._port), family=family, backlog=self._backlog)
        sock.setblocking(False)
        self._port = sock.getsockname()[1]
        task = asyncio.get_running_loop().create_task(
            self._accept_forever(sock), name=f"accept-{self._host}"
        )
        self._server = _Listener(sock, task)  # type: ignore[assignment]

    async def stop(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await super().stop()

    async def _accept_forever(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                client, address = await loop.sock_accept(sock)
            except OSError as exc:
                if exc.errno in OUT_OF_RESOURCES:
                    await self._out_of_files(exc)
                elif exc.errno not in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    # never let the listener die quietly: say so (rate-limited), go on
                    log.warning("accept() failed: %s", exc.strerror or exc)
                    await asyncio.sleep(OUT_OF_FILES_PAUSE_S)
                continue
            self._admit(client, address)
            # sock_accept does not yield while connections are queued: let the ones just
            # evicted close (their descriptors are freed on the next loop iteration)
            await asyncio.sleep(0)

    async def _out_of_files(self, exc: OSError) -> None:
        guard = self._guard
        guard.counts["out_of_files"] += 1
        evicted = guard.evict_one("out_of_files")
        log.warning(  # rate-limited by logs.py: one line per burst, not one per accept
            "cannot accept a connection: %s; %s",
            exc.strerror,
            "closed the oldest unauthenticated connection" if evicted else "waiting",
            extra={"open_files": guard.snapshot()["open_files"]},
        )
        await asyncio.sleep(0.01 if evicted else OUT_OF_FILES_PAUSE_S)

    def _admit(self, client: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        conn = self._guard.admit(host)
        if conn is None:
            client.close()
            return
        client.setblocking(False)
        task = asyncio.get_running_loop().create_task(self._connect(client, conn))
        conn.stopper = task.cancel
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _connect(self, client: socket.socket, conn: Conn) -> None:
        """TLS (if any) and aiohttp's protocol for an admitted connection."""
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        try:
            await loop.connect_accepted_socket(
                lambda: _Tracked(server(), self._guard, conn),
                client,
                ssl=self._ssl_context,
                ssl_handshake_timeout=(
                    self._guard.limits.header_timeout_s if self._ssl_context else None
                ),
            )
        except (OSError, ssl.SSLError, asyncio.CancelledError, ValueError):
            # a failed or timed-out handshake, evicted while shaking hands, or stopping
            self._guard.release(conn)
            if client.fileno() != -1:
                client.close()
        finally:
            conn.stopper = None
