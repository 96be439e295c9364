"""A scripted platform for the agent-side sync tests: a real aiohttp server on
127.0.0.1 whose answers the test queues, and which records every request as received
(headers, decompressed JSON body). Used where a test needs an answer the reference
platform only gives in rare situations (a 422 ``bad_row``, a nonsense reply); the
happy paths and restarts run against the real reference platform."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PLATFORM_TIME_MS = 1_767_205_327_000


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class ScriptedPlatform:
    #: (status, json body) answers, served in order; the last one repeats.
    answers: deque[tuple[int, Any]] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)

    def queue(self, status: int, body: Any) -> None:
        self.answers.append((status, body))

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()  # aiohttp has already undone Content-Encoding: gzip
        self.received.append(
            Received(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                json.loads(raw) if raw else None,
            )
        )
        status, body = self.answers.popleft() if len(self.answers) > 1 else self.answers[0]
        return web.json_response(
            body, status=status, headers={"X-Platform-Time-Ms": str(PLATFORM_TIME_MS)}
        )

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


def error(code: str, message: str = "refused", **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}
