"""Writes of paired devices, to pass to ``LedgerWriter.execute``.

Only the SHA-256 of a device token is ever stored, so a copied ledger does not leak
working tokens.
"""

from __future__ import annotations

import sqlite3


def insert_device(
    conn: sqlite3.Connection,
    device_id: str,
    name: str,
    role: str,
    token_sha256: str,
    created_at_ms: int,
) -> None:
    """Record a newly paired device; raises ``sqlite3.IntegrityError`` if the id or token
    hash is already known."""
    conn.execute(
        "INSERT INTO devices(device_id, name, role, token_sha256, created_at_ms)"
        " VALUES (?, ?, ?, ?, ?)",
        (device_id, name, role, token_sha256, created_at_ms),
    )


def revoke_device(conn: sqlite3.Connection, device_id: str, at_ms: int) -> bool:
    """Mark a device revoked; True if it was active. The first revocation time is kept."""
    cursor = conn.execute(
        "UPDATE devices SET revoked_at_ms = ? WHERE device_id = ? AND revoked_at_ms IS NULL",
        (at_ms, device_id),
    )
    return cursor.rowcount > 0
