"""The platform's tables (migrations as ordered functions, ``PRAGMA user_version``).

The shapes worth knowing when reading the rest of the package:

* ``changes`` is the manifest's change log: one row per change to a ticket, a ticket
  type or a revocation of an event, numbered by a global integer key (the rowid; the
  log is append-only, so numbers only grow and are never reused) and a cursor ``c:N``
  means "everything after change N". Pages are
  ``LIMIT`` queries on the ``(event_id, change_no)`` index.
* ``tickets`` holds current state; ``revocations`` one row per revoked ticket.
* ``scans`` / ``sales`` are keyed by ``(agent_id, seq)`` and store each row with its
  chain value, the time it arrived and the upload batch (with the agent's ``clock``
  object) it came in. A scan row is stored as its canonical bytes (the JSON array the
  chain covers, field names once per batch), so the chain can be re-verified from the
  stored text alone; so is a sale row (``SALE_FIELDS``, schema v2).
* Secrets: platform private keys live in ``event_keys`` (the DB file is 0600 in a 0700
  directory); tokens are stored only as SHA-256.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from reference_platform.support.accounts import v4_support_accounts

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

CREATE TABLE events (
    event_id      INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    venue         TEXT NOT NULL,
    starts_at_ms  INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'on_sale',
    postponed_to  TEXT,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE event_keys (
    event_id      INTEGER PRIMARY KEY REFERENCES events(event_id),
    private_key   BLOB NOT NULL,
    public_key    BLOB NOT NULL,
    key_id        TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE ticket_types (
    event_id    INTEGER NOT NULL REFERENCES events(event_id),
    ticket_type INTEGER NOT NULL,
    name        TEXT NOT NULL,
    capacity    INTEGER NOT NULL,
    price_cents INTEGER NOT NULL,
    -- tickets issued and not revoked (kept in step by every issue and revocation)
    sold        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, ticket_type)
) STRICT;

CREATE TABLE orders (
    order_id          TEXT PRIMARY KEY,
    event_id          INTEGER NOT NULL REFERENCES events(event_id),
    customer_name     TEXT NOT NULL,
    customer_email    TEXT NOT NULL,
    purchased_at_ms   INTEGER NOT NULL,
    ip                TEXT,
    user_agent        TEXT,
    payment_brand     TEXT,
    payment_last4     TEXT,
    three_ds_result   TEXT,
    created_at_ms     INTEGER NOT NULL
) STRICT;

CREATE TABLE tickets (
    ticket_id         TEXT PRIMARY KEY,
    event_id          INTEGER NOT NULL REFERENCES events(event_id),
    ticket_type       INTEGER NOT NULL,
    order_id          TEXT REFERENCES orders(order_id),
    holder_name       TEXT,
    holder_email      TEXT,
    code_kind         TEXT NOT NULL CHECK (code_kind IN ('gh1', 'plain')),
    code              TEXT NOT NULL,
    plain_code_sha256 TEXT,
    valid_from        INTEGER NOT NULL DEFAULT 0,
    valid_until       INTEGER NOT NULL DEFAULT 0,
    replaces          TEXT,
    issued_at_ms      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX tickets_by_order ON tickets(order_id);

CREATE TABLE revocations (
    ticket_id TEXT PRIMARY KEY REFERENCES tickets(ticket_id),
    event_id  INTEGER NOT NULL,
    kind      TEXT,  -- NULL: lifted (a suspension taken back at at_ms)
    reason    TEXT NOT NULL,
    at_ms     INTEGER NOT NULL
) STRICT;

CREATE TABLE changes (
    change_no INTEGER PRIMARY KEY,  -- rowid: max + 1; rows are never deleted
    event_id  INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('ticket', 'ticket_type', 'revocation')),
    ref       TEXT NOT NULL
) STRICT;
CREATE INDEX changes_by_event ON changes(event_id, change_no);

CREATE TABLE agents (
    agent_id       TEXT PRIMARY KEY,
    token_sha256   TEXT NOT NULL UNIQUE,
    token_issued_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_enrolments (
    agent_id      TEXT NOT NULL REFERENCES agents(agent_id),
    event_id      INTEGER NOT NULL REFERENCES events(event_id),
    public_key    TEXT NOT NULL,
    certificate   TEXT NOT NULL,
    enrolled_at_ms INTEGER NOT NULL,
    PRIMARY KEY (agent_id, event_id)
) STRICT;

CREATE TABLE leases (
    lease_id         TEXT PRIMARY KEY,
    lease_request_id TEXT NOT NULL UNIQUE,
    agent_id         TEXT NOT NULL,
    event_id         INTEGER NOT NULL,
    ticket_type      INTEGER NOT NULL,
    count            INTEGER NOT NULL,
    unused_returned  INTEGER,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL
) STRICT;
CREATE INDEX leases_by_type ON leases(event_id, ticket_type);

CREATE TABLE upload_batches (
    batch_id         INTEGER PRIMARY KEY,
    agent_id         TEXT NOT NULL,
    stream           TEXT NOT NULL,
    first_seq        INTEGER NOT NULL,
    last_seq         INTEGER NOT NULL,
    software_version TEXT,
    -- JSON list of the field names the batch's rows were stored under (scans: the
    -- canonical array's order); NULL when rows are stored as JSON objects (sales)
    fields           TEXT,
    clock            TEXT NOT NULL,
    received_at_ms   INTEGER NOT NULL
) STRICT;

CREATE TABLE scans (
    agent_id       TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    scan_id        TEXT NOT NULL UNIQUE,
    event_id       INTEGER,
    ticket_id      TEXT,
    outcome        TEXT NOT NULL,
    reason         TEXT NOT NULL,
    at_ms          INTEGER NOT NULL,
    chain          TEXT NOT NULL,
    -- the row's canonical bytes (a JSON array, see upload_batches.fields), exactly the
    -- text its chain value was computed over
    row_json       TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    batch_id       INTEGER NOT NULL REFERENCES upload_batches(batch_id),
    UNIQUE (agent_id, seq)
) STRICT;
-- first admissions only: what the conflicts report groups by ticket
CREATE INDEX scans_admissions ON scans(event_id, ticket_id, agent_id)
    WHERE outcome = 'admit' AND reason <> 'readmitted' AND ticket_id IS NOT NULL;

CREATE TABLE sales (
    agent_id       TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    sale_id        TEXT NOT NULL UNIQUE,
    chain          TEXT NOT NULL,
    row_json       TEXT NOT NULL,
    received_at_ms INTEGER NOT NULL,
    batch_id       INTEGER NOT NULL REFERENCES upload_batches(batch_id),
    UNIQUE (agent_id, seq)
) STRICT;
"""


