"""The iPad page is served by the agent itself: public, self-contained, installable.

The browser drives it in ``tests/edge_agent/api/browser/``; these check what the agent serves.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiohttp.test_utils import TestClient

from edge_agent.api.routes.pages import (
    CONTENT_SECURITY_POLICY,
    PAGE_FILES,
    STATIC_DIR,
    content_security_policy,
    member_origins,
)
from edge_agent.devices.roles import Role
from edge_agent.runtime import AgentRuntime, wall_clock_ms
from tests.helpers import runtime_of

pytestmark = pytest.mark.integration

#: A few hundred KB at most: it loads over venue Wi-Fi.
MAX_PAGE_BYTES = 300_000


async def test_the_page_and_its_files_are_public(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/boxoffice", allow_redirects=False)
    assert resp.status == 308
    assert resp.headers["Location"] == "/boxoffice/"
    resp = await client.get("/boxoffice/")
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    html = await resp.text()
    assert '<meta name="apple-mobile-web-app-capable" content="yes">' in html
    assert 'rel="manifest" href="manifest.webmanifest"' in html
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    for name, media_type in PAGE_FILES.items():
        resp = await client.get(f"/boxoffice/{name}")
        assert resp.status == 200, name
        assert resp.headers["Content-Type"] == media_type, name
        assert resp.headers["Cache-Control"] == "no-cache"
        assert await resp.read() == (STATIC_DIR / name).read_bytes()


async def test_only_the_listed_files_are_served(client: TestClient[Any, Any]) -> None:
    for path in (
        "/boxoffice/nope.js",
        "/boxoffice/..%2f..%2froutes%2fpages.py",
        "/boxoffice/%2e%2e/%2e%2e/app.py",
        "/boxoffice/static",
    ):
        resp = await client.get(path)
        assert resp.status == 404, path
        assert (await resp.json())["error"]["code"] == "not_found"


def test_every_file_in_the_page_directory_is_listed_and_small() -> None:
    on_disk = {p.name for p in STATIC_DIR.iterdir()}
    assert on_disk == set(PAGE_FILES)
    assert sum((STATIC_DIR / n).stat().st_size for n in PAGE_FILES) < MAX_PAGE_BYTES


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """Works on a LAN with no internet: no CDN, no web font, no absolute URL."""
    for name in ("index.html", "handoff.js", "app.js", "app.css", "manifest.webmanifest"):
        text = (STATIC_DIR / name).read_text()
        # the SVG namespace is a name, not an address the page loads
        text = text.replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://", text), name
        assert "//cdn" not in text and "@import" not in text, name
    manifest = json.loads((STATIC_DIR / "manifest.webmanifest").read_text())
    assert manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert icon["src"] in PAGE_FILES
        assert (STATIC_DIR / icon["src"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_the_pairing_link_opens_the_page_with_the_code_in_the_fragment(
    client: TestClient[Any, Any],
) -> None:
    pending = runtime_of(client).pairing.issue(Role.BOX_OFFICE, "ipad", wall_clock_ms())
    resp = await client.get(f"/api/v1/pair?code={pending.code}", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == f"/boxoffice/#pair={pending.code}"
    # following the link redeems nothing: the page does that with POST /api/v1/pair
    resp = await client.post("/api/v1/pair", json={"code": pending.code})
    assert resp.status == 201
    for bad in ("", "?code=", "?code=a%20b", "?code=" + "x" * 40, "?code=%3Cscript%3E"):
        resp = await client.get(f"/api/v1/pair{bad}", allow_redirects=False)
        assert resp.status == 422, bad
        assert (await resp.json())["error"]["code"] == "invalid_request"


def test_in_a_mesh_the_page_may_check_the_other_boxes_and_nothing_else() -> None:
    """``connect-src`` names the other members' API origins (the page probes them when its
    own box stops answering); a roster entry that is not a plain origin adds nothing."""
    members = [
        SimpleNamespace(name="box-a", api="https://10.0.0.1:8443"),
        SimpleNamespace(name="box-b", api="https://10.0.0.2:8443/"),
        SimpleNamespace(name="box-c", api="https://Box-C.lan:8443/api"),
        SimpleNamespace(name="box-d", api="https://x; script-src *"),
        SimpleNamespace(name="box-e", api="javascript:alert(1)"),
        SimpleNamespace(name="box-f", api=""),
    ]
    mesh = SimpleNamespace(me="box-a", roster=SimpleNamespace(members=members))
    policy = content_security_policy(cast(AgentRuntime, SimpleNamespace(mesh=mesh)))
    assert "connect-src 'self' ws: wss: https://10.0.0.2:8443 https://box-c.lan:8443;" in policy
    assert policy.count("script-src") == 1 and "javascript" not in policy
    assert policy.replace(" https://10.0.0.2:8443 https://box-c.lan:8443", "") == (
        CONTENT_SECURITY_POLICY
    )
    alone = cast(AgentRuntime, SimpleNamespace(mesh=None))
    assert content_security_policy(alone) == CONTENT_SECURITY_POLICY
    assert member_origins(["https://[FE80::1]:8443", "http://127.0.0.1:80", "https://h:99999"]) == [
        "https://[fe80::1]:8443",
        "http://127.0.0.1:80",
    ]
