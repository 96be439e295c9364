"""The ledger's signed chain checkpoints: the write op that signs the head, and the
reads the uploader and the evidence exporter need (``docs/evidence.md``).

``sign_head`` runs inside the writer's transaction (``LedgerWriter.execute``), so the
head it signs is exactly what is committed with it: no scan can slip in between reading
the head and recording the checkpoint.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import b64url_decode, b64url_encode
from edge_agent.evidence.core.checkpoint import Checkpoint, sign_checkpoint
from edge_agent.ledger.records import SCAN_FIELDS, genesis_chain

_COLUMNS = "number, through_seq, chain, at_ms, clock_offset_ms, clock_rtt_ms, key_id, signature"


def sign_head(
    conn: sqlite3.Connection, agent_id: str, key: Ed25519PrivateKey, now_ms: int
) -> Checkpoint | None:
    """Sign and record the current head; ``None`` when there is nothing new to sign
    (an empty ledger, or the head is already the last checkpoint's)."""
    head = conn.execute("SELECT seq, chain FROM scans ORDER BY seq DESC LIMIT 1").fetchone()
    if head is None:
        return None
    last = conn.execute(
        "SELECT number, through_seq FROM chain_checkpoints ORDER BY number DESC LIMIT 1"
    ).fetchone()
    if last is not None and last[1] >= head[0]:
        return None
    clock = conn.execute(
        "SELECT clock_offset_ms, clock_rtt_ms FROM sync_state WHERE id = 1"
    ).fetchone()
    offset, rtt = (None, None) if clock is None else (clock[0], clock[1])
    checkpoint = sign_checkpoint(
        key,
        agent_id=agent_id,
        number=1 if last is None else last[0] + 1,
        through_seq=int(head[0]),
        chain=str(head[1]),
        at_ms=now_ms,
        clock_offset_ms=offset,
        clock_rtt_ms=rtt,
    )
    conn.execute(
        f"INSERT INTO chain_checkpoints({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            checkpoint.number,
            checkpoint.through_seq,
            checkpoint.chain,
            checkpoint.at_ms,
            checkpoint.clock_offset_ms,
            checkpoint.clock_rtt_ms,
            checkpoint.key_id,
            b64url_encode(checkpoint.signature),
        ),
    )
    return checkpoint


def _checkpoint(agent_id: str, row: Sequence[Any]) -> Checkpoint:
    return Checkpoint(
        agent_id=agent_id,
        number=row[0],
        through_seq=row[1],
        chain=row[2],
        at_ms=row[3],
        clock_offset_ms=row[4],
        clock_rtt_ms=row[5],
        key_id=row[6],
        signature=b64url_decode(row[7]),
    )


def last_checkpoint(conn: sqlite3.Connection, agent_id: str) -> Checkpoint | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM chain_checkpoints ORDER BY number DESC LIMIT 1"  # noqa: S608
    ).fetchone()
    return None if row is None else _checkpoint(agent_id, row)


def all_checkpoints(conn: sqlite3.Connection, agent_id: str) -> list[Checkpoint]:
    return [
        _checkpoint(agent_id, row)
        for row in conn.execute(
            f"SELECT {_COLUMNS} FROM chain_checkpoints ORDER BY number"  # noqa: S608
        )
    ]


def checkpoints_for_upload(
    conn: sqlite3.Connection, agent_id: str, after_number: int, limit: int
) -> list[dict[str, Any]]:
    """Checkpoints after ``after_number`` whose rows the platform already acknowledged
    (``upload_cursors.scans``), as upload rows: the checkpoint's JSON form with
    ``seq`` = its number (the stream's sequence, ``docs/sync.md``)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM chain_checkpoints WHERE number > ? AND through_seq <="  # noqa: S608
        " (SELECT coalesce(max(uploaded_through_seq), 0) FROM upload_cursors"
        "  WHERE stream = 'scans') ORDER BY number LIMIT ?",
        (after_number, limit),
    ).fetchall()
    return [{"seq": r[0], **_checkpoint(agent_id, r).to_json_dict()} for r in rows]


def rows_between(
    conn: sqlite3.Connection, first: int, last: int
) -> list[tuple[tuple[Any, ...], str]]:
    """Scan rows ``first..last`` as (their canonical array's values: ``SCAN_FIELDS``
    order, then the extension object if the row has one; chain)."""
    columns = ", ".join(SCAN_FIELDS)
    out: list[tuple[tuple[Any, ...], str]] = []
    for r in conn.execute(
        f"SELECT {columns}, ext, chain FROM scans WHERE seq BETWEEN ? AND ? ORDER BY seq",  # noqa: S608
        (first, last),
    ):
        ext = r[-2]
        values = tuple(r[:-2]) if ext is None else (*r[:-2], json.loads(ext))
        out.append((values, str(r[-1])))
    return out


def chain_before(conn: sqlite3.Connection, agent_id: str, seq: int) -> str:
    """The chain value of row ``seq - 1`` (the genesis value before row 1)."""
    if seq <= 1:
        return genesis_chain(agent_id).hex()
    row = conn.execute("SELECT chain FROM scans WHERE seq = ?", (seq - 1,)).fetchone()
    if row is None:
        raise LookupError(f"ledger has no row {seq - 1}")
    return str(row[0])


def seqs_of_tickets(conn: sqlite3.Connection, ticket_ids: Sequence[str]) -> list[int]:
    """Every row of these tickets (indexed by ``ticket_id``)."""
    out: list[int] = []
    for ticket_id in ticket_ids:
        out.extend(
            r[0] for r in conn.execute("SELECT seq FROM scans WHERE ticket_id = ?", (ticket_id,))
        )
    return sorted(out)


def head_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM scans").fetchone()[0])
