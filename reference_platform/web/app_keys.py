"""Typed keys for what the application and each request carry (aiohttp ``AppKey``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from reference_platform.store.database import Database

Clock = Callable[[], int]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the operator (admin token) or one enrolled agent."""

    admin: bool
    agent_id: str | None = None


DB_KEY = web.AppKey("db", Database)
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")
ADMIN_SHA_KEY = web.AppKey("admin_token_sha256", str)
PRINCIPAL = web.RequestKey("principal", Principal)


def caller_agent(request: web.Request) -> str:
    """The agent whose token authenticated this request (agent routes only)."""
    principal = request[PRINCIPAL]
    assert principal.agent_id is not None
    return principal.agent_id
