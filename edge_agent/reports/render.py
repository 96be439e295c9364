"""The night report as text (the terminal, e-mail) and as a PDF (fpdf2, the optional
``pdf`` extra; core fonts only, so nothing depends on fonts installed on the box).

One list of sections feeds both, so the PDF never says something the text does not.
"""

from __future__ import annotations

from collections.abc import Iterator

from edge_agent.reports.night import NightReport

Section = tuple[str, list[str], list[list[str]]]  # title, column heads, rows

_ASCII = str.maketrans({"−": "-", "–": "-", "—": "-", "…": "...", "·": "-"})


def money(cents: int | None, currency: str) -> str:
    if cents is None:
        return "-"
    sign = "-" if cents < 0 else ""
    return f"{currency} {sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def sections(r: NightReport) -> Iterator[Section]:
    c = r.currency
    yield (
        "Summary",
        ["", ""],
        [
            ["tickets admitted", f"{r.admitted_tickets:,}"],
            ["no-shows", "unknown (no manifest)" if r.no_shows is None else f"{r.no_shows:,}"],
            ["tickets known (manifest + door sales, not revoked)", f"{r.known_tickets:,}"],
            ["re-entries", f"{r.reentries:,}"],
            ["exits", f"{r.exits:,}"],
            ["manual check-ins/outs (supervisors)", f"{r.manual_overrides:,}"],
            ["refusals", f"{sum(r.refusals_by_reason.values()):,}"],
            ["door takings (cash + card, less voids)", money(r.door_takings_cents, c)],
            ["first / last scan", f"{r.first_scan_at or '-'} / {r.last_scan_at or '-'}"],
        ],
    )
    yield "Admissions by ticket type", ["type", "tickets"], _pairs(r.admissions_by_ticket_type)
    yield "Admissions by hour", ["hour", "tickets"], _pairs(r.admissions_by_hour)
    yield "Admissions by gate", ["gate", "tickets"], _pairs(r.admissions_by_gate)
    yield "Refusals by reason", ["reason", "scans"], _pairs(r.refusals_by_reason)
    yield (
        "Door sales by payment kind",
        ["payment", "sales", "tickets", "amount"],
        [
            [k, str(v["sales"]), str(v["tickets"]), money(v["amount_cents"], c)]
            for k, v in r.door_sales_by_payment.items()
        ],
    )
    yield (
        "Till sessions",
        ["operator", "opened", "closed", "float", "expected", "counted", "difference", "state"],
        [
            [
                t.operator, t.opened_at, t.closed_at or "-", money(t.float_cents, c),
                money(t.expected_cents, c), money(t.counted_cents, c),
                money(t.difference_cents, c), t.state.upper(),
            ]
            for t in r.tills
        ],
    )  # fmt: skip
    yield (
        "Voids and comps",
        ["time", "kind", "sale", "operator", "supervisor", "reason", "amount", "tickets"],
        [
            [a.at, a.kind, a.sale_id, a.operator, a.supervisor or "-", a.reason,
             money(a.amount_cents, c), str(a.tickets)]
            for a in r.voids_and_comps
        ],
    )  # fmt: skip


def _pairs(d: dict[str, int]) -> list[list[str]]:
    return [[k, f"{v:,}"] for k, v in d.items()]


def title(r: NightReport) -> str:
    return f"Night report — event {r.event_id}, {r.gate} (agent {r.agent_id})"


def render_text(r: NightReport) -> str:
    out = [title(r), f"generated {r.generated_at}, times in {r.timezone}", ""]
    for heading, heads, rows in sections(r):
        out.append(heading)
        if not rows:
            out += ["  (none)", ""]
            continue
        table = [heads, *rows] if any(heads) else rows
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        for n, row in enumerate(table):
            out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
            if n == 0 and any(heads):
                out.append("  " + "  ".join("-" * w for w in widths))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_pdf(r: NightReport) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    def latin1(text: str) -> str:
        return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, latin1(title(r)), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, latin1(f"generated {r.generated_at}, times in {r.timezone}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    for heading, heads, rows in sections(r):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, latin1(heading), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 8)
        if not rows:
            pdf.cell(0, 5, "(none)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            continue
        with pdf.table(text_align="LEFT", first_row_as_headings=any(heads)) as table:
            for row in [heads, *rows] if any(heads) else rows:
                cells = table.row()
                for cell in row:
                    cells.cell(latin1(cell))
    return bytes(pdf.output())
