"""The printable form of a pack (``evidence.html``): the conclusion in plain words
first, then the tables a reviewer checks it against. Pure: pack dict in, text out;
every value is HTML-escaped (names and user agents come from customers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from typing import Any

from edge_agent.evidence.core.sale_entry import money
from edge_agent.evidence.core.timefmt import utc_text

#: Reviewers print this page: the scans table has 16 columns of ids and hashes, so it
#: must wrap anywhere rather than run off the paper (landscape A4, small print type).
_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: sans-serif; font-size: 11pt; margin: 2em; color: #111; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.5em; }
p.conclusion { font-size: 13pt; font-weight: bold; }
table { border-collapse: collapse; margin: 0.5em 0; width: 100%; max-width: 100%; }
th, td { border: 1px solid #999; padding: 2px 4px; text-align: left; vertical-align: top;
         font-size: 9pt; overflow-wrap: break-word; }
code { font-size: 8pt; }
code, .token { word-break: break-all; }
@media print {
  body { margin: 0; font-size: 9pt; }
  h1 { font-size: 13pt; } h2 { font-size: 11pt; page-break-after: avoid; }
  p.conclusion { font-size: 10pt; }
  th, td { font-size: 7pt; padding: 1px 2px; }
  code { font-size: 6.5pt; }
  thead { display: table-header-group; }
  tr { page-break-inside: avoid; }
}
"""

SCAN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("door_time_utc", "Door time (gate clock)"),
    ("ticket_id", "Ticket"),
    ("event_id", "Event"),
    ("outcome", "Decision"),
    ("reason", "Reason"),
    ("direction", "Direction"),
    ("gate", "Gate"),
    ("lane", "Lane"),
    ("device_id", "Device"),
    ("device_kind", "Device kind"),
    ("agent_id", "Agent"),
    ("seq", "Seq"),
    ("credential_kind", "Credential"),
    ("manifest_age", "Manifest age"),
    ("connectivity", "Connectivity"),
    ("received_utc", "Platform received"),
    ("override_operator", "Override by"),
)


def _items(sale: Mapping[str, Any]) -> str:
    currency = sale.get("currency")
    return "; ".join(
        f"{t.get('ticket_id')} (type {t.get('ticket_type')},"
        f" {money(t.get('unit_cents'), currency)})"
        for t in sale.get("tickets", [])
    )


#: The door-sales table: (heading, how to show it) — a sale or void row of the order.
SALE_COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any]], object]], ...] = (
    ("Time (till clock)", lambda s: s.get("at_utc")),
    ("Kind", lambda s: s.get("kind")),
    ("Sale", lambda s: s.get("sale_id")),
    ("Agent · sales seq", lambda s: f"{s.get('agent_id')} · {s.get('seq')}"),
    ("Till · session", lambda s: f"{s.get('device_id')} · {s.get('session_id')}"),
    ("Operator", lambda s: s.get("operator")),
    ("Items", _items),
    ("Amount", lambda s: money(s.get("amount_cents"), s.get("currency"))),
    ("Payment", lambda s: s.get("payment_text")),
    ("Delivery", lambda s: s.get("delivery_text")),
    ("Reason", lambda s: s.get("reason")),
    ("Sales chain", lambda s: s.get("sales_chain")),
)


def conclusion_lines(pack: Mapping[str, Any]) -> list[str]:
    """The plain-words lines a reviewer reads first (also the PDF's first lines)."""
    conclusion = pack.get("conclusion", {})
    lines = [str(t.get("text")) for t in conclusion.get("tickets", [])]
    if not lines:
        lines.append("The pack names no tickets.")
    lines.append(str(conclusion.get("clock", "")))
    return lines


