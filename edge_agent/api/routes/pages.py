"""``GET /boxoffice/``: the iPad sales page (``GET /api/v1/pair?code=…`` opens it: ``pairing``).

The page is static (HTML, JS, CSS, manifest, icons in ``api/static/boxoffice/``, package
data) and public: it holds no secret, and a browser must load it before it has a token.
Everything it shows comes from the token-guarded API. Only the files listed in
``PAGE_FILES`` are served — no directory listing, no path from the URL reaches the disk.

The pairing QR the TUI shows encodes ``<agent>/api/v1/pair?code=CODE``: scanning it on an
iPad opens the page with ``#pair=CODE`` (a fragment, so the code never reaches a log or a
``Referer``), and the page exchanges it through ``POST /api/v1/pair``.

In a mesh, when its box stops answering, the page moves to another member's page with its
token in ``#handoff=…`` (``handoff.js``, docs/boxoffice-page.md); its policy lets it check
which members answer (``content_security_policy``).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web

from edge_agent.api.auth import public
from edge_agent.api.errors import ApiError
from edge_agent.api.keys import runtime_of
from edge_agent.runtime import AgentRuntime

routes = web.RouteTableDef()

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "boxoffice"

#: Every file the page is made of, with its media type.
PAGE_FILES: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    # the service worker: the page still loads (and shows an unsold sale) while the agent
    # is unreachable; registered only over HTTPS (docs/boxoffice-page.md)
    "sw.js": "text/javascript; charset=utf-8",
    # the hand-over to another box of the venue when this one stops answering
    "handoff.js": "text/javascript; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
    "apple-touch-icon.png": "image/png",
}

#: The page talks to the agent that served it (and, in a mesh, only checks whether the
#: venue's other boxes answer: ``content_security_policy``); QR codes are ``data:``
#: images made from the receipt's server-rendered SVG.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

#: A host taken from the roster, before it goes into a header: a name or an IPv4/IPv6 address.
_HOST = re.compile(r"^[a-z0-9.-]+$")
_HOST6 = re.compile(r"^[0-9a-f:.]+$")


def member_origins(apis: list[str]) -> list[str]:
    """The origins (``scheme://host:port``) of the venue's boxes' LAN APIs, as the page's
    ``connect-src`` may name them: anything that is not a plain http(s) origin is left
    out, so a roster entry can never add a directive."""
    origins: list[str] = []
    for api in apis:
        try:
            parts = urlsplit(api)
            host, port = parts.hostname or "", parts.port
        except ValueError:
            continue
        if parts.scheme not in ("http", "https"):
            continue
        if _HOST6.match(host) and ":" in host:
            host = f"[{host}]"
        elif not _HOST.match(host):
            continue
        origin = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
        if origin not in origins:
            origins.append(origin)
    return origins


def content_security_policy(rt: AgentRuntime) -> str:
    """``CONTENT_SECURITY_POLICY``, plus, on a box in a mesh, the other members' origins in
    ``connect-src``: when its own box stops answering, the page checks which of them answer
    (a ``no-cors`` GET of their page's manifest: it reads nothing, the API grants no CORS)
    before it offers to move there (docs/boxoffice-page.md)."""
    mesh = rt.mesh
    if mesh is None:
        return CONTENT_SECURITY_POLICY
    others = member_origins([m.api for m in mesh.roster.members if m.name != mesh.me and m.api])
    if not others:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "connect-src 'self' ws: wss:", "connect-src 'self' ws: wss: " + " ".join(others), 1
    )


@routes.get("/boxoffice")
@public
async def get_page_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/boxoffice/")


@routes.get("/boxoffice/{name:[^/]*}")
@public
async def get_page_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"] or "index.html"
    media_type = PAGE_FILES.get(name)
    if media_type is None:
        raise ApiError(404, "not_found", f"no page file {name!r}")
    response = web.FileResponse(
        STATIC_DIR / name,
        headers={
            "Content-Type": media_type,
            # revalidate each load: an agent upgrade reaches every iPad at once
            "Cache-Control": "no-cache",
            "Content-Security-Policy": content_security_policy(runtime_of(request)),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
    return response
