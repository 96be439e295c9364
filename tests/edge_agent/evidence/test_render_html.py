"""The printable pack: each scan's proof in words (never "checkpoint None"), the
checkpoint an export signs named as such, and a page a reviewer can print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge_agent.evidence.core.render_html import render_html
from edge_agent.evidence.core.render_pdf import render_pdf
from tests.edge_agent.evidence.tools import pdf_text


def _pack() -> dict[str, Any]:
    def scan(seq: int, proof: dict[str, int] | None) -> dict[str, Any]:
        return {"agent_id": "gate-a", "seq": seq, "ticket_id": "3f2a9c1e5b7d4f60a1b2c3d4e5f60718",
                "code_sha256": "ab" * 32, "chain": "cd" * 32, "proof": proof}  # fmt: skip

    return {
        "subject": {"order_id": "O-1"},
        "scans": [
            scan(87, {"checkpoint": 3, "through_seq": 88}),
            scan(89, {"checkpoint": 0, "through_seq": 90}),
            scan(91, None),
        ],
        "ledgers": [
            {"agent_id": "gate-a", "checkpoints": [
                {"number": 3, "through_seq": 88, "chain": "ef" * 32, "at_ms": 0},
                {"number": 0, "through_seq": 90, "chain": "01" * 32, "at_ms": 0},
            ]},
        ],
    }  # fmt: skip


def test_each_scan_names_the_checkpoint_that_proves_it(tmp_path: Path) -> None:
    html = render_html(_pack())
    assert "checkpoint None" not in html
    assert "signed checkpoint 3 (through seq 88)" in html
    assert "checkpoint signed at export (through seq 90)" in html
    assert "no signed checkpoint yet" in html
    assert "<td>0 (signed at export)</td>" in html  # the ledger-proof table
    (tmp_path / "evidence.pdf").write_bytes(render_pdf(_pack()))
    text = " ".join(pdf_text(tmp_path / "evidence.pdf").split())
    assert "proof: signed checkpoint 3 (through seq 88)" in text
    assert "checkpoint 0 (signed at export): through seq 90" in text


def test_the_page_prints_within_the_paper() -> None:
    html = render_html(_pack())
    assert "@page { size: A4 landscape;" in html
    assert "overflow-wrap: break-word" in html and "word-break: break-all" in html
    # long ids and hashes may break anywhere, so the 16-column scans table fits
    assert '<span class="token">3f2a9c1e5b7d4f60a1b2c3d4e5f60718</span>' in html
    assert f"<code>{'ab' * 32}</code>" in html
