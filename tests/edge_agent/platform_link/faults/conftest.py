"""Fixtures of the fault tests: a real reference platform and the staged fault proxy
in front of it, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.edge_agent.platform_link.faults.proxy import StagedProxy
from tests.platform_fixture import PlatformFixture, running_platform

# The shared checks live in harness.py: let pytest explain their failures too (the
# test modules import it after this conftest).
pytest.register_assert_rewrite("tests.edge_agent.platform_link.faults.harness")


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=12, plain=6) as fixture:
        yield fixture


@pytest.fixture
async def proxy(platform: PlatformFixture) -> AsyncIterator[StagedProxy]:
    p = StagedProxy("127.0.0.1", platform.port)
    await p.start()
    try:
        yield p
    finally:
        for pause in p.pauses:
            pause.release.set()
        await p.close()
