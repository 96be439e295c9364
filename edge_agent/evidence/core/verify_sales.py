"""The verifier's checks of a pack's door sales (``sales[]``), pure like the rest.

Door-sale rows are not chain-proven (``sale_entry``: a checkpoint signs the scans
chain only, and the sales chain would need raw codes and other buyers' rows), so these
checks are about consistency: each entry is a well-formed ``sale``/``void`` row of the
subject's order, its amount is the sum of its items, its payment holds no more than
brand / last 4 / authorisation / terminal, a void follows a listed sale — and, the
link to what *is* proven, every ticket it issued carries the code hash that the gates
recorded when they scanned it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from edge_agent.evidence.core.sale_entry import COPIED_FIELDS, ORDER_KINDS, payment_text
from edge_agent.ledger.sale_records import SALE_TYPES

_LAST4 = re.compile(r"[0-9]{4}")
_TICKET_KEYS = {"ticket_id", "ticket_type", "lease_id", "unit_cents", "code_sha256"}
_HEX64 = re.compile(r"[0-9a-f]{64}")


def check_sales(pack: Mapping[str, Any], problems: list[str], asserted: list[str]) -> None:
    sales = pack.get("sales", [])
    if not isinstance(sales, list):
        problems.append("sales: must be a list")
        return
    subject = pack["subject"]
    subject_tickets = set(subject["ticket_ids"])
    orders = {t.get("ticket_id"): t.get("order_id") for t in pack.get("tickets", [])}
    code_hashes: dict[str, set[str]] = {}
    for scan in pack.get("scans", []):
        if scan.get("credential_kind") == "gh1":
            code_hashes.setdefault(str(scan.get("ticket_id")), set()).add(
                str(scan.get("code_sha256"))
            )
    sold: dict[str, Mapping[str, Any]] = {}
    for entry in sales:
        name = f"sale {entry.get('agent_id')} sales seq {entry.get('seq')}"
        problem = _entry_problem(entry, subject.get("order_id"), subject_tickets, orders)
        if problem is None and entry["kind"] == "void":
            problem = _void_problem(entry, sold)
        if problem is None:
            problem = _code_problem(entry, code_hashes)
        if problem is not None:
            problems.append(f"{name} ({entry.get('sale_id')}): {problem}")
            continue
        if entry["kind"] == "sale":
            sold[str(entry["sale_id"])] = entry
    if sales:
        asserted.append(
            f"the {len(sales)} door sale/void row(s) (time, till, operator, items, amount,"
            " payment, delivery): the signer's word. Their sales-chain values are listed"
            " but not proven here: signed checkpoints cover the scans chain only, and"
            " recomputing the sales chain would need the raw ticket codes and other buyers'"
            " rows, which no pack holds. Checked: each is consistent, and the tickets it"
            " issued carry the code hashes the gates recorded in the proven scans"
        )


def _entry_problem(
    entry: Any,
    order_id: object,
    subject_tickets: set[str],
    orders: Mapping[object, object],
) -> str | None:
    if not isinstance(entry, Mapping):
        return "must be an object"
    if entry.get("kind") not in ORDER_KINDS:
        return f"kind must be one of {', '.join(ORDER_KINDS)}"
    for field_name in COPIED_FIELDS:
        if field_name not in entry:
            return f"field {field_name} is missing"
        if not isinstance(entry[field_name], SALE_TYPES[field_name]) or isinstance(
            entry[field_name], bool
        ):
            return f"field {field_name} has the wrong type"
    tickets = entry.get("tickets")
    if not isinstance(tickets, list) or not tickets:
        return "tickets must list the tickets of the sale"
    if any(not isinstance(t, Mapping) or set(t) != _TICKET_KEYS for t in tickets):
        return f"each ticket must have exactly {', '.join(sorted(_TICKET_KEYS))}"
    ids = {t["ticket_id"] for t in tickets}
    if not ids & subject_tickets:
        return "lists none of the pack's tickets"
    wanted = order_id or next((orders[t] for t in ids if orders.get(t)), None)
    if wanted is not None and entry["order_id"] != wanted:
        return f"order_id {entry['order_id']!r} is not the pack's order {wanted!r}"
    if entry["count"] != len(tickets):
        return f"count {entry['count']} differs from its {len(tickets)} ticket(s)"
    if entry["kind"] == "sale":
        total = sum(int(t["unit_cents"]) for t in tickets)
        if entry["amount_cents"] != total:
            return (
                f"amount_cents {entry['amount_cents']} is not the sum of its tickets'"
                f" prices ({total})"
            )
    payment = _payment_problem(entry)
    if payment is not None:
        return payment
    if entry.get("payment_text") != payment_text(entry):
        return "payment_text does not say what the row's payment fields hold"
    return None


def _payment_problem(entry: Mapping[str, Any]) -> str | None:
    method = entry["method"]
    card = ("card_brand", "card_last4", "auth_ref", "terminal_id")
    if entry["kind"] == "void":
        if any(entry[f] is not None for f in card):
            return "a void row holds card fields (the ledger never records them on a void)"
    elif method == "terminal":
        last4 = entry["card_last4"]
        if not isinstance(last4, str) or not _LAST4.fullmatch(last4):
            return "card_last4 must be exactly 4 digits (a pack never holds more of a card)"
        if not entry["card_brand"] or not entry["auth_ref"]:
            return "a terminal payment needs its card brand and authorisation reference"
    elif any(entry[f] is not None for f in card):
        return f"a {method} payment holds card fields"
    if entry["kind"] == "sale" and method == "cash":
        tendered, change = entry["tendered_cents"], entry["change_cents"]
        if not isinstance(tendered, int) or tendered - entry["amount_cents"] != change:
            return "change_cents is not tendered_cents − amount_cents"
    return None


def _void_problem(entry: Mapping[str, Any], sold: Mapping[str, Mapping[str, Any]]) -> str | None:
    sale = sold.get(str(entry["sale_id"]))
    if sale is None:
        return "a void of a sale the pack does not list (before it)"
    if {t["ticket_id"] for t in entry["tickets"]} != {t["ticket_id"] for t in sale["tickets"]}:
        return "the void's tickets are not the sale's"
    if entry["amount_cents"] > sale["amount_cents"]:
        return "hands back more than the sale took"
    return None


def _code_problem(entry: Mapping[str, Any], code_hashes: Mapping[str, set[str]]) -> str | None:
    if entry["kind"] != "sale":
        return None
    for ticket in entry["tickets"]:
        digest = ticket["code_sha256"]
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            return f"ticket {ticket['ticket_id']}: code_sha256 must be 64 hex digits"
        scanned = code_hashes.get(str(ticket["ticket_id"]), set())
        if scanned - {digest}:
            return (
                f"ticket {ticket['ticket_id']}: the code this sale issued is not the code"
                " scanned at the gate (code hashes differ)"
            )
    return None
