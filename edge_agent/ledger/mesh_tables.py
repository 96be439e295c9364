"""The mesh's ledger writes and reads (tables of migration 8, ``docs/mesh.md``).

Writes are functions to pass to ``LedgerWriter.execute`` (one transaction with the
state they go with: a venue event's changes and its stream sequence commit together,
so a crash never applies an event twice or skips one). Reads take a read connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from edge_agent.ledger.rows import DeviceRow, ManifestTicketRow, TicketTypeRow
from edge_agent.ledger.sync_tables import upsert_manifest_tickets

#: ``mesh_applied`` stream names.
EVENTS_STREAM = "venue_events"
SEEDED_STREAM = "claims_seeded"


@dataclass(frozen=True, slots=True)
class AdmissionRow:
    """A scan row that changed a ticket's admission (an admit or an exit)."""

    seq: int
    scan_id: str
    ticket_id: str
    outcome: str
    reason: str
    at_ms: int
    unconfirmed: bool
    #: The gate rules' facts of the row (its extension): the zone entered, the event
    #: day the entry counted on ("" = none), so a replayed claim carries them too.
    zone: str = ""
    day: str = ""


@dataclass(frozen=True, slots=True)
class ConflictRow:
    agent_id: str
    scan_id: str
    ticket_id: str
    member: str
    gate_id: str
    at_ms: int
    winner_agent_id: str
    winner_member: str
    winner_gate: str
    winner_at_ms: int
    winner_claim: str
    found_at_ms: int


_UNCONFIRMED = "ext IS NOT NULL AND json_extract(ext, '$.claim') = 'unconfirmed'"
_ADMISSION = "outcome IN ('admit', 'exit') AND ticket_id IS NOT NULL"
_FACTS = "coalesce(json_extract(ext, '$.zone'), ''), coalesce(json_extract(ext, '$.day'), '')"
# Built from the constants above, never from input.
_ADMISSION_ROWS = (
    "SELECT seq, scan_id, ticket_id, outcome, reason, at_ms,"  # noqa: S608
    f" coalesce({_UNCONFIRMED}, 0), {_FACTS} FROM scans WHERE seq > ? AND {_ADMISSION}"
    " ORDER BY seq LIMIT ?"
)
_UNRESOLVED = (
    f"FROM scans WHERE {_UNCONFIRMED} AND {_ADMISSION}"  # noqa: S608
    " AND scan_id NOT IN (SELECT scan_id FROM mesh_resolved)"
)


# ------------------------------------------------------------------------ reads
def applied_seq(conn: sqlite3.Connection, stream: str, incarnation: str) -> int:
    """How far ``stream`` was applied; 0 when it was another incarnation of it."""
    row = conn.execute(
        "SELECT incarnation, seq FROM mesh_applied WHERE stream = ?", (stream,)
    ).fetchone()
    return 0 if row is None or row[0] != incarnation else int(row[1])


def admission_rows(
    conn: sqlite3.Connection, after_seq: int, limit: int = 500
) -> list[AdmissionRow]:
    """Admit/exit rows after ``after_seq`` in seq order (seeding and replay)."""
    return [
        AdmissionRow(seq, scan_id, ticket_id, outcome, reason, at_ms, bool(unconfirmed), zone, day)
        for seq, scan_id, ticket_id, outcome, reason, at_ms, unconfirmed, zone, day in conn.execute(
            _ADMISSION_ROWS, (after_seq, limit)
        )
    ]


def unresolved_unconfirmed(conn: sqlite3.Connection, limit: int = 500) -> list[AdmissionRow]:
    """Unconfirmed admits/exits that replay has not settled yet, oldest first."""
    return [
        AdmissionRow(seq, scan_id, ticket_id, outcome, reason, at_ms, True, zone, day)
        for seq, scan_id, ticket_id, outcome, reason, at_ms, zone, day in conn.execute(
            f"SELECT seq, scan_id, ticket_id, outcome, reason, at_ms, {_FACTS} "
            + _UNRESOLVED
            + " ORDER BY seq LIMIT ?",
            (limit,),
        )
    ]


def unresolved_count(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT count(*) " + _UNRESOLVED).fetchone()
    return int(row[0])


def conflicts(conn: sqlite3.Connection, limit: int = 100) -> list[ConflictRow]:
    """The venue's conflicts this box knows of, newest first."""
    return [
        ConflictRow(*row)
        for row in conn.execute(
            "SELECT agent_id, scan_id, ticket_id, member, gate_id, at_ms, winner_agent_id,"
            " winner_member, winner_gate, winner_at_ms, winner_claim, found_at_ms"
            " FROM mesh_conflicts ORDER BY found_at_ms DESC LIMIT ?",
            (limit,),
        )
    ]


def conflict_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM mesh_conflicts").fetchone()[0])


def devices_to_share(conn: sqlite3.Connection) -> list[DeviceRow]:
    return [
        DeviceRow(*row)
        for row in conn.execute(
            "SELECT device_id, name, role, token_sha256, created_at_ms, revoked_at_ms"
            " FROM devices ORDER BY created_at_ms"
        )
    ]


def local_revocations(conn: sqlite3.Connection) -> list[tuple[str, str, int, str]]:
    """Revocations this box made itself (voided door sales), to share when joining."""
    return list(
        conn.execute(
            "SELECT ticket_id, kind, at_ms, source FROM revocations"
            " WHERE source NOT IN ('platform') ORDER BY at_ms"
        )
    )


# ----------------------------------------------------------------------- writes
def set_applied(conn: sqlite3.Connection, stream: str, incarnation: str, seq: int) -> None:
    conn.execute(
        "INSERT INTO mesh_applied(stream, incarnation, seq) VALUES (?, ?, ?)"
        " ON CONFLICT(stream) DO UPDATE SET incarnation = excluded.incarnation,"
        " seq = excluded.seq",
        (stream, incarnation, seq),
    )


def resolve(
    conn: sqlite3.Connection, scan_id: str, ticket_id: str, outcome: str, at_ms: int
) -> None:
    conn.execute(
        "INSERT OR IGNORE INTO mesh_resolved(scan_id, ticket_id, outcome, at_ms)"
        " VALUES (?, ?, ?, ?)",
        (scan_id, ticket_id, outcome, at_ms),
    )


def add_conflict(conn: sqlite3.Connection, row: ConflictRow) -> bool:
    """Record a conflict once (by the admitting agent and its scan); True if new."""
    cursor = conn.execute(
        "INSERT OR IGNORE INTO mesh_conflicts(agent_id, scan_id, ticket_id, member, gate_id,"
        " at_ms, winner_agent_id, winner_member, winner_gate, winner_at_ms, winner_claim,"
        " found_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            row.agent_id, row.scan_id, row.ticket_id, row.member, row.gate_id, row.at_ms,
            row.winner_agent_id, row.winner_member, row.winner_gate, row.winner_at_ms,
            row.winner_claim, row.found_at_ms,
        ),
    )  # fmt: skip
    return cursor.rowcount > 0


