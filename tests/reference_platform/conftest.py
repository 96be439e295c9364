"""Fixtures of the platform tests: a running platform and an enrolled agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.platform_fixture import PlatformFixture, running_platform


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformFixture]:
    async with running_platform(tmp_path, gh1=12, plain=6) as fixture:
        yield fixture


@pytest.fixture
def agent_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
