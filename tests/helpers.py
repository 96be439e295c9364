"""Helpers the tests share: pairing a device over the real route, reaching the runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient

from edge_agent.api.keys import RUNTIME_KEY
from edge_agent.devices.roles import Role
from edge_agent.ledger.records import ScanRow
from edge_agent.runtime import AgentRuntime, wall_clock_ms

AiohttpClient = Callable[..., Awaitable[TestClient[Any, Any]]]


def runtime_of(client: TestClient[Any, Any]) -> AgentRuntime:
    return client.app[RUNTIME_KEY]  # type: ignore[index]


async def pair(
    client: TestClient[Any, Any], role: Role = Role.SCANNER, name: str = "t"
) -> dict[str, str]:
    """Issue a code as `edge-agent pair` does, and exchange it over the real route."""
    pending = runtime_of(client).pairing.issue(role, name, wall_clock_ms())
    resp = await client.post("/api/v1/pair", json={"code": pending.code})
    assert resp.status == 201, await resp.text()
    doc: dict[str, str] = await resp.json()
    return {"Authorization": f"Bearer {doc['token']}"}


def scan_row(i: int, **changes: Any) -> ScanRow:
    """A plausible scan row numbered ``i`` (unique id and code hash); override any field."""
    row = ScanRow(
        f"scan-{i:08d}", 1_715_000_000_000 + i, "gate-1", "lane-a", "dev-1", "wedge", "in",
        "gh1", 7, f"T{i % 50:04d}", 1, "k1", f"{i:064x}", "admit", "ok",
    )  # fmt: skip
    return row._replace(**changes) if changes else row