def upsert_devices(conn: sqlite3.Connection, devices: Iterable[DeviceRow]) -> list[DeviceRow]:
    """Devices paired (or revoked) at another member; returns the rows that changed
    something here. A device is known by id; its revocation is kept once made."""
    changed: list[DeviceRow] = []
    for d in devices:
        cur = conn.execute(
            "INSERT OR IGNORE INTO devices(device_id, name, role, token_sha256, created_at_ms,"
            " revoked_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
            (d.device_id, d.name, d.role, d.token_sha256, d.created_at_ms, d.revoked_at_ms),
        )
        if cur.rowcount == 0 and d.revoked_at_ms is not None:
            cur = conn.execute(
                "UPDATE devices SET revoked_at_ms = ? WHERE device_id = ?"
                " AND revoked_at_ms IS NULL",
                (d.revoked_at_ms, d.device_id),
            )
        if cur.rowcount > 0:
            changed.append(d)
    return changed


def apply_revocations(
    conn: sqlite3.Connection, items: Sequence[tuple[str, str | None, int, str]]
) -> None:
    """(ticket_id, kind or None to lift, at_ms, source) as another member learned them."""
    conn.executemany(
        "DELETE FROM revocations WHERE ticket_id = ?",
        [(tid,) for tid, kind, _, _ in items if kind is None],
    )
    conn.executemany(
        "INSERT INTO revocations(ticket_id, kind, at_ms, source) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(ticket_id) DO UPDATE SET kind = excluded.kind",
        [(tid, kind, at, src) for tid, kind, at, src in items if kind is not None],
    )


def apply_manifest_facts(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    ticket_types: Sequence[TicketTypeRow],
    tickets: Sequence[ManifestTicketRow],
    keyring_json: str | None,
    event: tuple[str, str, str, str | None] | None,
    manifest_at_ms: int | None,
    as_of_ms: int = 0,
) -> None:
    """What another member learned from the platform: types, tickets (and their plain
    codes), the platform keyring, the event (name, venue, status, postponed_to) and
    the manifest's time — never the other box's download cursor (a box with its own
    uplink keeps its own place in the platform's feed). The keyring and the event are
    taken only from facts at least as new as this box's manifest (``as_of_ms``, the
    platform time they were generated at): a box coming back with old knowledge must
    not roll the venue back to an older keyring."""
    conn.executemany(
        "INSERT INTO ticket_types(event_id, ticket_type, name, capacity, price_cents, flags,"
        " note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id, ticket_type) DO UPDATE SET"
        " name = excluded.name, capacity = excluded.capacity,"
        " price_cents = excluded.price_cents, flags = excluded.flags, note = excluded.note",
        [(t.event_id, t.ticket_type, t.name, t.capacity, t.price_cents, t.flags, t.note)
         for t in ticket_types],
    )  # fmt: skip
    if tickets:
        upsert_manifest_tickets(conn, tickets)
        # the tickets' own flags (migration 7): as the sharing box's manifest has them
        conn.executemany(
            "UPDATE manifest_tickets SET flags = ?, note = ?"
            " WHERE ticket_id = ? AND (flags != ? OR note != ?)",
            ((t.flags, t.note, t.ticket_id, t.flags, t.note) for t in tickets),
        )
    if keyring_json is not None:
        conn.execute(
            "UPDATE sync_state SET keyring_json = ?"
            " WHERE id = 1 AND coalesce(manifest_at_ms, 0) <= ?",
            (keyring_json, as_of_ms),
        )
    if event is not None:
        conn.execute(
            "UPDATE sync_state SET event_id = ?, event_name = ?, event_venue = ?,"
            " event_status = ?, event_postponed_to = ?"
            " WHERE id = 1 AND coalesce(manifest_at_ms, 0) <= ?",
            (event_id, *event, as_of_ms),
        )
    if manifest_at_ms is not None:
        conn.execute(
            "UPDATE sync_state SET manifest_at_ms = max(coalesce(manifest_at_ms, 0), ?)"
            " WHERE id = 1",
            (manifest_at_ms,),
        )


def admission_rows_iter(conn: sqlite3.Connection, after_seq: int) -> Iterator[AdmissionRow]:
    """All admission rows after ``after_seq`` in pages (seeding a new claims bucket)."""
    while True:
        page = admission_rows(conn, after_seq)
        if not page:
            return
        yield from page
        after_seq = page[-1].seq
