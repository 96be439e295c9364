"""Talks to a running agent over its control socket (``data_dir/control.sock``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from edge_agent.errors import GatehouseError


class AgentNotRunning(GatehouseError):
    pass


async def control_request(sock: Path, method: str, path: str, body: dict[str, Any] | None) -> Any:
    connector = aiohttp.UnixConnector(path=str(sock))
    try:
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.request(method, f"http://agent{path}", json=body) as resp,
        ):
            doc = await resp.json(content_type=None)
            if resp.status >= 400:
                err = doc.get("error", {}) if isinstance(doc, dict) else {}
                raise GatehouseError(err.get("message", f"agent answered {resp.status}"))
            return doc
    except PermissionError:
        raise GatehouseError(
            f"no permission to use {sock}: run this as the agent's user (sudo -u gatehouse …)"
        ) from None
    except (aiohttp.ClientConnectionError, ConnectionRefusedError):
        raise AgentNotRunning(
            f"no agent is running on this data dir (nothing answers at {sock}); "
            "start it first: edge-agent run --config FILE"
        ) from None
    except json.JSONDecodeError:
        raise GatehouseError("the agent sent an unreadable answer") from None


def control_call(sock: Path, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return asyncio.run(control_request(sock, method, path, body))
