"""A sold ticket's ``qr_svg`` is an image on its own: shown from a data URL by a real
browser (no page workaround), at screen size, at a small printed size and worn, the
gate's decoder (``scanner.decoders.decoder``) reads back the ticket's code."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree

import cv2
import numpy as np
import pytest
from playwright.async_api import Page

from scanner.decoders.decoder import Decoder
from tests.edge_agent.api.browser.stack import box_office, ipad

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.browser]

SVG_NS = "http://www.w3.org/2000/svg"


async def shown(page: Page, svg: str, side_px: int | None) -> np.ndarray:
    """The SVG as an ``<img>`` from a data URL, screenshotted, as a gray picture."""
    size = "" if side_px is None else f' width="{side_px}" height="{side_px}"'
    url = "data:image/svg+xml;charset=utf-8," + quote(svg)
    await page.set_content(
        f'<body style="margin:40px;background:#fff"><img id="qr"{size} src="{url}">'
    )
    img = page.locator("#qr")
    # a broken image (an SVG a browser will not show as an image) has no natural size
    assert await img.evaluate("i => i.complete && i.naturalWidth > 0")
    png = await img.screenshot()
    gray = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert gray is not None
    return gray


def in_frame(picture: np.ndarray) -> np.ndarray:
    """The picture in the middle of a mid-gray 640×480 camera frame."""
    frame = np.full((480, 640), 128, np.uint8)
    h, w = picture.shape
    y, x = (480 - h) // 2, (640 - w) // 2
    frame[y : y + h, x : x + w] = picture
    return frame


def worn(frame: np.ndarray, seed: int) -> np.ndarray:
    """Out of focus, low contrast and noisy, as a creased ticket under a dim lamp."""
    rng = np.random.default_rng(seed)
    blurred = cv2.GaussianBlur(frame, (0, 0), 1.5).astype(np.float32)
    out: np.ndarray = np.clip(blurred * 0.6 + 40 + rng.normal(0, 12, frame.shape), 0, 255)
    return out.astype(np.uint8)


def read(decoder: Decoder, frame: np.ndarray) -> list[str]:
    return [d.text for d in decoder.decode(frame)]


async def test_sold_qr_svg_is_a_standalone_image_that_decodes_to_the_code(
    tmp_path: Path,
) -> None:
    async with box_office(tmp_path) as stack, ipad() as page:
        till = await stack.pair("box_office")
        status, session = await stack.post(
            "/api/v1/boxoffice/sessions", {"operator": "Ana", "float_cents": 0}, till
        )
        assert status == 201, session
        body = {
            "request_id": str(uuid.uuid4()),
            "items": [{"ticket_type": 0, "quantity": 2}],
            "payment": {"method": "cash", "tendered_cents": 9000},
            "delivery": "screen",
        }
        status, sale = await stack.post("/api/v1/boxoffice/sales", body, till)
        assert status == 201, sale
        # reading the receipt again answers the very same images
        again = await stack.get(f"/api/v1/boxoffice/sales/{sale['sale_id']}", till)
        (listed,) = (await stack.get("/api/v1/boxoffice/sales", till))["sales"]
        svgs = [t["qr_svg"] for t in sale["tickets"]]
        assert [t["qr_svg"] for t in again["tickets"]] == svgs
        assert [t["qr_svg"] for t in listed["tickets"]] == svgs
        assert len(set(svgs)) == 2

        decoder = Decoder()
        for n, ticket in enumerate(sale["tickets"]):
            svg, code = ticket["qr_svg"], ticket["code"]
            assert ElementTree.fromstring(svg).tag == f"{{{SVG_NS}}}svg"
            screen = await shown(page, svg, None)
            assert read(decoder, in_frame(screen)) == [code]
            # a small print: two pixels a module (the symbol is 49 modules wide)
            small = await shown(page, svg, 98)
            assert small.shape[0] <= 110
            assert read(decoder, in_frame(small)) == [code]
            assert read(decoder, worn(in_frame(screen), seed=n)) == [code]
