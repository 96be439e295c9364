"""Shared fixtures: a real demo event on disk and a real agent app on loopback."""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from demo.event import DemoEvent, make_demo_event
from edge_agent.api.app import create_app
from edge_agent.cli.manifest_cmd import import_manifest
from edge_agent.devices.roles import Role
from tests.helpers import AiohttpClient, pair


@pytest.fixture
async def event(tmp_path: Path) -> DemoEvent:
    ev = make_demo_event(
        tmp_path / "event", tickets=60, now_s=int(time.time()), rng=random.Random(7)
    )
    await import_manifest(ev.config, ev.manifest)
    return ev


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, event: DemoEvent) -> TestClient[Any, Any]:
    return await aiohttp_client(create_app(event.config))


@pytest.fixture
async def scanner(client: TestClient[Any, Any]) -> dict[str, str]:
    return await pair(client, Role.SCANNER)
