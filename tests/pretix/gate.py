"""A real ``edge-agent run`` linked to pretix, driven the way a venue would: config file,
``edge-agent pretix enrol``, paired scanner and supervisor, scans over the LAN API.

Blocking steps (CLI commands, the agent's start) run in a thread, so a fault proxy on
the test's event loop keeps serving the agent meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from tests.agent_process import AgentProcess, cli

CONFIG = """\
[agent]
agent_id = "{agent_id}"
data_dir = "data"

[event]
event_id = 1001
keyring = "keyring.json"

[api]
listen = ["127.0.0.1"]
port = 0

[policy]
reentry = true

[sync]
kind = "pretix"
platform_url = "{url}"
token_file = "device.token"
manifest_interval_s = 3600
upload_interval_s = 3600
timeout_s = 5
backoff_max_s = 1

[sync.pretix]
organizer = "gh"
event = "{event}"
checkin_list = {checkin_list}

[log]
level = "info"
format = "json"
"""


def at_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


class Gate:
    def __init__(self, root: Path, *, agent_id: str, url: str, event: str, checkin_list: int):
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.config = root / "config.toml"
        self.config.write_text(
            CONFIG.format(agent_id=agent_id, url=url, event=event, checkin_list=checkin_list)
        )
        (root / "keyring.json").write_text('{"keys": []}\n')
        self.agent: AgentProcess | None = None
        self.session: aiohttp.ClientSession | None = None
        self.scanner: dict[str, str] = {}
        self.supervisor: dict[str, str] = {}

    async def enrol(self, init_token: str) -> dict[str, Any]:
        out = await asyncio.to_thread(
            cli, "pretix", "enrol", "--config", str(self.config), "--token", init_token, "--json"
        )
        assert out.returncode == 0, out.stderr
        doc: dict[str, Any] = json.loads(out.stdout)
        return doc

    async def start(self) -> None:
        self.agent = await asyncio.to_thread(AgentProcess, self.config)
        self.session = aiohttp.ClientSession()
        self.scanner = await asyncio.to_thread(self.agent.pair, "scanner")
        self.supervisor = await asyncio.to_thread(self.agent.pair, "supervisor")

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        assert self.agent is not None and self.session is not None
        headers = self.supervisor if "/sync" in path else self.scanner
        async with self.session.request(
            method, self.agent.url + path, json=body, headers=headers
        ) as resp:
            return resp.status, await resp.json()

    async def scan(self, code: str, direction: str = "in") -> dict[str, Any]:
        status, doc = await self.call(
            "POST", "/api/v1/scans", {"code": code, "direction": direction}
        )
        assert status == 200, doc
        result: dict[str, Any] = doc
        return result

    async def sync_now(self) -> dict[str, Any]:
        status, doc = await self.call("POST", "/api/v1/sync/now")
        assert status in (200, 202), doc
        sync: dict[str, Any] = doc["sync"]
        return sync

    async def synced(self, timeout_s: float = 60) -> dict[str, Any]:
        """Sync rounds until a round ends without error and nothing waits for upload."""
        deadline = time.monotonic() + timeout_s
        while True:
            sync = await self.sync_now()
            depth = sum(box["depth"] for box in sync.get("outbox", {}).values())
            # ``last_error`` stays as the last one seen; a round without one resets this
            if sync["failures_in_a_row"] == 0 and depth == 0 and sync["manifest"]["at"]:
                return sync
            assert time.monotonic() < deadline, sync
            await asyncio.sleep(0.2)

    async def conflicts(self) -> list[dict[str, Any]]:
        status, doc = await self.call("GET", "/api/v1/sync/conflicts")
        assert status == 200, doc
        found: list[dict[str, Any]] = doc["conflicts"]
        return found

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.agent is not None:
            code = await asyncio.to_thread(self.agent.stop, signal.SIGTERM)
            assert code == 0, "".join(self.agent.log_lines[-20:])
