"""A box-office agent on a real reference platform: the agent's own key enrolled (so
the tickets it signs verify at every gate), ``[box_office]`` and a dummy printer."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from edge_agent.config.key_files import load_or_create_agent_key
from edge_agent.config.sections import Config
from tests.edge_agent.platform_link.agent_setup import config_text, write_agent_files
from tests.platform_fixture import PlatformFixture

BOX_OFFICE = """
[box_office]
currency = "EUR"
lease_size = {lease_size}
top_up_below = {top_up_below}
expiry_margin_s = 0

[printer]
id = "printer-1"
type = "dummy"
"""


async def box_office_config(
    root: Path,
    platform: PlatformFixture,
    *,
    agent_id: str = "door-a",
    lease_size: int = 0,
    top_up_below: int = 0,
    url: str | None = None,
) -> Config:
    """Enrol the agent's identity key (made here, as the agent would on first start);
    ``url`` points the agent elsewhere (a fault proxy in front of the platform)."""
    key = load_or_create_agent_key(_data_dir(root) / "agent.key")
    token = await platform.enrol(agent_id, key.public_raw)
    text = config_text(agent_id, platform.event_id, url or platform.url, log_level="warning")
    text += BOX_OFFICE.format(lease_size=lease_size, top_up_below=top_up_below)
    return write_agent_files(root, token, text)


def _data_dir(root: Path) -> Path:
    path = root / "data"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


async def call(
    client: TestClient[Any, Any],
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any = None,
    *,
    status: int | None = None,
) -> Any:
    resp = await client.request(method, path, json=body, headers=headers)
    doc = await resp.json()
    if status is not None:
        assert resp.status == status, (resp.status, doc)
    return doc


def cash_sale(ticket_type: int, quantity: int, tendered: int, **extra: Any) -> dict[str, Any]:
    return {
        "request_id": str(uuid.uuid4()),
        "items": [{"ticket_type": ticket_type, "quantity": quantity}],
        "payment": {"method": "cash", "tendered_cents": tendered},
        **extra,
    }
