"""The demo's central platform: a real reference platform beside the demo agent.

``gatehouse-demo`` starts ``reference_platform`` on 127.0.0.1 with the demo event,
sells one online order there, enrols the demo agent exactly as a venue tech would
(``docs/install.md``: agent key → ``enrol`` → token file → ``[sync]``), and after the gate
tour shows the round trip a venue cares about: a ticket bought online admits at the
gate, a refund made on the platform reaches the gate on its next sync and the gate
refuses that ticket, and every scan row is on the platform with the same chain.
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.event import EVENT_ID, TICKET_TYPES
from edge_agent.config.key_files import write_key_file
from edge_agent.domain.agent_certificate import b64url_encode
from edge_agent.errors import GatehouseError
from reference_platform.admin_client import AdminClient
from reference_platform.data_dir import init_data_dir, read_admin_token
from reference_platform.server import RunningPlatform, start_platform

#: Appended to the demo config: the demo syncs every second so the refund shows at once.
SYNC_CONFIG = """
[sync]
platform_url = "{url}"
token_file = "agent.token"
manifest_interval_s = 1
upload_interval_s = 1
timeout_s = 5
backoff_max_s = 2
"""


@dataclass(frozen=True)
class OnlineTicket:
    ticket_id: str
    code: str
    order_id: str
    holder: str


@dataclass
class DemoPlatform:
    server: RunningPlatform
    admin: AdminClient
    tickets: list[OnlineTicket]

    @property
    def url(self) -> str:
        return self.server.url

    @classmethod
    async def start(cls, root: Path, starts_at_ms: int) -> DemoPlatform:
        """The platform with event 1001, its ticket types and one online order."""
        data_dir = root / "platform"
        init_data_dir(data_dir)
        server = await start_platform(data_dir, port=0)
        admin = AdminClient(server.url, read_admin_token(data_dir))
        try:
            await admin.create_event(EVENT_ID, "Demo Night", "Demo Hall", starts_at_ms)
            for ticket_type, name in TICKET_TYPES.items():
                await admin.put_ticket_type(EVENT_ID, ticket_type, name, 500, 4500)
            spec = _online_order(starts_at_ms)
            order = await admin.create_order(EVENT_ID, spec)
            tickets = [
                OnlineTicket(t["ticket_id"], t["code"], order["order_id"], s["holder_name"])
                for t, s in zip(order["tickets"], spec["tickets"], strict=True)
            ]
        except BaseException:
            await admin.close()
            await server.stop()
            raise
        return cls(server, admin, tickets)

    async def enrol(self, config_path: Path, agent_id: str, data_dir: Path) -> None:
        """What a venue tech does once per box: make the agent's key, enrol it on the
        platform, keep the token in a 0600 file, point ``[sync]`` at the platform."""
        key = Ed25519PrivateKey.generate()
        public = b64url_encode(key.public_key().public_bytes_raw())
        doc = await self.admin.enrol(EVENT_ID, agent_id, public)
        _write_agent_files(config_path, data_dir, key, doc["token"], self.url)

    async def stored_scan_rows(self, agent_id: str) -> list[dict[str, Any]]:
        """Every scan row the platform holds for the agent, in seq order."""
        rows: list[dict[str, Any]] = []
        while True:
            page = await self.admin.stored_rows(agent_id, after_seq=len(rows), limit=1000)
            rows += [r["row"] for r in page]
            if len(page) < 1000:
                return rows

    async def stop(self) -> None:
        try:
            await self.admin.close()
        finally:
            await self.server.stop()


def _write_agent_files(
    config_path: Path, data_dir: Path, key: Ed25519PrivateKey, token: str, url: str
) -> None:
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_key_file(data_dir / "agent.key", key)
    fd = os.open(config_path.parent / "agent.token", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    with config_path.open("a") as f:
        f.write(SYNC_CONFIG.format(url=url))


def _online_order(now_ms: int) -> dict[str, Any]:
    """An order as a web shop would send it: purchase data for evidence, never a PAN."""
    return {
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.org",
        "purchased_at_ms": now_ms - 86_400_000,
        "ip": "198.51.100.7",
        "user_agent": "Mozilla/5.0 (demo)",
        "payment": {"brand": "visa", "last4": "4242", "three_ds": "authenticated"},
        "tickets": [
            {"ticket_type": 0, "code": "gh1", "holder_name": "Ada Lovelace"},
            {"ticket_type": 0, "code": "gh1", "holder_name": "Charles Babbage"},
        ],
    }


async def wait_until(
    probe: Any, what: str, within_s: float = 15.0, every_s: float = 0.1
) -> tuple[Any, float]:
    """Poll ``await probe()`` until it returns something truthy; (value, seconds taken)."""
    t0 = time.perf_counter()
    while True:
        value = await probe()
        if value:
            return value, time.perf_counter() - t0
        if time.perf_counter() - t0 > within_s:
            raise GatehouseError(f"demo: {what} did not happen within {within_s:.0f} s")
        await asyncio.sleep(every_s)
