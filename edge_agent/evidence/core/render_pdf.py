"""``evidence.pdf``: the same content as ``evidence.html`` for reviewers who want a
PDF, rendered with fpdf2 (pure Python, no browser; the optional ``pdf`` extra).

Only the PDF core font is used, so nothing depends on fonts installed on the box;
text outside Latin-1 is spelled with ASCII look-alikes or "?". Pure: pack in, bytes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from edge_agent.evidence.core.render_html import (
    SALE_COLUMNS,
    SCAN_COLUMNS,
    checkpoint_label,
    conclusion_lines,
    proof_text,
)
from edge_agent.evidence.core.timefmt import utc_text

_ASCII = str.maketrans({"•": "*", "–": "-", "—": "-", "…": "...", "≥": ">=", "’": "'", "·": "-"})


def _latin1(text: object) -> str:
    return str(text).translate(_ASCII).encode("latin-1", "replace").decode("latin-1")


class _Doc:
    def __init__(self) -> None:
        self.pdf = FPDF(orientation="landscape", format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=12)
        self.pdf.add_page()

    def para(self, text: object, size: float = 9, style: str = "") -> None:
        self.pdf.set_font("Helvetica", style, size)
        self.pdf.multi_cell(
            0, size * 0.5, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="L"
        )

    def heading(self, text: str) -> None:
        self.pdf.ln(2)
        self.para(text, 12, "B")


def render_pdf(pack: Mapping[str, Any]) -> bytes:
    doc = _Doc()
    for line in conclusion_lines(pack):
        doc.para(line, 12, "B")
    subject = pack.get("subject", {})
    event = pack.get("event", {})
    assembled = pack.get("assembled", {})
    doc.heading(f"Evidence for order {subject.get('order_id') or '(ticket lookup)'}")
    doc.para(
        f"Event {event.get('name')} (id {event.get('event_id')}), venue {event.get('venue')},"
        f" service date {event.get('service_date')}. Assembled by {assembled.get('by')}"
        f" {assembled.get('id')} at {assembled.get('at_utc')}. Scope: {assembled.get('scope')}."
    )
    order = pack.get("order")
    if order:
        doc.heading("Order, purchase and payment (platform records)")
        for key in sorted(order):
            doc.para(f"{key}: {order[key]}", 8)
    doc.heading("Tickets")
    for t in pack.get("tickets", []):
        doc.para(
            f"{t.get('ticket_id')}  type {t.get('ticket_type_name') or t.get('ticket_type')}"
            f"  holder {t.get('holder_name')}  revocation {t.get('revocation')}",
            8,
        )
    doc.heading("Every scan of these tickets")
    scans = pack.get("scans", [])
    if not scans:
        doc.para("No scan of these tickets was recorded.")
    for scan in scans:
        fields = "; ".join(f"{label}: {scan.get(key)}" for key, label in SCAN_COLUMNS)
        extra = (
            f"; clock: {scan.get('clock', {}).get('status')}; code SHA-256:"
            f" {scan.get('code_sha256')}; signature: {scan.get('signature_check')};"
            f" chain: {scan.get('chain')}; proof: {proof_text(scan.get('proof'))}"
        )
        doc.para(fields + extra, 7)
        doc.pdf.ln(1)
    sales = pack.get("sales", [])
    if sales:
        doc.heading("Door sales and payments")
        for sale in sales:
            doc.para("; ".join(f"{label}: {value(sale)}" for label, value in SALE_COLUMNS), 7)
    doc.heading("Ledger proof (signed checkpoints)")
    for ledger in pack.get("ledgers", []):
        for cp in ledger.get("checkpoints", []):
            number = checkpoint_label(cp.get("number"))
            doc.para(
                f"{ledger.get('agent_id')} checkpoint {number}: through seq"
                f" {cp.get('through_seq')}, chain {cp.get('chain')}, signed"
                f" {utc_text(cp.get('at_ms'))}",
                7,
            )
    doc.para("Check every signature and chain link with: edge-agent evidence verify DIR", 8)
    doc.heading("Left out of this pack")
    for item in pack.get("omitted", []):
        doc.para(f"- {item}", 8)
    return bytes(doc.pdf.output())
