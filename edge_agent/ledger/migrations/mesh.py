"""Migration 8: the venue mesh's own state (``docs/mesh.md``).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v8_mesh(conn: sqlite3.Connection) -> None:
    """Three small tables the mesh writes through the ledger writer:

    - ``mesh_applied``: per stream of the cluster, how far this box has applied it (the
      venue events; how far the local admissions were seeded into the claims bucket),
      with the stream's creation time (``incarnation``): a cluster formed anew starts
      from 0, never from a number that belonged to another stream.
    - ``mesh_resolved``: unconfirmed scan rows (``ext`` ``{"claim": "unconfirmed"}``)
      that replay has settled — ``confirmed`` or ``conflict`` — so they are not
      replayed again.
    - ``mesh_conflicts``: tickets admitted at two gates while the cluster was split,
      found here or learned from another member; both ledger rows stay as they are.
    """
    conn.execute(
        "CREATE TABLE mesh_applied (stream TEXT PRIMARY KEY, incarnation TEXT NOT NULL,"
        " seq INTEGER NOT NULL) STRICT"
    )
    conn.execute(
        "CREATE TABLE mesh_resolved (scan_id TEXT PRIMARY KEY, ticket_id TEXT NOT NULL,"
        " outcome TEXT NOT NULL, at_ms INTEGER NOT NULL) STRICT"
    )
    conn.execute(
        "CREATE TABLE mesh_conflicts (agent_id TEXT NOT NULL, scan_id TEXT NOT NULL,"
        " ticket_id TEXT NOT NULL, member TEXT NOT NULL, gate_id TEXT NOT NULL,"
        " at_ms INTEGER NOT NULL, winner_agent_id TEXT NOT NULL,"
        " winner_member TEXT NOT NULL, winner_gate TEXT NOT NULL,"
        " winner_at_ms INTEGER NOT NULL, winner_claim TEXT NOT NULL,"
        " found_at_ms INTEGER NOT NULL, PRIMARY KEY (agent_id, scan_id)) STRICT"
    )
    conn.execute("CREATE INDEX mesh_conflicts_ticket ON mesh_conflicts(ticket_id)")
