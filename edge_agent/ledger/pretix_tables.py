"""The pretix link's tables (schema v6): writes for ``LedgerWriter.execute``, reads for a
read connection. One downloaded page is one ``apply_pretix_changes`` call, so its
changes and its cursor commit together or not at all.

A pretix page lands in the same places a Gatehouse manifest page does (``ticket_types``,
``manifest_tickets``, ``plain_codes``, ``revocations``, ``sync_state``: the gate, the
box-office look-ups and evidence packs read them there) plus the pretix tables: the
position of each ticket, pretix's check-in state, the product numbering and the list's
rules.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from edge_agent.ledger.rows import ManifestTicketRow
from edge_agent.ledger.sync_tables import upsert_manifest_tickets

#: Revocation kinds that follow pretix's current word on a position (lifted when pretix
#: no longer says so); ``reissued`` (a revoked secret) is final, like the platform's.
LIFTABLE_KINDS = ("cancelled", "unpaid", "blocked")
_LIFT_SQL = (
    "DELETE FROM revocations WHERE ticket_id = ? AND source = 'pretix'"
    " AND kind IN ('cancelled', 'unpaid', 'blocked')"  # LIFTABLE_KINDS
)


class PositionRow(NamedTuple):
    ticket_id: str
    position_id: int
    order_code: str
    ticket_type: int
    subevent: int
    holder_name: str
    holder_email: str
    plain_code_sha256: str | None
    valid_from: int
    valid_until: int
    #: The position's revocation kind now, or ``None`` (a liftable kind is then lifted).
    revocation: str | None
    #: (inside, first_ms, first_gate, last_ms, last_gate, entries) or ``None``: no check-in.
    checkins: tuple[bool, int, str, int, str, int] | None


class SecretRevocation(NamedTuple):
    """A revoked or (un)blocked secret: by ticket id (signed) or code hash (random)."""

    ticket_id: str | None
    code_sha256: str | None
    kind: str | None  # None: unblocked


@dataclass(frozen=True, slots=True)
class PretixChanges:
    event_id: int
    cursor: str
    manifest_at_ms: int | None
    event_name: str
    keyring_json: str
    rules_json: str
    #: (ticket type, name) of every product.
    type_names: Sequence[tuple[int, str]]
    positions: Sequence[PositionRow]
    secrets: Sequence[SecretRevocation]
    #: Agent time of the change (the revocations' ``at_ms``).
    at_ms: int
    #: (ticket type, flags, note) of every product: pretix's ``checkin_attention`` as the
    #: flag ``attention`` (or ""), its ``checkin_text`` as the staff note; stored on the
    #: type like a Gatehouse manifest's (schema v7), so a restart shows them too.
    type_flags: Sequence[tuple[int, str, str]] = ()


def assign_products(
    conn: sqlite3.Connection, products: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """Number new (item, variation) products after the highest type so far; return the
    whole map. Numbers never change once given (gate rules and records use them)."""
    known = product_map(conn)
    top = max(known.values(), default=0)
    for product in sorted(set(products) - set(known)):
        top += 1
        conn.execute(
            "INSERT INTO pretix_products(item, variation, ticket_type) VALUES (?, ?, ?)",
            (*product, top),
        )
        known[product] = top
    return known


def apply_pretix_changes(conn: sqlite3.Connection, ch: PretixChanges) -> dict[str, str | None]:
    """Apply one page; returns the revocation state it left for each ticket it touched
    (ticket id → kind, ``None`` = not revoked), for the gate's memory."""
    conn.executemany(
        "INSERT INTO ticket_types(event_id, ticket_type, name) VALUES (?, ?, ?)"
        " ON CONFLICT(event_id, ticket_type) DO UPDATE SET name = excluded.name",
        ((ch.event_id, t, name) for t, name in ch.type_names),
    )
    conn.executemany(
        "UPDATE ticket_types SET flags = ?, note = ? WHERE event_id = ? AND ticket_type = ?",
        ((flags, note, ch.event_id, t) for t, flags, note in ch.type_flags),
    )
    upsert_manifest_tickets(
        conn,
        (
            ManifestTicketRow(
                p.ticket_id,
                ch.event_id,
                p.ticket_type,
                p.order_code,
                p.holder_name,
                p.holder_email,
                p.plain_code_sha256,
                p.valid_from,
                p.valid_until,
            )
            for p in ch.positions
        ),
    )
    conn.executemany(
        "UPDATE plain_codes SET subevent = ? WHERE code_sha256 = ?",
        ((p.subevent, p.plain_code_sha256) for p in ch.positions if p.plain_code_sha256),
    )
    conn.executemany(
        "INSERT INTO pretix_positions(ticket_id, position_id, order_code) VALUES (?, ?, ?)"
        " ON CONFLICT(ticket_id) DO UPDATE SET position_id = excluded.position_id,"
        " order_code = excluded.order_code",
        ((p.ticket_id, p.position_id, p.order_code) for p in ch.positions),
    )
    conn.executemany(
        "INSERT INTO pretix_checkins VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(ticket_id) DO"
        " UPDATE SET inside = excluded.inside, first_ms = excluded.first_ms, first_gate ="
        " excluded.first_gate, last_ms = excluded.last_ms, last_gate = excluded.last_gate,"
        " entries = excluded.entries",
        ((p.ticket_id, *p.checkins) for p in ch.positions if p.checkins is not None),
    )
    conn.executemany(
        "DELETE FROM pretix_checkins WHERE ticket_id = ?",
        ((p.ticket_id,) for p in ch.positions if p.checkins is None),
    )
    wanted = [(p.ticket_id, p.revocation) for p in ch.positions]
    for secret in ch.secrets:
        ticket_id = secret.ticket_id or _ticket_of_code(conn, secret.code_sha256)
        if ticket_id is not None:
            wanted.append((ticket_id, secret.kind))
    touched = _revoke(conn, wanted, ch.at_ms)
    conn.execute(
        "UPDATE sync_state SET event_id = ?, manifest_cursor = ?,"
        " manifest_at_ms = coalesce(?, manifest_at_ms), event_status = 'on_sale',"
        " event_name = ?, event_venue = '', event_postponed_to = NULL, keyring_json = ?"
        " WHERE id = 1",
        (ch.event_id, ch.cursor, ch.manifest_at_ms, ch.event_name, ch.keyring_json),
    )
    conn.execute("UPDATE pretix_state SET rules_json = ? WHERE id = 1", (ch.rules_json,))
    return touched


