"""``/support/``: the page and its read-only JSON routes.

Routes check the session cookie themselves (``/support/`` is outside the admin and
agent token middleware); only login and logout write (the session table). The evidence
downloads are the platform's signed pack: a zip of the folder ``edge-agent evidence
verify`` reads (``evidence.json``, the exact signed text, with ``evidence.json.sig``
over it, and the HTML) for anyone to verify, and the PDF for a card scheme. Each
download builds the pack once, so the JSON and its signature always belong together.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from edge_agent import __version__
from edge_agent.evidence.files import write_pack_files
from reference_platform.errors import Invalid, NotFound, Unauthorized
from reference_platform.services.evidence_data import platform_pack
from reference_platform.support.accounts import SESSION_S, login, logout, session_user
from reference_platform.support.lookup import find_orders, order_story
from reference_platform.web.app_keys import CLOCK_KEY, DB_KEY

support_routes = web.RouteTableDef()

COOKIE = "gatehouse_support"
STATIC = Path(__file__).resolve().parent / "static"
PAGE_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]


def signed_in(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def check(request: web.Request) -> web.StreamResponse:
        token = request.cookies.get(COOKIE, "")
        now = request.app[CLOCK_KEY]()
        user = await request.app[DB_KEY].read(lambda c: session_user(c, token, now))
        if not token or user is None:
            raise Unauthorized("sign in to the support page first")
        response = await handler(request, user)
        response.headers.update(SECURITY_HEADERS)
        return response

    return check


@support_routes.get("/support")
async def get_root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPPermanentRedirect("/support/")


@support_routes.get("/support/{name:[a-z.]*}")
async def get_page(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"] or "index.html"
    media = PAGE_FILES.get(name)
    if media is None:
        raise NotFound(f"no page file {name!r}")
    return web.FileResponse(STATIC / name, headers={**SECURITY_HEADERS, "Content-Type": media})


@support_routes.post("/support/api/login")
async def post_login(request: web.Request) -> web.Response:
    try:
        body: Any = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise Invalid("expected a JSON body") from None
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise Invalid("username and password are required", field="username")
    now = request.app[CLOCK_KEY]()
    token = await request.app[DB_KEY].write(lambda c: login(c, username, password, now))
    if token is None:
        raise Unauthorized("wrong username or password")
    response = web.json_response({"username": username, "role": "support"})
    response.set_cookie(
        COOKIE, token, max_age=SESSION_S, httponly=True, samesite="Strict",
        secure=request.secure, path="/support/",
    )  # fmt: skip
    return response


@support_routes.post("/support/api/logout")
async def post_logout(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE, "")
    await request.app[DB_KEY].write(lambda c: logout(c, token))
    response = web.json_response({"signed_out": True})
    response.del_cookie(COOKIE, path="/support/")
    return response


async def _me(request: web.Request, user: str) -> web.Response:
    return web.json_response({"username": user, "role": "support"})


async def _search(request: web.Request, user: str) -> web.Response:
    query = request.query.get("q", "")
    orders = await request.app[DB_KEY].read(lambda c: find_orders(c, query))
    return web.json_response({"query": query, "orders": orders})


async def _order(request: web.Request, user: str) -> web.Response:
    order_id = request.match_info["order_id"]
    story = await request.app[DB_KEY].read(lambda c: order_story(c, order_id))
    return web.json_response(story)


async def _evidence(request: web.Request, user: str) -> web.Response:
    order_id, kind = request.match_info["order_id"], request.match_info["kind"]
    now = request.app[CLOCK_KEY]()
    pack_bytes, signature = await request.app[DB_KEY].read(
        lambda c: platform_pack(c, order_id=order_id, ticket_id=None, now_ms=now,
                                software_version=__version__)
    )  # fmt: skip
    name = f"evidence-{order_id}"
    if kind == "zip":  # one build: the JSON and the signature over exactly its bytes
        body, media, filename = (
            _pack_zip(name, pack_bytes, signature),
            "application/zip",
            f"{name}.zip",
        )
    else:
        from edge_agent.evidence.core.render_pdf import render_pdf

        body, media, filename = render_pdf(json.loads(pack_bytes)), "application/pdf", f"{name}.pdf"
    return web.Response(
        body=body,
        headers={
            "Content-Type": media,
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


def _pack_zip(name: str, pack_bytes: bytes, signature: Any) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        written = write_pack_files(Path(tmp), pack_bytes, signature)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, f"{name}/{path.name}")
    return buffer.getvalue()


support_routes.get("/support/api/me")(signed_in(_me))
support_routes.get("/support/api/orders")(signed_in(_search))
support_routes.get("/support/api/orders/{order_id}")(signed_in(_order))
support_routes.get("/support/api/orders/{order_id}/evidence.{kind:zip|pdf}")(signed_in(_evidence))
