"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, for the sync fault tests.

It sits between the agent and the reference platform and breaks chosen requests in the
ways a venue network does: refusing connections, resetting mid-request, losing the
response after the platform committed, answering slowly, answering 500, truncating the
body. Each request is forwarded on its own upstream connection with ``Connection:
close`` (so the proxy needs no chunked-encoding parser: the upstream answer ends at EOF),
and every answer to the client closes its connection too, so a fault hits exactly one
request.

Faults are rules matched in order against ``METHOD path``; a rule with ``times`` left
applies and counts down. ``down()`` closes the listening socket (connection refused on
the same port) until ``up()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    #: Read half of the request body, then reset the connection (the request never
    #: reaches the platform).
    RESET_REQUEST = "reset_request"
    #: Forward the whole request, read the platform's whole answer (so it has
    #: committed), then reset the client connection: the answer is lost.
    LOSE_RESPONSE = "lose_response"
    #: Forward, then wait ``delay_s`` before answering (longer than the client's timeout).
    SLOW = "slow"
    #: Answer 500 without forwarding.
    STATUS_500 = "status_500"
    #: Forward, then send only the head and half of the answer's body, and close.
    TRUNCATE = "truncate"


@dataclass
class Rule:
    fault: Fault
    method: str = "*"
    path_prefix: str = "/"
    times: int = 1
    delay_s: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and self.method in ("*", method)
            and path.split("?", 1)[0].startswith(self.path_prefix)
        )


@dataclass
class Seen:
    """One request as the proxy saw it, and what it did with it."""

    method: str
    path: str
    fault: Fault | None


@dataclass
class FaultProxy:
    upstream_host: str
    upstream_port: int
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        await self.up()

    async def up(self) -> None:
        """Listen (again) on the same port."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        """Stop listening and drop open client connections: new ones are refused."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        await self.down()

    def add(self, fault: Fault, **kwargs: object) -> Rule:
        rule = Rule(fault, **kwargs)  # type: ignore[arg-type]
        self.rules.append(rule)
        return rule

    def faults_applied(self) -> Iterator[Fault]:
        return (s.fault for s in self.seen if s.fault is not None)

    def _pick(self, method: str, path: str) -> Rule | None:
        for rule in self.rules:
            if rule.matches(method, path):
                rule.times -= 1
                rule.hits += 1
                return rule
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await self._one_request(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)  # type: ignore[arg-type]
            with contextlib.suppress(Exception):
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head[:-4].split(b"\r\n")
        method, path, _version = request_line.decode("latin-1").split(" ", 2)
        headers = [h for h in header_lines if not h.lower().startswith(b"connection:")]
        length = 0
        for h in headers:
            name, _, value = h.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        rule = self._pick(method, path)
        self.seen.append(Seen(method, path, rule.fault if rule else None))
        if rule is not None and rule.fault is Fault.RESET_REQUEST:
            await reader.readexactly(length // 2)
            _reset(writer)
            return
        body = await reader.readexactly(length)
        if rule is not None and rule.fault is Fault.STATUS_500:
            payload = b'{"error":{"code":"injected","message":"fault proxy: 500"}}'
            writer.write(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
            )
            await writer.drain()
            return
        answer = await self._forward(request_line, headers, body)
        if rule is not None and rule.fault is Fault.LOSE_RESPONSE:
            _reset(writer)
            return
        if rule is not None and rule.fault is Fault.SLOW:
            await asyncio.sleep(rule.delay_s)
        if rule is not None and rule.fault is Fault.TRUNCATE:
            split = answer.find(b"\r\n\r\n") + 4
            answer = answer[: split + max(1, (len(answer) - split) // 2)]
        writer.write(answer)
        await writer.drain()

    async def _forward(self, request_line: bytes, headers: list[bytes], body: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        try:
            up_writer.write(b"\r\n".join([request_line, *headers, b"Connection: close"]))
            up_writer.write(b"\r\n\r\n" + body)
            await up_writer.drain()
            answer = await up_reader.read(-1)
        finally:
            up_writer.close()
        head_end = answer.find(b"\r\n\r\n")
        head = answer[:head_end].split(b"\r\n")
        kept = [h for h in head if not h.lower().startswith(b"connection:")]
        return b"\r\n".join([*kept, b"Connection: close"]) + answer[head_end:]


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN: the peer sees "connection reset"."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
