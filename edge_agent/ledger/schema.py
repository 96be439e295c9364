"""The ledger's schema as an ordered list of migrations, tracked in ``PRAGMA user_version``.

Migration *n* (1-based) takes a database at version *n-1* to version *n*; all pending
ones run in one ``BEGIN IMMEDIATE`` transaction together with the version bump, so a
failed or interrupted upgrade leaves the file as the old version wrote it. Migrations
are never edited once shipped: a change is a new function appended to ``MIGRATIONS``.
A database newer than this code is refused rather than guessed at. The migrations'
bodies live in ``ledger/migrations/``, one module per topic; this module keeps their
order and the logic that runs them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from edge_agent.errors import LedgerError
from edge_agent.ledger.migrations.admission_halts import v10_admission_halts
from edge_agent.ledger.migrations.box_office import v3_box_office
from edge_agent.ledger.migrations.checkpoints import v4_chain_checkpoints
from edge_agent.ledger.migrations.gate import v1_initial
from edge_agent.ledger.migrations.manifest_lookup import v11_manifest_lookup
from edge_agent.ledger.migrations.mesh import v8_mesh
from edge_agent.ledger.migrations.platform_sync import (
    MANIFEST_TICKET_INDEXES as MANIFEST_TICKET_INDEXES,
)
from edge_agent.ledger.migrations.platform_sync import v2_sync
from edge_agent.ledger.migrations.pretix_link import v6_pretix_link
from edge_agent.ledger.migrations.scan_extensions import v5_scan_extensions
from edge_agent.ledger.migrations.scan_requests import v9_scan_requests
from edge_agent.ledger.migrations.ticket_flags import v7_ticket_flags

#: Written to ``meta.format``; the canonical bytes and chain rule of ``docs/ledger.md``.
LEDGER_FORMAT = "ledger-v1"

Migration = Callable[[sqlite3.Connection], None]


#: Index i holds the migration to version i + 1. Append only.
MIGRATIONS: Sequence[Migration] = (
    v1_initial,
    v2_sync,
    v3_box_office,
    v4_chain_checkpoints,
    v5_scan_extensions,
    v6_pretix_link,
    v7_ticket_flags,
    v8_mesh,
    v9_scan_requests,
    v10_admission_halts,
    v11_manifest_lookup,
)

#: The schema version this code writes and understands.
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, path: Path) -> int:
    """Bring the database up to ``SCHEMA_VERSION``; return the version found before.

    Every pending migration and the ``user_version`` bump run in **one** ``BEGIN
    IMMEDIATE`` transaction: an upgrade that fails at any step (a bug, a full disk, a
    kill) rolls back to the file exactly as the old version left it, so the box can go
    back to the old edge-agent and keep working (SQLite's DDL is transactional; tested
    from every shipped version in ``tests/edge_agent/ledger/test_ledger_upgrades.py``).
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
    if found == SCHEMA_VERSION:
        return found
    _refuse_foundation_format(conn, path, found)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for version in range(found + 1, SCHEMA_VERSION + 1):
            MIGRATIONS[version - 1](conn)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found


def _refuse_foundation_format(conn: sqlite3.Connection, path: Path, found: int) -> None:
    """The first build's version-1 files hash 19 fields per row; ``manifest_at_ms`` was
    then added to migration 1 and to the canonical bytes (issue 5) instead of a new
    version. No migration can re-hash a chain, so such a file is refused by name rather
    than upgraded into rows that no longer verify."""
    if found != 1:
        return
    columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(scans)")}
    if "manifest_at_ms" not in columns:
        raise LedgerError(
            f"ledger {path} was written by a pre-release edge-agent (schema version 1 without "
            "manifest_at_ms, whose hash chain covers 19 fields): it cannot be upgraded. "
            "Keep it for its records (`edge-agent check` still reads it with that build) "
            "and start this box with a new data dir."
        )


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
