"""Migration 4: signed checkpoints of the scans' hash chain.

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v4_chain_checkpoints(conn: sqlite3.Connection) -> None:
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
