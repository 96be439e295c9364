"""Door-sale quota leases: seats of a ticket type lent to one agent for offline sales.

The rule that keeps a venue from overselling: for every ticket type,
``sold + held by leases <= capacity`` at all times, where a lease holds its whole
``count`` until it is returned (then only the seats the agent used, ``count - unused``)
or until it expires unreturned (then nothing: the seats come back, ``docs/sync.md``).
Door sales uploaded from a lease become tickets (``sold``) and stop being held by it
(``door_sales.py``), so no seat is counted twice.
Leases are granted inside the platform's single write transaction, so two agents
asking at once can never both get the last seats.
"""

from __future__ import annotations

import secrets
import sqlite3

from reference_platform.errors import Conflict, Forbidden, Invalid, NotFound
from reference_platform.services.catalog import get_event, type_capacity

MAX_LEASE_COUNT = 10_000
MIN_TTL_S = 60
MAX_TTL_S = 7 * 86_400

_LEASE_COLUMNS = "lease_id, agent_id, ticket_type, count, unused_returned, expires_at_ms"


def held_by_leases(conn: sqlite3.Connection, event_id: int, ticket_type: int, now_ms: int) -> int:
    """Seats the type's leases keep from everyone else. A door sale, once uploaded, is a
    ticket counted in ``sold``, so a lease holds only what is not yet such a ticket:
    open, ``count - door_sold + door_voided`` (a voided seat is the agent's to sell
    again); returned, the seats the agent says it used minus the sales already here;
    expired unreturned, nothing."""
    row = conn.execute(
        "SELECT coalesce(sum(CASE"
        "  WHEN unused_returned IS NOT NULL THEN max(0, count - unused_returned - door_sold)"
        "  WHEN expires_at_ms > ? THEN count - door_sold + door_voided ELSE 0 END), 0)"
        " FROM leases WHERE event_id = ? AND ticket_type = ?",
        (now_ms, event_id, ticket_type),
    ).fetchone()
    return int(row[0])


def seats_left(conn: sqlite3.Connection, event_id: int, ticket_type: int, now_ms: int) -> int:
    capacity, sold = type_capacity(conn, event_id, ticket_type)
    return capacity - sold - held_by_leases(conn, event_id, ticket_type, now_ms)


def _lease_json(row: tuple[object, ...]) -> dict[str, object]:
    lease_id, _agent, ticket_type, count, _unused, expires_at_ms = row
    return {
        "lease_id": lease_id,
        "ticket_type": ticket_type,
        "count": count,
        "expires_at_ms": expires_at_ms,
    }


def take_lease(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    agent_id: str,
    lease_request_id: str,
    ticket_type: int,
    count: int,
    ttl_s: int,
    now_ms: int,
) -> tuple[dict[str, object], bool]:
    """Grant up to ``count`` seats; returns (lease, created). A repeated
    ``lease_request_id`` returns the lease it already made (``created`` False)."""
    row = conn.execute(
        f"SELECT {_LEASE_COLUMNS}, event_id FROM leases WHERE lease_request_id = ?",  # noqa: S608
        (lease_request_id,),
    ).fetchone()
    if row is not None:
        if row[1] != agent_id or row[-1] != event_id:
            raise Conflict(
                "lease_request_id was already used by another agent or event",
                code="lease_request_reused",
            )
        return _lease_json(row[:-1]), False
    event = get_event(conn, event_id)
    if event.status == "cancelled":
        raise Conflict(f"event {event_id} is cancelled", code="event_cancelled")
    left = seats_left(conn, event_id, ticket_type, now_ms)
    if left <= 0:
        raise Conflict(f"ticket type {ticket_type} is sold out", code="sold_out")
    granted = min(count, left)
    lease_id = "L-" + secrets.token_hex(8)
    expires_at_ms = now_ms + ttl_s * 1000
    conn.execute(
        "INSERT INTO leases(lease_id, lease_request_id, agent_id, event_id, ticket_type,"
        " count, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            lease_id,
            lease_request_id,
            agent_id,
            event_id,
            ticket_type,
            granted,
            now_ms,
            expires_at_ms,
        ),
    )
    return {
        "lease_id": lease_id,
        "ticket_type": ticket_type,
        "count": granted,
        "expires_at_ms": expires_at_ms,
    }, True


def return_lease(
    conn: sqlite3.Connection, *, lease_id: str, agent_id: str, unused: int
) -> dict[str, object]:
    """Record how many seats of a lease were not sold; the latest value counts."""
    row = conn.execute(
        f"SELECT {_LEASE_COLUMNS} FROM leases WHERE lease_id = ?",  # noqa: S608
        (lease_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no lease {lease_id}", code="unknown_lease")
    if row[1] != agent_id:
        raise Forbidden(f"lease {lease_id} belongs to another agent", code="wrong_agent")
    count = int(row[3])
    if not 0 <= unused <= count:
        raise Invalid(f"unused must be 0..{count} for this lease", field="unused")
    conn.execute("UPDATE leases SET unused_returned = ? WHERE lease_id = ?", (unused, lease_id))
    return {"lease_id": lease_id, "returned": unused}
