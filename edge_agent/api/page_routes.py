"""``GET /boxoffice/``: the iPad sales page, and ``GET /api/v1/pair?code=…`` that opens it.

The page is static (HTML, JS, CSS, manifest, icons in ``api/static/boxoffice/``, package
data) and public: it holds no secret, and a browser must load it before it has a token.
Everything it shows comes from the token-guarded API. Only the files listed in
``PAGE_FILES`` are served — no directory listing, no path from the URL reaches the disk.

The pairing QR the TUI shows encodes ``<agent>/api/v1/pair?code=CODE``: scanning it on an
iPad opens the page with ``#pair=CODE`` (a fragment, so the code never reaches a log or a
``Referer``), and the page exchanges it through ``POST /api/v1/pair``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from edge_agent.api.auth import public
from edge_agent.api.errors import ApiError
from edge_agent.api.route_spec import spec
from edge_agent.api.schema_types import rules
from edge_agent.api.schemas import read_query

page_routes = web.RouteTableDef()

STATIC_DIR = Path(__file__).resolve().parent / "static" / "boxoffice"

#: Every file the page is made of, with its media type.
PAGE_FILES: dict[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "manifest.webmanifest": "application/manifest+json",
    "icon-192.png": "image/png",
    "icon-512.png": "image/png",
    "apple-touch-icon.png": "image/png",
}

#: The page talks to the agent that served it and nothing else; QR codes are ``data:``
#: images made from the receipt's server-rendered SVG.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


@page_routes.get("/boxoffice")
@public
async def get_page_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/boxoffice/")


@page_routes.get("/boxoffice/{name:[^/]*}")
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
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
    return response


@dataclass(frozen=True, slots=True)
class PairLinkQuery:
    """``GET /api/v1/pair?code=…``: the one-time code of the TUI's pairing QR."""

    code: str = field(
        metadata=rules(
            min_len=1,
            max_len=32,
            pattern=r"^[A-Za-z0-9-]+$",
            strip=True,
            description="a one-time pairing code (edge-agent pair, the TUI's Devices screen)",
        )
    )


@page_routes.get("/api/v1/pair")
@public  # the code is not redeemed here: the page does that with POST /api/v1/pair
@spec(query=PairLinkQuery, status=302, redirect=True, errors=[(422, "invalid_request")])
async def get_pair_link(request: web.Request) -> web.StreamResponse:
    """Open the iPad sales page with a pairing code (the URL the TUI's pairing QR encodes).

    Redirects to /boxoffice/#pair=CODE; the page exchanges the code with POST /api/v1/pair
    and keeps the token. The code moves into the fragment, which no server or log sees.
    """
    code = read_query(request, PairLinkQuery).code
    raise web.HTTPFound(f"/boxoffice/#pair={quote(code, safe='')}")
