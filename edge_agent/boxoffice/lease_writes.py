"""The ledger writes of quota leases: a grant recorded, a lease given back.

Leases are the only source of seats. A grant is recorded once (a repeat of the same
grant is a no-op) and answers its noted request; a return closes the lease here first,
so no sale can use it after that commit, and the platform is told afterwards.
"""

from __future__ import annotations

import sqlite3

from edge_agent.boxoffice.write_context import Context, append_row
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError
from edge_agent.ledger import box_office_tables as t
from sync.leases import LeaseGrant


def record_lease(
    conn: sqlite3.Connection,
    ctx: Context,
    *,
    grant: LeaseGrant,
    lease_request_id: str,
    entry_id: str,
) -> bool:
    """Record a granted lease (once: a repeat of the same grant is a no-op → False);
    its request is answered."""
    t.drop_lease_request(conn, lease_request_id)
    if t.lease(conn, grant.lease_id) is not None:
        return False
    t.insert_lease(
        conn,
        lease_id=grant.lease_id,
        lease_request_id=lease_request_id,
        event_id=ctx.event_id,
        ticket_type=grant.ticket_type,
        count=grant.count,
        expires_at_ms=grant.expires_at_ms,
        now_ms=ctx.now_ms,
    )
    append_row(
        conn,
        ctx,
        entry_id=entry_id,
        kind="lease_taken",
        lease_id=grant.lease_id,
        ticket_type=grant.ticket_type,
        count=grant.count,
        expires_at_ms=grant.expires_at_ms,
    )
    return True


def record_lease_return(
    conn: sqlite3.Connection, ctx: Context, *, lease_id: str, entry_id: str
) -> int:
    """Stop selling on a lease and record its unused seats (the platform is told after
    the commit; a repeat returns the recorded count without a new row)."""
    found = t.lease(conn, lease_id)
    if found is None:
        raise BoxOfficeError(SaleCode.UNKNOWN_LEASE, f"no lease {lease_id} on this agent")
    seats, returned = found
    if returned is not None:
        return returned
    unused = seats.left
    t.mark_lease_returned(conn, lease_id, unused, ctx.now_ms)
    append_row(
        conn,
        ctx,
        entry_id=entry_id,
        kind="lease_returned",
        lease_id=lease_id,
        ticket_type=seats.ticket_type,
        count=unused,
    )
    return unused
