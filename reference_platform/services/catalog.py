"""Events, their signing keys, ticket types, and issuing one ticket.

Every function takes an open connection inside the caller's write transaction and
returns plain values; nothing here commits, so an order's tickets, the ``sold`` counter
and the change log always move together.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.domain.trusted_key import key_id_of
from edge_agent.domain.verification import code_sha256
from reference_platform.errors import Conflict, NotFound

EVENT_STATUSES = ("on_sale", "postponed", "cancelled")
CODE_KINDS = ("gh1", "plain")
PLAIN_PREFIX = "GHP-"


@dataclass(frozen=True, slots=True)
class EventRow:
    event_id: int
    name: str
    venue: str
    starts_at_ms: int
    status: str
    postponed_to: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "venue": self.venue,
            "status": self.status,
            "starts_at_ms": self.starts_at_ms,
            "postponed_to": self.postponed_to,
        }


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    ticket_id: str
    ticket_type: int
    code_kind: str
    code: str

    def to_json(self) -> dict[str, object]:
        return {
            "ticket_id": self.ticket_id,
            "ticket_type": self.ticket_type,
            "code_kind": self.code_kind,
            "code": self.code,
        }


def new_ticket_id() -> bytes:
    """16 random bytes: the GH1 body's ticket id; its hex is the ticket id everywhere
    (manifest, scan rows, revocations), for plain-code tickets too."""
    return secrets.token_bytes(16)


def new_plain_code() -> str:
    """``GHP-`` + 20 upper-case hex digits (80 random bits): fits a QR code's
    alphanumeric mode and any 1D scanner, and never starts with ``GH1:``."""
    return PLAIN_PREFIX + secrets.token_hex(10).upper()


def log_change(conn: sqlite3.Connection, event_id: int, kind: str, ref: str) -> None:
    """Append to the manifest change log (``kind``: ticket, ticket_type, revocation)."""
    conn.execute("INSERT INTO changes(event_id, kind, ref) VALUES (?, ?, ?)", (event_id, kind, ref))


def create_event(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    name: str,
    venue: str,
    starts_at_ms: int,
    now_ms: int,
) -> EventRow:
    """Create an event and its platform signing key (kept in ``event_keys``)."""
    if conn.execute("SELECT 1 FROM events WHERE event_id = ?", (event_id,)).fetchone():
        raise Conflict(f"event {event_id} already exists", code="already_exists")
    conn.execute(
        "INSERT INTO events(event_id, name, venue, starts_at_ms, created_at_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        (event_id, name, venue, starts_at_ms, now_ms),
    )
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    conn.execute(
        "INSERT INTO event_keys(event_id, private_key, public_key, key_id, created_at_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        (event_id, key.private_bytes_raw(), public, key_id_of(public).hex(), now_ms),
    )
    return get_event(conn, event_id)


def get_event(conn: sqlite3.Connection, event_id: int) -> EventRow:
    row = conn.execute(
        "SELECT event_id, name, venue, starts_at_ms, status, postponed_to FROM events"
        " WHERE event_id = ?",
        (event_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no event {event_id}", code="unknown_event")
    return EventRow(*row)


def set_event_status(
    conn: sqlite3.Connection, event_id: int, status: str, postponed_to: str | None = None
) -> EventRow:
    """Postpone (to an ISO date) or cancel. Agents see it in the ``event`` object of their
    next manifest page; tickets are not revoked one by one."""
    assert status in EVENT_STATUSES
    current = get_event(conn, event_id)
    if current.status == "cancelled":
        raise Conflict(f"event {event_id} is cancelled", code="event_cancelled")
    conn.execute(
        "UPDATE events SET status = ?, postponed_to = ? WHERE event_id = ?",
        (status, postponed_to, event_id),
    )
    return get_event(conn, event_id)


def platform_key(conn: sqlite3.Connection, event_id: int) -> Ed25519PrivateKey:
    row = conn.execute(
        "SELECT private_key FROM event_keys WHERE event_id = ?", (event_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no event {event_id}", code="unknown_event")
    return Ed25519PrivateKey.from_private_bytes(row[0])


def platform_public_key(conn: sqlite3.Connection, event_id: int) -> bytes:
    row = conn.execute(
        "SELECT public_key FROM event_keys WHERE event_id = ?", (event_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"no event {event_id}", code="unknown_event")
    public: bytes = row[0]
    return public


def put_ticket_type(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    ticket_type: int,
    name: str,
    capacity: int,
    price_cents: int,
    flags: tuple[str, ...] = (),
    note: str = "",
) -> dict[str, object]:
    """Add a ticket type or change its name, capacity, price, flags and staff note
    (logged for the manifest). Capacity may not drop below what is already sold."""
    get_event(conn, event_id)
    row = conn.execute(
        "SELECT sold FROM ticket_types WHERE event_id = ? AND ticket_type = ?",
        (event_id, ticket_type),
    ).fetchone()
    sold = 0 if row is None else int(row[0])
    if capacity < sold:
        raise Conflict(
            f"ticket type {ticket_type} has {sold} tickets sold; capacity cannot be {capacity}",
            code="capacity_below_sold",
        )
    conn.execute(
        "INSERT INTO ticket_types(event_id, ticket_type, name, capacity, price_cents, flags,"
        " note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id, ticket_type) DO UPDATE SET"
        " name = excluded.name, capacity = excluded.capacity,"
        " price_cents = excluded.price_cents, flags = excluded.flags, note = excluded.note",
        (event_id, ticket_type, name, capacity, price_cents, ",".join(flags), note),
    )
    log_change(conn, event_id, "ticket_type", str(ticket_type))
    return {
        "event_id": event_id,
        "ticket_type": ticket_type,
        "name": name,
        "capacity": capacity,
        "price_cents": price_cents,
        "sold": sold,
        "flags": list(flags),
        "note": note,
    }


def type_capacity(conn: sqlite3.Connection, event_id: int, ticket_type: int) -> tuple[int, int]:
    """(capacity, sold) of a ticket type; ``NotFound`` if the type does not exist."""
    row = conn.execute(
        "SELECT capacity, sold FROM ticket_types WHERE event_id = ? AND ticket_type = ?",
        (event_id, ticket_type),
    ).fetchone()
    if row is None:
        raise NotFound(
            f"event {event_id} has no ticket type {ticket_type}", code="unknown_ticket_type"
        )
    return int(row[0]), int(row[1])


def issue_ticket(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    ticket_type: int,
    order_id: str | None,
    holder_name: str | None,
    holder_email: str | None,
    code_kind: str,
    now_ms: int,
    key: Ed25519PrivateKey | None = None,
    valid_from: int = 0,
    valid_until: int = 0,
    replaces: str | None = None,
) -> IssuedTicket:
    """Insert one ticket (GH1 signed with the event's platform key, or a plain code
    whose SHA-256 goes into the manifest), count it as sold and log it.

    The caller checks capacity (``orders.create_order``); ``key`` may be passed to
    avoid reloading it for every ticket of an order.
    """
    assert code_kind in CODE_KINDS
    raw_id = new_ticket_id()
    ticket_id = raw_id.hex()
    plain_sha: str | None = None
    if code_kind == "gh1":
        key = key or platform_key(conn, event_id)
        body = TicketBody(
            key_id=key_id_of(key.public_key().public_bytes_raw()),
            event_id=event_id,
            ticket_id=raw_id,
            ticket_type=ticket_type,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        code = encode_gh1(body, key)
    else:
        code = new_plain_code()
        plain_sha = code_sha256(code)
    conn.execute(
        "INSERT INTO tickets(ticket_id, event_id, ticket_type, order_id, holder_name,"
        " holder_email, code_kind, code, plain_code_sha256, valid_from, valid_until,"
        " replaces, issued_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ticket_id,
            event_id,
            ticket_type,
            order_id,
            holder_name,
            holder_email,
            code_kind,
            code,
            plain_sha,
            valid_from,
            valid_until,
            replaces,
            now_ms,
        ),
    )
    conn.execute(
        "UPDATE ticket_types SET sold = sold + 1 WHERE event_id = ? AND ticket_type = ?",
        (event_id, ticket_type),
    )
    log_change(conn, event_id, "ticket", ticket_id)
    return IssuedTicket(ticket_id, ticket_type, code_kind, code)
