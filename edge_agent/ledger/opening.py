"""Opening the ledger for the writer: connect, migrate, bind to the agent, read the head.

Runs in the writer's thread (the connection lives there). The chain head it returns is
where the next row's chain value starts: the last row's value, or the agent's genesis.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from edge_agent.errors import LedgerCorrupt
from edge_agent.ledger.connection import ledger_error, open_write_connection
from edge_agent.ledger.records import genesis_chain
from edge_agent.ledger.schema import bind_agent, migrate
from edge_agent.ledger.wal_guard import OPEN, check_wal_not_lost, mark


def open_for_writing(path: Path, agent_id: str) -> tuple[sqlite3.Connection, int, bytes]:
    """Open, migrate, bind to the agent and read the chain head (runs in the writer thread).

    Refuses a ledger whose write-ahead log was lost after a crash (``wal_guard``) before
    SQLite opens it (opening would make a new, empty WAL)."""
    check_wal_not_lost(path)
    conn = open_write_connection(path)
    try:
        conn.execute("PRAGMA wal_autocheckpoint=0")  # WalCheckpointer does it off-path
        migrate(conn, path)
        bind_agent(conn, path, agent_id, time.time_ns() // 1_000_000)
        mark(conn, OPEN)
        last = conn.execute("SELECT seq, chain FROM scans ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.Error as exc:
        conn.close()
        raise ledger_error(path, exc, "preparing it for writing") from None
    except BaseException:
        conn.close()
        raise
    if last is None:
        return conn, 0, genesis_chain(agent_id)
    seq, chain_hex = last
    try:
        chain = bytes.fromhex(chain_hex)
    except (TypeError, ValueError):
        conn.close()
        raise LedgerCorrupt(
            f"ledger {path}: the last row (seq {seq}) has an unreadable chain value; run "
            "`edge-agent check`, keep this file for investigation and start a new data dir"
        ) from None
    return conn, int(seq), chain
