"""Reads of the manifest's ticket flags (migration 7) for the gate's in-memory state.

Flagged tickets are few (ID checks, accessibility, a staff note), so the gate holds
them in memory and reads a holder's name only when a flagged ticket is admitted.
"""

from __future__ import annotations

import sqlite3

from edge_agent.domain.rules.model import Flag, TicketFlags

_FLAGS = {f.value: f for f in Flag}


def parse_flags(text: str, note: str = "", holder_name: str = "") -> TicketFlags:
    """Comma-separated flag names as stored; names this version does not know are
    shown as ``attention`` rather than dropped (staff should look)."""
    flags = frozenset(_FLAGS.get(name, Flag.ATTENTION) for name in text.split(",") if name)
    return TicketFlags(flags, note, holder_name)


def type_flags(conn: sqlite3.Connection) -> dict[tuple[int, int], TicketFlags]:
    """(event, ticket type) -> flags, for every type that has any."""
    rows = conn.execute(
        "SELECT event_id, ticket_type, flags, note FROM ticket_types"
        " WHERE flags != '' OR note != ''"
    )
    return {(event_id, tt): parse_flags(flags, note) for event_id, tt, flags, note in rows}


def flagged_tickets(conn: sqlite3.Connection) -> dict[str, TicketFlags]:
    """ticket_id -> its own flags (with the holder's name), for flagged tickets only."""
    rows = conn.execute(
        "SELECT ticket_id, flags, note, holder_name FROM manifest_tickets"
        " INDEXED BY manifest_tickets_flagged WHERE flags != '' OR note != ''"
    )
    return {tid: parse_flags(flags, note, name or "") for tid, flags, note, name in rows}


def holder_name(conn: sqlite3.Connection, ticket_id: str) -> str:
    """The holder's name the manifest has for a ticket, "" when none."""
    row = conn.execute(
        "SELECT holder_name FROM manifest_tickets WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()
    return str(row[0] or "") if row is not None else ""
