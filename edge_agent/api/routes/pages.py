"""``GET /boxoffice/``: the iPad sales page (``GET /api/v1/pair?code=…`` opens it: ``pairing``).

The page is static (HTML, JS, CSS, manifest, icons in ``api/static/boxoffice/``, package
data) and public: it holds no secret, and a browser must load it before it has a token.
Everything it shows comes from the token-guarded API. Only the files listed in
``PAGE_FILES`` are served — no directory listing, no path from the URL reaches the disk.

The pairing QR the TUI shows encodes ``<agent>/api/v1/pair?code=CODE``: scanning it on an
iPad opens the page with ``#pair=CODE`` (a fragment, so the code never reaches a log or a
``Referer``), and the page exchanges it through ``POST /api/v1/pair``.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from edge_agent.api.auth import public
from edge_agent.api.errors import ApiError

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
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
    return response
