"""Which language a device wants its staff messages in.

The device says so itself (``Accept-Language``: an iPad in French, the TUI started with
``--lang de``); a device that does not ask gets its lane's ``language``, else the
gate's (``[gate] language``).
"""

from __future__ import annotations

from aiohttp import web

from edge_agent.api.keys import runtime_of
from edge_agent.i18n.languages import pick_language


def language_of(request: web.Request, lane: str | None = None) -> str:
    config = runtime_of(request).config
    fallback = config.gate.language
    for spec in config.lanes:
        if spec.id == lane and spec.language:
            fallback = spec.language
    return pick_language(request.headers.get("Accept-Language"), fallback)
