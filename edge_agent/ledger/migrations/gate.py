"""Migration 1: the gate's tables (meta, the append-only scans, devices, the manifest).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v1_initial(conn: sqlite3.Connection) -> None:
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
