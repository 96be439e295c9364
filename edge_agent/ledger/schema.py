"""The ledger's schema as an ordered list of migrations, tracked in ``PRAGMA user_version``.

Migration *n* (1-based) takes a database at version *n-1* to version *n*; each runs in
its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a crash
leaves the file at a whole version. Migrations are never edited once shipped: a change
is a new function appended to ``MIGRATIONS``. A database newer than this code is
refused rather than guessed at.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from edge_agent.errors import LedgerError

#: Written to ``meta.format``; the canonical bytes and chain rule of ``docs/ledger.md``.
LEDGER_FORMAT = "ledger-v1"

Migration = Callable[[sqlite3.Connection], None]


def _v1_initial(conn: sqlite3.Connection) -> None:
    """meta, the append-only scans table, devices and the manifest tables."""
    conn.execute(
        """CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )"""
    )
    # One column per records.SCAN_FIELDS entry, in that order, plus the chain value.
    # STRICT so a value reads back with the type it was hashed with.
    conn.execute(
        """CREATE TABLE scans (
            seq               INTEGER PRIMARY KEY,
            scan_id           TEXT NOT NULL UNIQUE,
            agent_id          TEXT NOT NULL,
            at_ms             INTEGER NOT NULL,
            gate              TEXT NOT NULL,
            lane              TEXT NOT NULL,
            device_id         TEXT NOT NULL,
            device_kind       TEXT NOT NULL,
            direction         TEXT NOT NULL,
            credential_kind   TEXT NOT NULL,
            event_id          INTEGER,
            ticket_id         TEXT,
            ticket_type       INTEGER,
            key_id            TEXT,
            code_sha256       TEXT NOT NULL,
            outcome           TEXT NOT NULL,
            reason            TEXT NOT NULL,
            override_operator TEXT,
            override_reason   TEXT,
            manifest_at_ms    INTEGER,
            chain             TEXT NOT NULL
        ) STRICT"""
    )
    conn.execute("CREATE INDEX scans_ticket_id ON scans(ticket_id)")
    conn.execute(
        """CREATE TRIGGER scans_no_update BEFORE UPDATE ON scans
        BEGIN
            SELECT RAISE(ABORT, 'scans are append-only: a recorded scan cannot be changed');
        END"""
    )
    conn.execute(
        """CREATE TRIGGER scans_no_delete BEFORE DELETE ON scans
        BEGIN
            SELECT RAISE(ABORT, 'scans are append-only: a recorded scan cannot be deleted');
        END"""
    )
    conn.execute(
        """CREATE TABLE devices (
            device_id     TEXT PRIMARY KEY,
            name          TEXT,
            role          TEXT NOT NULL,
            token_sha256  TEXT UNIQUE NOT NULL,
            created_at_ms INTEGER NOT NULL,
            revoked_at_ms INTEGER
        )"""
    )
    conn.execute(
        """CREATE TABLE ticket_types (
            event_id    INTEGER,
            ticket_type INTEGER,
            name        TEXT NOT NULL,
            PRIMARY KEY (event_id, ticket_type)
        )"""
    )
    conn.execute(
        """CREATE TABLE plain_codes (
            code_sha256 TEXT PRIMARY KEY,
            event_id    INTEGER NOT NULL,
            ticket_id   TEXT NOT NULL,
            ticket_type INTEGER NOT NULL,
            valid_from  INTEGER NOT NULL DEFAULT 0,
            valid_until INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID"""
    )
    conn.execute(
        """CREATE TABLE revocations (
            ticket_id TEXT PRIMARY KEY,
            kind      TEXT NOT NULL,
            at_ms     INTEGER NOT NULL,
            source    TEXT NOT NULL
        )"""
    )


#: The secondary indexes of ``manifest_tickets`` (migration 2; never change a shipped
#: one — add a migration). A first manifest load drops them and builds them once at the
#: end (``sync_tables``): a million random-key index inserts take minutes, one sorted
#: build seconds.
MANIFEST_TICKET_INDEXES: dict[str, str] = {
    "manifest_tickets_order": (
        "CREATE INDEX IF NOT EXISTS manifest_tickets_order ON manifest_tickets(order_id)"
    ),
    "manifest_tickets_email": (
        "CREATE INDEX IF NOT EXISTS manifest_tickets_email"
        " ON manifest_tickets(holder_email COLLATE NOCASE)"
    ),
    "manifest_tickets_name": (
        "CREATE INDEX IF NOT EXISTS manifest_tickets_name"
        " ON manifest_tickets(holder_name COLLATE NOCASE)"
    ),
}


def _v2_sync(conn: sqlite3.Connection) -> None:
    """What platform sync needs: the manifest's tickets and the sync state.

    ``manifest_tickets`` holds every ticket of the event as the platform last sent it
    (holder details for the box office's lookup, the plain code's hash); the gate itself
    reads ``plain_codes`` and ``revocations``. Indexes serve lookups by order, holder
    e-mail and holder name (case-insensitive, prefix ranges work on them).
    """
    conn.execute(
        """CREATE TABLE manifest_tickets (
            ticket_id         TEXT PRIMARY KEY,
            event_id          INTEGER NOT NULL,
            ticket_type       INTEGER NOT NULL,
            order_id          TEXT NOT NULL DEFAULT '',
            holder_name       TEXT NOT NULL DEFAULT '',
            holder_email      TEXT NOT NULL DEFAULT '',
            plain_code_sha256 TEXT,
            valid_from        INTEGER NOT NULL DEFAULT 0,
            valid_until       INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID"""
    )
    for sql in MANIFEST_TICKET_INDEXES.values():
        conn.execute(sql)
    # One row (id = 1): where the manifest download stands and what it last said.
    conn.execute(
        """CREATE TABLE sync_state (
            id                   INTEGER PRIMARY KEY CHECK (id = 1),
            event_id             INTEGER,
            manifest_cursor      TEXT NOT NULL DEFAULT '',
            manifest_at_ms       INTEGER,
            event_status         TEXT NOT NULL DEFAULT '',
            event_name           TEXT NOT NULL DEFAULT '',
            event_venue          TEXT NOT NULL DEFAULT '',
            event_postponed_to   TEXT,
            keyring_json         TEXT,
            bulk_load            INTEGER NOT NULL DEFAULT 0,
            clock_offset_ms      INTEGER,
            clock_rtt_ms         INTEGER,
            clock_measured_at_ms INTEGER,
            last_success_ms      INTEGER,
            last_error           TEXT,
            last_error_ms        INTEGER
        )"""
    )
    conn.execute("INSERT INTO sync_state(id) VALUES (1)")
    # Per upload stream ("scans", later "sales"): every row up to this seq is on the
    # platform (its stored_through_seq answer, never our own guess).
    conn.execute(
        """CREATE TABLE upload_cursors (
            stream               TEXT PRIMARY KEY,
            uploaded_through_seq INTEGER NOT NULL
        )"""
    )


def _v3_box_office(conn: sqlite3.Connection) -> None:
    """The box office: the append-only ``sales`` stream and the till's state.

    ``sales`` has one column per ``sale_records.SALE_FIELDS`` entry, in that order, plus
    the chain value (a chain of its own, like ``scans``); nothing is ever changed or
    deleted. The ``box_office_*`` tables are the current state those rows add up to
    (open sessions, what each lease has left, each sale's receipt and status), written
    in the same transaction as the row, so they can never disagree. ``sold <= count``
    on a lease is also a CHECK: the last guard against selling past the lease.
    Ticket types gain the manifest's ``capacity`` and ``price_cents`` (null when the
    platform does not send them).
    """
    conn.execute("ALTER TABLE ticket_types ADD COLUMN capacity INTEGER")
    conn.execute("ALTER TABLE ticket_types ADD COLUMN price_cents INTEGER")
    conn.execute(
        """CREATE TABLE sales (
            seq            INTEGER PRIMARY KEY,
            entry_id       TEXT NOT NULL UNIQUE,
            agent_id       TEXT NOT NULL,
            at_ms          INTEGER NOT NULL,
            kind           TEXT NOT NULL,
            event_id       INTEGER,
            session_id     TEXT,
            device_id      TEXT,
            operator       TEXT,
            sale_id        TEXT,
            order_id       TEXT,
            lease_id       TEXT,
            ticket_type    INTEGER,
            count          INTEGER,
            expires_at_ms  INTEGER,
            amount_cents   INTEGER,
            currency       TEXT,
            method         TEXT,
            tendered_cents INTEGER,
            change_cents   INTEGER,
            card_brand     TEXT,
            card_last4     TEXT,
            auth_ref       TEXT,
            terminal_id    TEXT,
            supervisor     TEXT,
            reason         TEXT,
            customer_name  TEXT,
            customer_email TEXT,
            delivery       TEXT,
            tickets        TEXT,
            chain          TEXT NOT NULL
        ) STRICT"""
    )
    conn.execute(
        """CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
        BEGIN
            SELECT RAISE(ABORT, 'sales are append-only: a recorded row cannot be changed');
        END"""
    )
    conn.execute(
        """CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
        BEGIN
            SELECT RAISE(ABORT, 'sales are append-only: a recorded row cannot be deleted');
        END"""
    )
    conn.execute(
        """CREATE TABLE box_office_sessions (
            session_id     TEXT PRIMARY KEY,
            device_id      TEXT NOT NULL,
            operator       TEXT NOT NULL,
            float_cents    INTEGER NOT NULL,
            opened_at_ms   INTEGER NOT NULL,
            closed_at_ms   INTEGER,
            counted_cents  INTEGER,
            cash_in_cents  INTEGER NOT NULL DEFAULT 0,
            cash_out_cents INTEGER NOT NULL DEFAULT 0,
            sales          INTEGER NOT NULL DEFAULT 0,
            voids          INTEGER NOT NULL DEFAULT 0
        ) STRICT"""
    )
    conn.execute(
        "CREATE UNIQUE INDEX box_office_sessions_open ON box_office_sessions(device_id)"
        " WHERE closed_at_ms IS NULL"
    )
    conn.execute(
        """CREATE TABLE box_office_leases (
            lease_id         TEXT PRIMARY KEY,
            lease_request_id TEXT NOT NULL UNIQUE,
            event_id         INTEGER NOT NULL,
            ticket_type      INTEGER NOT NULL,
            count            INTEGER NOT NULL,
            sold             INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= count),
            expires_at_ms    INTEGER NOT NULL,
            taken_at_ms      INTEGER NOT NULL,
            returned         INTEGER,
            returned_at_ms   INTEGER,
            -- 1 once the platform confirmed the return (until then it is retried)
            return_told      INTEGER NOT NULL DEFAULT 0
        ) STRICT"""
    )
    # A lease asked for whose answer has not been recorded yet: the next request for the
    # type repeats it (same id: the platform answers with the lease it already made).
    conn.execute(
        """CREATE TABLE box_office_lease_requests (
            lease_request_id TEXT PRIMARY KEY,
            event_id         INTEGER NOT NULL,
            ticket_type      INTEGER NOT NULL,
            count            INTEGER NOT NULL,
            asked_at_ms      INTEGER NOT NULL
        ) STRICT"""
    )
    conn.execute(
        """CREATE TABLE box_office_sales (
            sale_id        TEXT PRIMARY KEY,
            request_id     TEXT NOT NULL UNIQUE,
            request_sha256 TEXT NOT NULL,
            device_id      TEXT NOT NULL,
            session_id     TEXT NOT NULL,
            at_ms          INTEGER NOT NULL,
            status         TEXT NOT NULL,
            receipt        TEXT NOT NULL
        ) STRICT"""
    )
    conn.execute("CREATE INDEX box_office_sales_by_time ON box_office_sales(at_ms)")
    conn.execute(
        """CREATE TABLE box_office_tickets (
            ticket_id   TEXT PRIMARY KEY,
            sale_id     TEXT NOT NULL,
            ticket_type INTEGER NOT NULL,
            lease_id    TEXT NOT NULL
        ) STRICT"""
    )


def _v4_chain_checkpoints(conn: sqlite3.Connection) -> None:
    """Signed checkpoints of the scans' hash chain (``docs/evidence.md``).

    ``number`` counts from 1 without gaps (it is also the upload stream's seq);
    ``through_seq``/``chain`` are the ledger head the agent's key signed. Append-only
    like ``scans``: a checkpoint is a signed statement, never edited.
    """
    conn.execute(
        """CREATE TABLE chain_checkpoints (
            number          INTEGER PRIMARY KEY,
            through_seq     INTEGER NOT NULL UNIQUE,
            chain           TEXT NOT NULL,
            at_ms           INTEGER NOT NULL,
            clock_offset_ms INTEGER,
            clock_rtt_ms    INTEGER,
            key_id          TEXT NOT NULL,
            signature       TEXT NOT NULL
        ) STRICT"""
    )
    conn.execute(
        """CREATE TRIGGER chain_checkpoints_no_update BEFORE UPDATE ON chain_checkpoints
        BEGIN
            SELECT RAISE(ABORT, 'checkpoints are append-only');
        END"""
    )
    conn.execute(
        """CREATE TRIGGER chain_checkpoints_no_delete BEFORE DELETE ON chain_checkpoints
        BEGIN
            SELECT RAISE(ABORT, 'checkpoints are append-only');
        END"""
    )


#: Index i holds the migration to version i + 1. Append only.
MIGRATIONS: Sequence[Migration] = (
    _v1_initial,
    _v2_sync,
    _v3_box_office,
    _v4_chain_checkpoints,
)

#: The schema version this code writes and understands.
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the database up to ``SCHEMA_VERSION``; return the version found before.

    ``conn`` must be in autocommit mode (``isolation_level=None``), as the write
    connection is.
    """
    found = schema_version(conn)
    if found > SCHEMA_VERSION:
        raise LedgerError(
            f"ledger {path} has schema version {found}, but this edge-agent only knows "
            f"versions up to {SCHEMA_VERSION}: it was written by a newer edge-agent. "
            "Install that version again (never downgrade a box that has recorded scans)."
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version - 1](conn)
            conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return found


def bind_agent(conn: sqlite3.Connection, path: Path, agent_id: str, now_ms: int) -> None:
    """Record ``agent_id`` in a new ledger, or check that an existing ledger is ours.

    A ledger belongs to one agent for life: its chain's genesis value is derived from
    the agent id, and every row carries it.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        owner = meta.get("agent_id")
        if owner is None:
            conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [
                    ("agent_id", agent_id),
                    ("created_at_ms", str(now_ms)),
                    ("format", LEDGER_FORMAT),
                ],
            )
        elif owner != agent_id:
            raise LedgerError(
                f"ledger {path} belongs to agent {owner!r}, but this agent is configured as "
                f"{agent_id!r}. A ledger cannot change owner (its hash chain starts from the "
                "agent id): fix agent.agent_id in the config, or point agent.data_dir at a "
                "new directory for this agent."
            )
        elif meta.get("format", LEDGER_FORMAT) != LEDGER_FORMAT:
            raise LedgerError(
                f"ledger {path} is in format {meta['format']!r}; this edge-agent writes "
                f"{LEDGER_FORMAT!r}. Use the edge-agent version that created it."
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
