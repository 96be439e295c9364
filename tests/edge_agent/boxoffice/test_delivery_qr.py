"""The receipt QR (``delivery.qr_svg``): a standalone SVG of exactly the code, drawn
with the fixed mask, and cached per code within a bound."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree

import pytest
import segno

from edge_agent.boxoffice.delivery import QR_CACHE_SIZE, QR_MASK, qr_svg, with_qr

CODE = "GH1:V50X507H0000BM0PQ5FEG3YJEAH4QKX3P$IQOQV000000000000000F14UF0OPNV$R-6WYSB7NKY"


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    qr_svg.cache_clear()
    yield
    qr_svg.cache_clear()


def test_svg_names_its_namespace_and_is_well_formed_xml() -> None:
    svg = qr_svg(CODE)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert not svg.startswith("<?xml")  # embeddable in a page as it is
    assert ElementTree.fromstring(svg).tag == "{http://www.w3.org/2000/svg}svg"


def path_of(svg: str) -> str:
    """The symbol's modules: the ``d`` of the SVG's one path."""
    paths = [el for el in ElementTree.fromstring(svg).iter() if el.tag.endswith("path")]
    assert len(paths) == 1
    return paths[0].attrib["d"]


def segno_svg(mask: int) -> str:
    qr = segno.make_qr(CODE, error="m", mode="alphanumeric", boost_error=False, mask=mask)
    assert qr.error == "M"
    return str(qr.svg_inline(scale=4, border=4))


def test_the_symbol_is_the_code_at_level_m_with_the_fixed_mask() -> None:
    assert path_of(qr_svg(CODE)) == path_of(segno_svg(QR_MASK))
    assert path_of(qr_svg(CODE)) != path_of(segno_svg((QR_MASK + 1) % 8))


def test_reading_a_receipt_again_draws_nothing_again() -> None:
    receipt = {"sale_id": "s", "tickets": [{"ticket_id": "a", "code": CODE}]}
    first = with_qr(receipt)
    for _ in range(3):
        assert with_qr(receipt) == first
    info = qr_svg.cache_info()
    assert (info.misses, info.hits) == (1, 3)
    assert receipt["tickets"] == [{"ticket_id": "a", "code": CODE}]  # the stored one untouched


def test_the_cache_is_bounded_and_drops_the_least_recently_used() -> None:
    assert qr_svg.cache_info().maxsize == QR_CACHE_SIZE
    codes = [f"GH1:{n}" for n in range(QR_CACHE_SIZE + 5)]  # tiny symbols: quick to draw
    for code in codes:
        qr_svg(code)
    assert qr_svg.cache_info().currsize == QR_CACHE_SIZE
    misses = qr_svg.cache_info().misses
    qr_svg(codes[-1])  # recent: kept
    assert qr_svg.cache_info().misses == misses
    qr_svg(codes[0])  # the oldest: dropped, drawn again
    assert qr_svg.cache_info().misses == misses + 1