def render_html(pack: Mapping[str, Any]) -> str:
    subject = pack.get("subject", {})
    event = pack.get("event", {})
    assembled = pack.get("assembled", {})
    title = f"Evidence for order {subject.get('order_id') or '(ticket lookup)'}"
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
    ]
    out.extend(f'<p class="conclusion">{escape(line)}</p>' for line in conclusion_lines(pack))
    out.append(f"<h1>{escape(title)}</h1>")
    out.append(
        _kv(
            [
                ("Event", f"{event.get('name')} (id {event.get('event_id')})"),
                ("Venue", event.get("venue")),
                ("Service date", event.get("service_date")),
                ("Assembled by", f"{assembled.get('by')} {assembled.get('id')}"),
                ("Assembled at", assembled.get("at_utc")),
                ("Scope", assembled.get("scope")),
                ("Software", assembled.get("software_version")),
            ]
        )
    )
    order = pack.get("order")
    if order:
        out.append("<h2>Order, purchase and payment (platform records)</h2>")
        out.append(_kv(_flatten(order)))
    out.append("<h2>Tickets</h2>")
    out.append(
        _table(
            ("Ticket", "Type", "Holder", "Seat", "Revocation"),
            (
                (
                    t.get("ticket_id"),
                    t.get("ticket_type_name") or t.get("ticket_type"),
                    t.get("holder_name"),
                    t.get("seat"),
                    _revocation(t.get("revocation")),
                )
                for t in pack.get("tickets", [])
            ),
        )
    )
    out.append("<h2>Every scan of these tickets</h2>")
    scans = pack.get("scans", [])
    if scans:
        out.append(
            _table(
                [label for _, label in SCAN_COLUMNS],
                ([s.get(key) for key, _ in SCAN_COLUMNS] for s in scans),
            )
        )
        out.append("<h2>Per scan: clock, signature and proof</h2>")
        out.append(
            _table(
                ("Agent", "Seq", "Clock", "Code SHA-256", "Signature check", "Chain", "Proof"),
                (
                    (
                        s.get("agent_id"),
                        s.get("seq"),
                        s.get("clock", {}).get("status"),
                        s.get("code_sha256"),
                        f"{s.get('signature_check', {}).get('result')}"
                        f" (key {s.get('signature_check', {}).get('key_id')})",
                        s.get("chain"),
                        proof_text(s.get("proof")),
                    )
                    for s in scans
                ),
            )
        )
    else:
        out.append("<p>No scan of these tickets was recorded.</p>")
    sales = pack.get("sales", [])
    if sales:
        out.append("<h2>Door sales and payments</h2>")
        out.append(
            _table(
                [label for label, _ in SALE_COLUMNS],
                ([value(s) for _, value in SALE_COLUMNS] for s in sales),
            )
        )
        out.append(
            "<p>Door-sale rows are the signer's record: their sales-chain values are"
            " listed, but no signed checkpoint covers the sales chain (see"
            ' <code>edge-agent evidence verify</code>, "Only asserted"). The tickets they'
            " issued are tied to the scans by the code hash.</p>"
        )
    out.append("<h2>Ledger proof</h2>")
    out.append(
        _table(
            ("Agent", "Checkpoint", "Covers through seq", "Chain value signed", "Signed at"),
            (
                (
                    ledger.get("agent_id"),
                    checkpoint_label(cp.get("number")),
                    cp.get("through_seq"),
                    cp.get("chain"),
                    utc_text(cp.get("at_ms")),
                )
                for ledger in pack.get("ledgers", [])
                for cp in ledger.get("checkpoints", [])
            ),
        )
    )
    out.append(
        "<p>Each agent's ledger rows are hash-chained; the rows of this pack, with the"
        " rows after them up to a checkpoint the agent signed, are in evidence.json."
        " Run <code>edge-agent evidence verify DIR</code> to check every signature and"
        " chain link.</p>"
    )
    out.append("<h2>Left out of this pack</h2><ul>")
    out.extend(f"<li>{escape(str(item))}</li>" for item in pack.get("omitted", []))
    out.append("</ul>")
    notes = pack.get("notes", [])
    if notes:
        out.append("<h2>Notes</h2><ul>")
        out.extend(f"<li>{escape(str(n))}</li>" for n in notes)
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _cell(value: object) -> str:
    """A table cell's HTML. An id or hash (one long word) may break anywhere, so the
    table fits the page; hashes are set in a monospace face."""
    if value is None:
        return "—"
    text = escape(str(value))
    if isinstance(value, str) and " " not in value:
        if len(value) >= 40:
            return f"<code>{text}</code>"
        if len(value) >= 20:
            return f'<span class="token">{text}</span>'
    return text


def _table(headers: Iterable[object], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kv(pairs: Iterable[tuple[str, object]]) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in pairs)
    return f"<table><tbody>{rows}</tbody></table>"


def _flatten(doc: Mapping[str, Any], prefix: str = "") -> list[tuple[str, object]]:
    pairs: list[tuple[str, object]] = []
    for key in sorted(doc):
        value = doc[key]
        label = f"{prefix}{key}"
        if isinstance(value, Mapping):
            pairs.extend(_flatten(value, label + " · "))
        elif isinstance(value, list):
            pairs.append((label, "; ".join(str(v) for v in value) or "none"))
        else:
            pairs.append((label, value))
    return pairs


def _revocation(value: object) -> str | None:
    if not isinstance(value, Mapping):
        return None
    return f"{value.get('kind')} at {utc_text(value.get('at_ms'))}"


def proof_text(value: object) -> str:
    """A scan's ``proof`` (``{"checkpoint": number, "through_seq"}``) in words. Number 0
    is the checkpoint the exporter signed over the ledger's head, outside the agent's
    numbered series (``docs/evidence.md``)."""
    if not isinstance(value, Mapping):
        return "no signed checkpoint yet"
    through = value.get("through_seq")
    if value.get("checkpoint") == 0:
        return f"checkpoint signed at export (through seq {through})"
    return f"signed checkpoint {value.get('checkpoint')} (through seq {through})"


def checkpoint_label(number: object) -> object:
    """A checkpoint's number as the tables show it (0: the one signed at export)."""
    return "0 (signed at export)" if number == 0 else number
