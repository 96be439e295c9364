"""The hand-over fragment (``handoff.js``) in chromium, no agent: what one box's page
writes into ``#handoff=…`` the next box's page reads back, and nothing else.

The whole move (two real boxes of a mesh, one killed) is in
``tests/edge_agent/mesh/test_mesh_boxoffice_failover.py``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from playwright.async_api import Page

from edge_agent.api.routes.pages import STATIC_DIR
from tests.edge_agent.api.browser.stack import ipad

pytestmark = [pytest.mark.integration, pytest.mark.browser]

TOKEN = "gh_" + "A1b2-C3d4_" * 4 + "xyz"
GOOD: dict[str, Any] = {
    "token": TOKEN,
    "device": "Kasse Süd 🎟",
    "from": {"name": "box-a", "gate": "Gate A", "url": "https://box-a.venue.lan:8443"},
    "kept": {"tickets": 2, "method": "cash"},
}


async def encode(page: Page, handoff: dict[str, Any]) -> str:
    fragment: str = await page.evaluate("(h) => GatehouseHandoff.encodeHandoff(h)", handoff)
    return fragment


async def parse(page: Page, fragment: str) -> Any:
    return await page.evaluate("(f) => GatehouseHandoff.parseHandoff(f)", fragment)


def raw(doc: Any) -> str:
    """A fragment made by hand, as a stranger could."""
    text = json.dumps(doc).encode()
    return "#handoff=" + base64.urlsafe_b64encode(text).decode().rstrip("=")


async def test_what_one_page_writes_the_next_reads_and_nothing_else() -> None:
    async with ipad() as page:
        await page.add_script_tag(content=(STATIC_DIR / "handoff.js").read_text())

        fragment = await encode(page, GOOD)
        assert fragment.startswith("#handoff=")
        # URL-safe as it is, no padding: nothing to escape, nothing a server sees
        assert set(fragment.removeprefix("#handoff=")) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
        assert await parse(page, fragment) == GOOD
        no_sale = {**GOOD, "kept": None}
        assert await parse(page, await encode(page, no_sale)) == no_sale
        # only the origin of the box it came from is kept (the link back is its page)
        path = {**GOOD, "from": {**GOOD["from"], "url": "https://box-a.venue.lan:8443/x?y#z"}}
        assert (await parse(page, await encode(page, path)))["from"]["url"] == (
            "https://box-a.venue.lan:8443"
        )
        # a missing device name or gate gets a plain default
        bare = {"v": 1, "token": TOKEN, "from": {"name": "box-a", "url": "http://10.0.0.2:8080"}}
        assert await parse(page, raw(bare)) == {
            "token": TOKEN,
            "device": "iPad box office",
            "from": {"name": "box-a", "gate": "", "url": "http://10.0.0.2:8080"},
            "kept": None,
        }

        good = {"v": 1, **GOOD}
        refused = [
            "",
            "#pair=ABC",
            "#handoff=",
            "#handoff=not*base64",
            "#handoff=" + base64.urlsafe_b64encode(b"not json").decode(),
            "#handoff=" + base64.urlsafe_b64encode(b"\xff\xfe{}").decode(),  # not UTF-8
            raw([1, 2]),
            raw({**good, "v": 2}),
            raw({**good, "token": "short"}),
            raw({**good, "token": TOKEN + " ; x"}),
            raw({**good, "token": 12345678901234567890}),
            raw({**good, "from": None}),
            raw({**good, "from": {**GOOD["from"], "name": ""}}),
            raw({**good, "from": {**GOOD["from"], "name": "x" * 65}}),
            raw({**good, "from": {**GOOD["from"], "url": "javascript:alert(1)"}}),
            raw({**good, "from": {**GOOD["from"], "url": "/relative"}}),
            raw({**good, "kept": {"tickets": 0, "method": "cash"}}),
            raw({**good, "kept": {"tickets": 1.5, "method": "cash"}}),
            raw({**good, "kept": {"tickets": 1, "method": "bitcoin"}}),
            raw({**good, "kept": "yes"}),
            raw({**good, "pad": "x" * 5000}),  # longer than any hand-over
        ]
        for fragment in refused:
            assert await parse(page, fragment) is None, fragment
