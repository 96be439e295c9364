"""The box office's append-only rows (the ``sales`` stream) and their canonical form.

A contract like ``SCAN_FIELDS`` (``docs/ledger.md``, ``docs/sync.md``): the agent
chains each row with ``chain_n = SHA-256(chain_{n-1} || canonical bytes)`` from the
same genesis rule as scans (a chain of its own, ``seq`` from 1), and the reference
platform recomputes it from the uploaded fields. The canonical bytes are the UTF-8
JSON array of the values in ``SALE_FIELDS`` order, no spaces, ``ensure_ascii=False``
(``canonical_values``). Every value is a string, an integer or null; the tickets of a
sale are one string (compact JSON), so the rule stays the scans' rule.

Row kinds (``kind``) and the fields each one sets (the others are null):

* ``session_open``: session_id, device_id, operator, amount_cents (the float), currency
* ``session_close``: session_id, device_id, operator, amount_cents (the counted cash)
* ``lease_taken``: lease_id, ticket_type, count, expires_at_ms (platform time)
* ``lease_returned``: lease_id, ticket_type, count (seats given back unused)
* ``sale``: session_id, device_id, operator, sale_id, order_id, count (tickets),
  amount_cents (total), currency, method, tendered_cents, change_cents (cash),
  card_brand, card_last4, auth_ref, terminal_id (terminal), supervisor, reason (comp),
  customer_name, customer_email, delivery, tickets
* ``void``: session_id, device_id, operator, sale_id, order_id, count, amount_cents
  (handed back), currency, method, reason, tickets

``tickets`` is a JSON array of ``{"ticket_id", "ticket_type", "lease_id",
"unit_cents", "code"}`` objects in that key order (``tickets_text``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

#: Field order of the canonical form of a sales-stream row. Never reorder; a new field
#: is appended (and needs a new ledger format, as for scans).
SALE_FIELDS: tuple[str, ...] = (
    "seq",
    "entry_id",
    "agent_id",
    "at_ms",
    "kind",
    "event_id",
    "session_id",
    "device_id",
    "operator",
    "sale_id",
    "order_id",
    "lease_id",
    "ticket_type",
    "count",
    "expires_at_ms",
    "amount_cents",
    "currency",
    "method",
    "tendered_cents",
    "change_cents",
    "card_brand",
    "card_last4",
    "auth_ref",
    "terminal_id",
    "supervisor",
    "reason",
    "customer_name",
    "customer_email",
    "delivery",
    "tickets",
)

#: The row kinds, in the order a till meets them.
SALE_KINDS = ("session_open", "lease_taken", "sale", "void", "lease_returned", "session_close")

#: JSON types per field, as the ledger stores and the platform checks them.
SALE_TYPES: dict[str, tuple[type, ...]] = {
    name: (int, type(None))
    if name
    in (
        "event_id",
        "ticket_type",
        "count",
        "expires_at_ms",
        "amount_cents",
        "tendered_cents",
        "change_cents",
    )
    else (str, type(None))
    for name in SALE_FIELDS
}
SALE_TYPES.update({"seq": (int,), "at_ms": (int,), "entry_id": (str,), "agent_id": (str,)})
SALE_TYPES["kind"] = (str,)

#: Keys of one ticket inside ``tickets``, in their fixed order.
TICKET_KEYS = ("ticket_id", "ticket_type", "lease_id", "unit_cents", "code")


def sale_values(seq: int, agent_id: str, fields: Mapping[str, Any]) -> tuple[Any, ...]:
    """The row's values in ``SALE_FIELDS`` order; ``fields`` holds every field but
    ``seq`` and ``agent_id`` (missing ones are null)."""
    unknown = set(fields) - set(SALE_FIELDS)
    if unknown:
        raise ValueError(f"not sales-stream fields: {sorted(unknown)}")
    values = {**fields, "seq": seq, "agent_id": agent_id}
    return tuple(values.get(name) for name in SALE_FIELDS)


def canonical_sale_bytes(values: Sequence[Any]) -> bytes:
    """UTF-8 JSON array of the values in ``SALE_FIELDS`` order, no spaces."""
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def tickets_text(tickets: Sequence[Mapping[str, Any]]) -> str:
    """The ``tickets`` field: compact JSON, keys in ``TICKET_KEYS`` order."""
    return json.dumps(
        [{k: t[k] for k in TICKET_KEYS} for t in tickets],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def parse_tickets_text(text: str) -> list[dict[str, Any]]:
    """The tickets of a ``sale``/``void`` row; ``ValueError`` if it is not that shape."""
    doc = json.loads(text)
    if not isinstance(doc, list):
        raise ValueError("tickets must be a JSON array")
    out: list[dict[str, Any]] = []
    for item in doc:
        if not isinstance(item, dict) or set(item) != set(TICKET_KEYS):
            raise ValueError(f"each ticket must have exactly {', '.join(TICKET_KEYS)}")
        if not isinstance(item["ticket_id"], str) or not isinstance(item["ticket_type"], int):
            raise ValueError("ticket_id must be a string and ticket_type an integer")
        out.append(item)
    return out
