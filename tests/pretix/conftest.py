"""Fixtures of the pretix tests: pretix installed in its own venv (cached), one real pretix
server for the session (loopback, SQLite) with data made through pretix's code and API.

If pretix cannot be installed the tests FAIL with the reason: a CI run without them
must never look green.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.pretix.environment import PretixEnv, PretixUnavailable, prepare
from tests.pretix.server import PretixServer

#: One-time device tokens made with the fixtures (one per test agent).
DEVICES = 8


@pytest.fixture(scope="session")
def pretix_env() -> PretixEnv:
    try:
        return prepare(log=False)
    except PretixUnavailable as exc:
        pytest.fail(f"pretix is not available, so the pretix tests cannot run: {exc}")


@pytest.fixture(scope="session")
def pretix(
    pretix_env: PretixEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PretixServer]:
    server = PretixServer(pretix_env, tmp_path_factory.mktemp("pretix-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fixtures(pretix: PretixServer) -> dict[str, Any]:
    return pretix.make_fixtures(DEVICES)


@pytest.fixture(scope="session")
def device_tokens(fixtures: dict[str, Any]) -> Iterator[str]:
    """Hands out the one-time device tokens, one per call of ``next``."""
    return iter(list(fixtures["devices"]))
