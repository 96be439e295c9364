"""Scan rows exactly as an agent produces them: written through the real
``LedgerWriter`` into a temp ledger and read back with their chain values, then shaped
as upload rows (every ``SCAN_FIELDS`` field plus ``chain``, and ``ext`` where a row has one)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp

from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.records import ScanRow
from edge_agent.ledger.sync_tables import scans_for_upload
from edge_agent.ledger.writer import LedgerWriter
from tests.helpers import scan_row
from tests.platform_fixture import PlatformFixture


async def ledger_rows(
    path: Path, agent_id: str, count: int, make: Callable[[int], ScanRow] = scan_row
) -> list[dict[str, Any]]:
    """Append ``count`` rows (``make(i)`` for i = 1..count) and return them for upload."""
    writer = await LedgerWriter.open(path, agent_id)
    try:
        await asyncio.gather(*(writer.submit_scan(make(i)) for i in range(1, count + 1)))
    finally:
        await writer.close()
    conn = open_read_connection(path)
    try:  # shaped by the agent's own upload code
        return scans_for_upload(conn, 0, count, 1 << 30)
    finally:
        conn.close()


def batch(agent_id: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "software_version": "0.1.0",
        "clock": {"agent_time_ms": 1_767_205_327_000, "offset_ms": -12, "rtt_ms": 3,
                  "measured_at_ms": 1_767_205_320_000},
        "rows": rows,
    }  # fmt: skip


async def upload(
    session: aiohttp.ClientSession,
    fx: PlatformFixture,
    token: str,
    agent_id: str,
    rows: list[dict[str, Any]],
    *,
    stream: str = "scans",
    body: dict[str, Any] | None = None,
) -> tuple[int, dict[str, Any]]:
    async with session.post(
        f"{fx.url}/v1/agents/{agent_id}/{stream}",
        json=batch(agent_id, rows) if body is None else body,
        headers=fx.agent_headers(token),
    ) as resp:
        doc: dict[str, Any] = await resp.json()
        return resp.status, doc
