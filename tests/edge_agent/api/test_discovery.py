"""Zeroconf on 127.0.0.1: a real agent announces its API, a TUI finds it, goodbye on stop."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path

import aiohttp
import pytest

from demo.event import DemoEvent
from edge_agent.api.discovery import DiscoveryError, FoundAgent, browse, choose
from edge_agent.cli.main import build_parser
from edge_agent.cli.run_cmd import start_agent
from edge_agent.cli.tui_cmd import agent_url
from edge_agent.config.sections import Config, DiscoverySection

pytestmark = pytest.mark.integration

LOOPBACK = ["127.0.0.1"]


def announcing(config: Config, name: str) -> Config:
    api = dataclasses.replace(config.api, listen=("127.0.0.1",), port=0)
    return dataclasses.replace(
        config, api=api, discovery=DiscoverySection(announce=True, name=name)
    )


async def test_agent_is_found_by_its_announcement_and_gone_after_stop(event: DemoEvent) -> None:
    name = f"box-{uuid.uuid4().hex[:8]}"
    agent = await start_agent(announcing(event.config, name))
    try:
        found = [a for a in await browse(LOOPBACK, seconds=1.0) if a.instance == name]
        assert len(found) == 1
        seen = found[0]
        assert seen.url == agent.urls[0]
        assert seen.agent_id == event.config.agent.agent_id
        assert seen.event_id == str(event.config.event.event_id)
        assert seen.gate == event.config.gate.name
        # What was found is the agent's API (public status probe answers 401, not 404).
        async with aiohttp.ClientSession() as s, s.get(f"{seen.url}/api/v1/status") as r:
            assert r.status == 401
    finally:
        await agent.stop()
    after = [a for a in await browse(LOOPBACK, seconds=1.0) if a.instance == name]
    assert after == []


async def test_an_https_agent_is_announced_as_https(event: DemoEvent) -> None:
    name = f"box-{uuid.uuid4().hex[:8]}"
    config = announcing(event.config, name)
    config = dataclasses.replace(config, tls=dataclasses.replace(config.tls, loopback=True))
    agent = await start_agent(config)
    try:
        found = [a for a in await browse(LOOPBACK, seconds=1.0) if a.instance == name]
        assert [a.url for a in found] == [agent.urls[0]]
        assert agent.urls[0].startswith("https://")
    finally:
        await agent.stop()


async def test_an_agent_without_announce_is_not_found(event: DemoEvent) -> None:
    config = announcing(event.config, f"quiet-{uuid.uuid4().hex[:8]}")
    config = dataclasses.replace(
        config, discovery=dataclasses.replace(config.discovery, announce=False)
    )
    agent = await start_agent(config)
    try:
        assert agent.announcer is None
        found = await browse(LOOPBACK, seconds=1.0)
        assert all(a.instance != config.discovery.name for a in found)
    finally:
        await agent.stop()


async def test_tui_discover_connects_to_the_agent_it_finds(
    event: DemoEvent, tmp_path: Path
) -> None:
    name = f"tui-{uuid.uuid4().hex[:8]}"
    agent_id = f"agent-{name}"
    config = announcing(event.config, name)
    own = dataclasses.replace(config.agent, agent_id=agent_id, data_dir=tmp_path / "tui-box")
    config = dataclasses.replace(config, agent=own)
    agent = await start_agent(config)
    try:
        args = build_parser().parse_args(
            ["tui", "--discover", "--on", "127.0.0.1", "--seconds", "1", "--agent-id", agent_id]
        )
        # agent_url runs its own event loop (it is called before the TUI starts).
        url = await asyncio.to_thread(agent_url, args)
        assert url == agent.urls[0]
    finally:
        await agent.stop()


def _found(agent_id: str, url: str) -> FoundAgent:
    return FoundAgent(agent_id, agent_id, "1001", "Gate 1", "0.1.0", url)


def test_choose_names_the_agents_when_it_cannot_pick_one() -> None:
    a, b = _found("gate-a", "http://10.0.0.2:8443"), _found("gate-b", "http://10.0.0.3:8443")
    assert choose([a], None) is a
    assert choose([a, b], "gate-b") is b
    with pytest.raises(DiscoveryError, match=r"pick one with --agent-id: gate-a .*gate-b"):
        choose([a, b], None)
    with pytest.raises(DiscoveryError, match=r"agent id 'gate-c' .*seen: gate-a, gate-b"):
        choose([a, b], "gate-c")
    with pytest.raises(DiscoveryError, match="seen: none"):
        choose([], None)