def _v1(conn: sqlite3.Connection) -> None:
    for statement in _V1.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def _v2_door_sales(conn: sqlite3.Connection) -> None:
    """Door sales become orders: sales rows have fixed fields (``SALE_FIELDS``), each
    identified by its ``entry_id``; leases count the door sales and voids made on them
    (so a sold seat is counted once, in ``ticket_types.sold``, not also as held by the
    lease); ``email_queue`` holds the e-mails the platform owes door buyers."""
    conn.execute("ALTER TABLE sales RENAME COLUMN sale_id TO entry_id")
    conn.execute("ALTER TABLE leases ADD COLUMN door_sold INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE leases ADD COLUMN door_voided INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        """CREATE TABLE email_queue (
            email_id      INTEGER PRIMARY KEY,
            event_id      INTEGER NOT NULL,
            order_id      TEXT NOT NULL,
            to_email      TEXT NOT NULL,
            kind          TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            sent_at_ms    INTEGER
        ) STRICT"""
    )
    conn.execute("CREATE INDEX email_queue_by_event ON email_queue(event_id, email_id)")


def _v3_chain_checkpoints(conn: sqlite3.Connection) -> None:
    """Agents' signed chain checkpoints (``docs/evidence.md``), kept as uploaded and
    verified against the agent key certified at enrolment; and an index to find every
    scan of a ticket (evidence packs)."""
    conn.execute(
        """CREATE TABLE chain_checkpoints (
            agent_id        TEXT NOT NULL,
            number          INTEGER NOT NULL,
            through_seq     INTEGER NOT NULL,
            chain           TEXT NOT NULL,
            at_ms           INTEGER NOT NULL,
            clock_offset_ms INTEGER,
            clock_rtt_ms    INTEGER,
            key_id          TEXT NOT NULL,
            signature       TEXT NOT NULL,
            received_at_ms  INTEGER NOT NULL,
            PRIMARY KEY (agent_id, number)
        ) STRICT"""
    )
    conn.execute("CREATE INDEX scans_by_ticket ON scans(ticket_id)")


def _v5_gate_rules(conn: sqlite3.Connection) -> None:
    """Gate rules (issue 16): flags (comma-separated: attention, id_check, age_18,
    accessibility) and a staff note on ticket types and on single tickets; the
    manifest carries them (``docs/sync.md``)."""
    for table in ("ticket_types", "tickets"):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN flags TEXT NOT NULL DEFAULT ''")
        conn.execute(f"ALTER TABLE {table} ADD COLUMN note TEXT NOT NULL DEFAULT ''")


#: Ordered; shipped migrations are never edited, new ones are appended.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1,
    _v2_door_sales,
    _v3_chain_checkpoints,
    v4_support_accounts,
    _v5_gate_rules,
)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date, one ``BEGIN IMMEDIATE`` transaction per migration.

    ``conn`` must be in autocommit mode (``isolation_level=None``).
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(
            f"platform database has schema version {version}, newer than this code "
            f"({len(MIGRATIONS)})"
        )
    for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            step(conn)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