def _ticket_of_code(conn: sqlite3.Connection, code_sha256: str | None) -> str | None:
    if code_sha256 is None:
        return None
    row = conn.execute(
        "SELECT ticket_id FROM plain_codes WHERE code_sha256 = ?", (code_sha256,)
    ).fetchone()
    return None if row is None else str(row[0])


def _revoke(
    conn: sqlite3.Connection, wanted: Sequence[tuple[str, str | None]], at_ms: int
) -> dict[str, str | None]:
    """Set each wanted kind; ``None`` lifts only a liftable kind pretix set (never
    ``reissued``, never another source's)."""
    for ticket_id, kind in wanted:
        if kind is None:
            conn.execute(_LIFT_SQL, (ticket_id,))
        else:
            conn.execute(
                "INSERT INTO revocations(ticket_id, kind, at_ms, source) VALUES"
                " (?, ?, ?, 'pretix') ON CONFLICT(ticket_id) DO UPDATE SET kind = excluded.kind"
                " WHERE revocations.kind != 'reissued'",
                (ticket_id, kind, at_ms),
            )
    touched: dict[str, str | None] = {}
    for ticket_id, _ in wanted:
        row = conn.execute(
            "SELECT kind FROM revocations WHERE ticket_id = ?", (ticket_id,)
        ).fetchone()
        touched[ticket_id] = None if row is None else str(row[0])
    return touched


def switch_link(conn: sqlite3.Connection, link: str) -> bool:
    """Record which pretix organizer/event/list this ledger syncs with; when it differs
    from the last one, start the download over (its cursors were another list's).
    Returns True when it switched."""
    row = conn.execute("SELECT link_json FROM pretix_state WHERE id = 1").fetchone()
    if row is not None and row[0] == link:
        return False
    conn.execute("UPDATE pretix_state SET link_json = ? WHERE id = 1", (link,))
    conn.execute("UPDATE sync_state SET manifest_cursor = '' WHERE id = 1")
    return row is not None and row[0] is not None


def record_conflict(
    conn: sqlite3.Connection,
    seq: int,
    scan_id: str,
    ticket_id: str | None,
    at_ms: int,
    reason: str,
    detail: str,
    others: Sequence[tuple[int | None, int]],
    noted_at_ms: int,
) -> None:
    """One conflict per scan row (a retried upload replaces its own entry)."""
    conn.execute(
        "INSERT OR REPLACE INTO pretix_conflicts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, scan_id, ticket_id, at_ms, reason, detail, json.dumps(list(others)), noted_at_ms),
    )


# ------------------------------------------------------------------------ reads


def product_map(conn: sqlite3.Connection) -> dict[tuple[int, int], int]:
    return {
        (item, variation): ticket_type
        for item, variation, ticket_type in conn.execute(
            "SELECT item, variation, ticket_type FROM pretix_products"
        )
    }


def rules_json(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT rules_json FROM pretix_state WHERE id = 1").fetchone()
    return None if row is None or row[0] is None else str(row[0])


def remote_admissions(
    conn: sqlite3.Connection,
) -> Iterable[tuple[str, bool, int, str, int, str, int]]:
    return ((str(r[0]), bool(r[1]), *r[2:]) for r in conn.execute("SELECT * FROM pretix_checkins"))


def rows_for_upload(
    conn: sqlite3.Connection, after_seq: int, max_rows: int
) -> list[tuple[Any, ...]]:
    """Scan rows after ``after_seq`` with the ticket's pretix position (or NULL):
    (seq, scan_id, at_ms, direction, outcome, reason, credential_kind, ticket_id,
    code_sha256, position_id)."""
    return conn.execute(
        "SELECT s.seq, s.scan_id, s.at_ms, s.direction, s.outcome, s.reason,"
        " s.credential_kind, s.ticket_id, s.code_sha256, p.position_id FROM scans s"
        " LEFT JOIN pretix_positions p ON p.ticket_id = s.ticket_id"
        " WHERE s.seq > ? ORDER BY s.seq LIMIT ?",
        (after_seq, max_rows),
    ).fetchall()


def conflicts(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT seq, scan_id, ticket_id, at_ms, reason, detail, others FROM pretix_conflicts"
        " ORDER BY seq"
    ).fetchall()
    return [
        {
            "seq": seq,
            "scan_id": scan_id,
            "ticket_id": ticket_id,
            "at_ms": at_ms,
            "reason": reason,
            "detail": detail,
            "others": [tuple(o) for o in json.loads(others)],
        }
        for seq, scan_id, ticket_id, at_ms, reason, detail, others in rows
    ]


def position_of(conn: sqlite3.Connection, ticket_id: str) -> Mapping[str, Any] | None:
    row = conn.execute(
        "SELECT position_id, order_code FROM pretix_positions WHERE ticket_id = ?", (ticket_id,)
    ).fetchone()
    return None if row is None else {"position_id": row[0], "order_code": row[1]}
