"""Sync off by default, and a bad token file stops the start with a clear message."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from demo.event import DemoEvent
from edge_agent.api.app import create_app
from edge_agent.config.key_files import KeyFileError, read_token_file
from edge_agent.config.loading import load_config
from edge_agent.devices.roles import Role
from edge_agent.runtime import AgentRuntime
from tests.helpers import AiohttpClient, pair

pytestmark = pytest.mark.integration


async def test_without_a_platform_the_gate_is_offline_and_says_so(
    event: DemoEvent, aiohttp_client: AiohttpClient
) -> None:
    client = await aiohttp_client(create_app(event.config))
    boss = await pair(client, Role.SUPERVISOR)
    status = await (await client.get("/api/v1/status", headers=boss)).json()
    assert status["sync"] == {"enabled": False, "event": None}
    assert status["manifest"]["at"] is None and status["manifest"]["age_s"] is None
    resp = await client.post("/api/v1/sync/now", headers=boss)
    assert resp.status == 409
    assert (await resp.json())["error"]["code"] == "sync_disabled"


def test_token_file_rules(tmp_path: Path) -> None:
    token = tmp_path / "agent.token"
    with pytest.raises(KeyFileError, match="token file not found"):
        read_token_file(token)
    token.write_text("gh_abc\n")
    os.chmod(token, 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        read_token_file(token)
    os.chmod(token, 0o600)
    assert read_token_file(token) == "gh_abc"
    token.write_text("two words\n")
    with pytest.raises(KeyFileError, match="alone on one line"):
        read_token_file(token)


async def test_a_readable_token_file_stops_the_start(event: DemoEvent) -> None:
    token = event.root / "agent.token"
    token.write_text("secret-token\n")
    os.chmod(token, 0o640)
    path = event.config_path
    path.write_text(
        path.read_text().replace(
            "[log]",
            '[sync]\nplatform_url = "http://127.0.0.1:9"\ntoken_file = "agent.token"\n\n[log]',
        )
    )
    config = load_config(path)
    with pytest.raises(KeyFileError, match="readable by others") as err:
        await AgentRuntime.start(config)
    assert "secret-token" not in str(err.value)
    # nothing was left locked: a fixed file lets the agent start (and stop) cleanly
    os.chmod(token, 0o600)
    rt = await AgentRuntime.start(config)
    try:
        assert rt.sync is not None and rt.sync.platform_url == "http://127.0.0.1:9"
    finally:
        await rt.stop()
