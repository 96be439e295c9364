"""The TUI against a real agent on loopback: a paired TUI app builder."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from edge_agent.devices.roles import Role
from edge_agent.runtime import wall_clock_ms
from tests.helpers import runtime_of
from tui.app import GatehouseApp
from tui.client import HttpAgentClient
from tui.token_store import StoredToken

MakeApp = Callable[..., Awaitable[GatehouseApp]]


def agent_url(client: TestClient[Any, Any]) -> str:
    return str(client.make_url("")).rstrip("/")


async def paired_token(client: TestClient[Any, Any], role: Role, name: str) -> StoredToken:
    """Pair over the real route with a code made as ``edge-agent pair`` makes it."""
    pending = runtime_of(client).pairing.issue(role, name, wall_clock_ms())
    resp = await client.post("/api/v1/pair", json={"code": pending.code})
    assert resp.status == 201
    doc = await resp.json()
    return StoredToken(agent_url(client), doc["token"], doc["device_id"], doc["name"], doc["role"])


@pytest.fixture
def make_app(client: TestClient[Any, Any], tmp_path: Path) -> MakeApp:
    async def make(role: Role | None = Role.SUPERVISOR, name: str = "Sam") -> GatehouseApp:
        stored = await paired_token(client, role, name) if role is not None else None
        return GatehouseApp(
            HttpAgentClient(agent_url(client)),
            stored=stored,
            token_path=tmp_path / "cfg" / "tui-token.json",
            device_name="Test TUI",
            poll_s=3600,  # tests ask for status themselves (app.poll_status)
            tz=UTC,
        )

    return make
