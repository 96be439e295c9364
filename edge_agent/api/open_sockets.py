"""The LAN app's open WebSockets, closed when the agent shuts down.

Why: a phone keeps its scan socket open all evening and an iPad its box-office socket for
hours. On SIGTERM the server waits for every running handler up to its shutdown timeout
before cancelling it, and a WebSocket handler runs as long as its socket is open: each
open socket made a stop take the whole timeout (10 s seen with one scan socket). Every
WebSocket route registers its socket here from the upgrade on (a socket still waiting for
its auth message included), and an ``on_shutdown`` step, which runs before that wait,
closes them all with 1001 "going away" — a client reconnects to the next agent on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiohttp import WSCloseCode, web

OPEN_SOCKETS_KEY = web.AppKey("open_websockets", set[web.WebSocketResponse])


def close_sockets_on_shutdown(app: web.Application) -> None:
    """Give ``app`` its set of open sockets and the shutdown step that closes them."""
    app[OPEN_SOCKETS_KEY] = set[web.WebSocketResponse]()
    app.on_shutdown.append(_close_all)


@contextlib.contextmanager
def open_socket(request: web.Request, ws: web.WebSocketResponse) -> Iterator[None]:
    """Hold ``ws`` (prepared) in the app's open sockets while the handler serves it."""
    sockets = request.app[OPEN_SOCKETS_KEY]
    sockets.add(ws)
    try:
        yield
    finally:
        sockets.discard(ws)


async def _close_all(app: web.Application) -> None:
    # One after the other, inline (as the box-office socket always did): each close hands
    # the client a 1001 frame and waits for its answer, so the client sees a clean close.
    for ws in [*app[OPEN_SOCKETS_KEY]]:
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"agent shutting down")
