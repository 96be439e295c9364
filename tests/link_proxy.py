"""TCP links between NATS servers that a test can cut and heal (loopback only).

One listener per *ordered* pair of boxes (``src -> dst``): each box's ``[mesh] peers``
points at its own links, and every box advertises a dead port, so no route between two
servers can go around the proxy. ``cut(box)`` resets every link to and from a box and
refuses new ones — what a pulled cable or a dead switch port does to its routes —
and ``heal(box)`` lets them connect again. The proxy runs its own event loop in a
thread, so a synchronous test drives it with plain calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterable


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LinkProxy:
    def __init__(self, names: Iterable[str]) -> None:
        self.names = list(names)
        #: (src, dst) -> the port src dials to reach dst
        self.ports = {(s, d): _free_port() for s in self.names for d in self.names if s != d}
        self.targets: dict[str, int] = {}
        self._cut: set[str] = set()
        self._open: dict[tuple[str, str], set[asyncio.StreamWriter]] = {
            k: set() for k in self.ports
        }
        self._loop = asyncio.new_event_loop()
        self._servers: list[asyncio.Server] = []
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def peers(self, src: str) -> list[str]:
        """``[mesh] peers`` for ``src``: its links to every other box."""
        return [f"127.0.0.1:{p}" for (s, _d), p in self.ports.items() if s == src]

    def start(self, route_ports: dict[str, int]) -> None:
        """Listen on every link, forwarding to each box's real route port."""
        self.targets = dict(route_ports)
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    async def _start(self) -> None:
        for link, port in self.ports.items():
            server = await asyncio.start_server(
                lambda r, w, link=link: self._handle(link, r, w), "127.0.0.1", port
            )
            self._servers.append(server)

    async def _handle(
        self, link: tuple[str, str], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if link[0] in self._cut or link[1] in self._cut:
            writer.transport.abort()
            return
        try:
            up_r, up_w = await asyncio.open_connection("127.0.0.1", self.targets[link[1]])
        except OSError:
            writer.transport.abort()
            return
        self._open[link] |= {writer, up_w}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))
        self._open[link] -= {writer, up_w}

    def cut(self, name: str) -> None:
        asyncio.run_coroutine_threadsafe(self._set_cut(name, True), self._loop).result(5)

    def heal(self, name: str) -> None:
        asyncio.run_coroutine_threadsafe(self._set_cut(name, False), self._loop).result(5)

    async def _set_cut(self, name: str, cut: bool) -> None:
        if not cut:
            self._cut.discard(name)
            return
        self._cut.add(name)
        for (src, dst), writers in self._open.items():
            if name in (src, dst):
                for w in list(writers):
                    w.transport.abort()

    def close(self) -> None:
        async def stop() -> None:
            for server in self._servers:
                server.close()
            for writers in self._open.values():
                for w in writers:
                    w.transport.abort()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
