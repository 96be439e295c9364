"""A real reference platform for tests: ``async with running_platform(tmp_path) as p``.

Starts ``reference_platform`` on 127.0.0.1 (in-process aiohttp server on a free
port, or a real ``gatehouse-platform serve`` subprocess with ``subprocess=True``) on a
fresh temp data dir, and sets up event 1001 through the admin API: ticket types 0–3
(the demo's names, capacity 1000 each) and ``gh1`` + ``plain`` issued tickets in orders
with full purchase data. The returned ``PlatformFixture`` gives:

* ``url``, ``admin_token``, ``data_dir``, ``event_id``;
* ``gh1_tickets`` / ``plain_tickets``: ``Ticket(ticket_id, ticket_type, code, order_id)``;
* ``await enrol(agent_id, public_key) -> token`` (raw 32 bytes, an Ed25519 key object
  or base64url text) and ``agent_headers(token)``;
* ``admin``: an ``AdminClient`` (``refund``, ``cancel``, ``chargeback``, ``reissue``,
  ``create_order``, ``enrol``, ``stored_rows``, ``conflicts``, ``event``, …);
* ``await restart()`` (same data dir, same port) and ``await stop()``.

Stable interface: other test packages (the agent side of sync, fault tests, the demo
tests) build on it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from edge_agent.domain.agent_certificate import b64url_encode
from reference_platform.admin_client import AdminClient
from reference_platform.data_dir import init_data_dir, read_admin_token
from reference_platform.server import RunningPlatform, start_platform

EVENT_ID = 1001
TICKET_TYPES = {0: "General admission", 1: "VIP", 2: "Student", 3: "Backstage"}
CAPACITY = 1000
EVENT_STARTS_AT_MS = 1_798_747_200_000  # 2026-12-31 20:00 UTC
PLATFORM_BIN = Path(sys.executable).parent / "gatehouse-platform"


@dataclass(frozen=True)
class Ticket:
    ticket_id: str
    ticket_type: int
    code: str
    order_id: str


@dataclass
class PlatformFixture:
    url: str
    admin_token: str
    data_dir: Path
    admin: AdminClient
    event_id: int = EVENT_ID
    gh1_tickets: list[Ticket] = field(default_factory=list)
    plain_tickets: list[Ticket] = field(default_factory=list)
    _server: RunningPlatform | None = None
    _process: asyncio.subprocess.Process | None = None
    _clock: Callable[[], int] | None = None

    async def enrol(
        self, agent_id: str, public_key: bytes | str | Ed25519PrivateKey | Ed25519PublicKey
    ) -> str:
        """Enrol an agent for the event; returns its bearer token."""
        doc = await self.admin.enrol(self.event_id, agent_id, _b64_public(public_key))
        token: str = doc["token"]
        return token

    @staticmethod
    def agent_headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None
        if self._process is not None:
            await _stop_process(self._process)
            self._process = None

    async def restart(self) -> None:
        """Stop and start again on the same data dir and port (a platform restart)."""
        subprocess = self._process is not None
        await self.stop()
        if subprocess:
            self._process, url = await _spawn(self.data_dir, self.port)
        else:
            kwargs: dict[str, Any] = {} if self._clock is None else {"clock": self._clock}
            self._server = await start_platform(self.data_dir, port=self.port, **kwargs)
            url = self._server.url
        assert url == self.url, (url, self.url)


def _b64_public(key: bytes | str | Ed25519PrivateKey | Ed25519PublicKey) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if isinstance(key, Ed25519PublicKey):
        key = key.public_bytes_raw()
    return b64url_encode(key)


async def _spawn(data_dir: Path, port: int = 0) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        str(PLATFORM_BIN), "serve", "--data", str(data_dir), "--port", str(port),
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=20)
        url: str = json.loads(line)["url"]
    except BaseException:
        await _stop_process(proc)
        raise
    return proc, url


async def _stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), timeout=10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def order_body(customer: int, tickets: list[dict[str, Any]]) -> dict[str, Any]:
    """An order with the purchase data an evidence pack needs (never a PAN)."""
    return {
        "customer_name": f"Customer {customer}",
        "customer_email": f"customer{customer}@example.org",
        "purchased_at_ms": 1_767_000_000_000 + customer,
        "ip": f"198.51.100.{customer % 250 + 1}",
        "user_agent": "Mozilla/5.0 (test)",
        "payment": {"brand": "visa", "last4": "4242", "three_ds": "authenticated"},
        "tickets": tickets,
    }


async def issue_tickets(
    admin: AdminClient, event_id: int, count: int, code: str, *, per_order: int = 10
) -> list[Ticket]:
    """``count`` tickets of types 0, 1, 2 in turn, ``per_order`` to an order."""
    issued: list[Ticket] = []
    customer = 0
    while len(issued) < count:
        n = min(per_order, count - len(issued))
        specs = [{"ticket_type": (len(issued) + i) % 3, "code": code} for i in range(n)]
        customer += 1
        doc = await admin.create_order(event_id, order_body(customer, specs))
        issued += [
            Ticket(t["ticket_id"], t["ticket_type"], t["code"], doc["order_id"])
            for t in doc["tickets"]
        ]
    return issued


@asynccontextmanager
async def running_platform(
    tmp_path: Path,
    *,
    gh1: int = 20,
    plain: int = 10,
    subprocess: bool = False,
    clock: Callable[[], int] | None = None,
) -> AsyncIterator[PlatformFixture]:
    """A platform with event 1001, its ticket types and ``gh1`` + ``plain`` tickets.

    ``clock`` (Unix ms) only applies in-process (lease-expiry tests).
    """
    data_dir = tmp_path / "platform"
    init_data_dir(data_dir)
    token = read_admin_token(data_dir)
    server: RunningPlatform | None = None
    process: asyncio.subprocess.Process | None = None
    if subprocess:
        process, url = await _spawn(data_dir)
    else:
        kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
        server = await start_platform(data_dir, port=0, **kwargs)
        url = server.url
    admin = AdminClient(url, token)
    fixture = PlatformFixture(
        url, token, data_dir, admin, _server=server, _process=process, _clock=clock
    )
    try:
        await admin.create_event(EVENT_ID, "New Year Gala", "Riverside Hall", EVENT_STARTS_AT_MS)
        for ticket_type, name in TICKET_TYPES.items():
            await admin.put_ticket_type(EVENT_ID, ticket_type, name, CAPACITY, 4500)
        fixture.gh1_tickets = await issue_tickets(admin, EVENT_ID, gh1, "gh1")
        fixture.plain_tickets = await issue_tickets(admin, EVENT_ID, plain, "plain")
        yield fixture
    finally:
        await admin.close()
        await fixture.stop()
