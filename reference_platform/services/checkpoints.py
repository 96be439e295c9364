"""Agents' signed chain checkpoints on the platform: ingest and reads.

Uploaded as their own stream (``POST /v1/agents/{agent_id}/checkpoints``, the scans'
envelope; a row is a checkpoint with ``seq`` = its number, ``docs/sync.md``). Each is
checked before anything is stored: its form, ``seq`` contiguous from 1, its signature
against a key this agent was enrolled with (``agent_enrolments``), and — when the
platform holds the scan row it names — that row's chain value. A checkpoint that does
not verify, or that contradicts the stored rows, is refused (422 ``bad_row`` / 409
``chain_mismatch``): the agent halts the stream and raises its alarm.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_agent.domain.agent_certificate import b64url_decode, b64url_encode
from edge_agent.domain.trusted_key import key_id_of
from edge_agent.evidence.core.checkpoint import Checkpoint, CheckpointError, checkpoint_verifies
from reference_platform.errors import Conflict, Invalid

MAX_CHECKPOINTS_PER_BATCH = 1000
_COLUMNS = "number, through_seq, chain, at_ms, clock_offset_ms, clock_rtt_ms, key_id, signature"


def _bad(seq: object, field: str, problem: str) -> Invalid:
    return Invalid(f"checkpoint {seq}: {field} {problem}", code="bad_row", seq=seq, field=field)


def prepare_checkpoints(agent_id: str, rows: object) -> list[Checkpoint]:
    """Step 1 (form): a list of checkpoint objects of this agent, ``seq`` = number,
    contiguous."""
    if not isinstance(rows, list):
        raise Invalid("rows must be a list", field="rows")
    if len(rows) > MAX_CHECKPOINTS_PER_BATCH:
        raise Invalid(f"at most {MAX_CHECKPOINTS_PER_BATCH} checkpoints per batch", field="rows")
    out: list[Checkpoint] = []
    for row in rows:
        seq = row.get("seq") if isinstance(row, dict) else None
        if not isinstance(row, dict):
            raise _bad(seq, "row", "must be an object")
        try:
            checkpoint = Checkpoint.from_json_dict(row)
        except CheckpointError as exc:
            raise _bad(seq, "checkpoint", str(exc)) from None
        if checkpoint.agent_id != agent_id:
            raise _bad(seq, "agent_id", "must be the agent of the path")
        if seq != checkpoint.number or checkpoint.number < 1:
            raise _bad(seq, "seq", "must equal the checkpoint's number (≥ 1)")
        if out and checkpoint.number != out[-1].number + 1:
            raise _bad(seq, "seq", "must follow the previous row's seq")
        out.append(checkpoint)
    return out


def _enrolled_keys(conn: sqlite3.Connection, agent_id: str) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for (public_text,) in conn.execute(
        "SELECT DISTINCT public_key FROM agent_enrolments WHERE agent_id = ?", (agent_id,)
    ):
        raw = b64url_decode(public_text)
        keys[key_id_of(raw).hex()] = Ed25519PublicKey.from_public_bytes(raw)
    return keys


def stored_through(conn: sqlite3.Connection, agent_id: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(number), 0) FROM chain_checkpoints WHERE agent_id = ?", (agent_id,)
    ).fetchone()
    return int(row[0])


def ingest_checkpoints(
    conn: sqlite3.Connection, agent_id: str, checkpoints: Sequence[Checkpoint], now_ms: int
) -> dict[str, int]:
    """Steps 2–4 inside the caller's write transaction (the answer has the scans'
    shape: ``stored_through_seq``, ``received``, ``duplicates``)."""
    through = stored_through(conn, agent_id)
    if not checkpoints:
        return {"stored_through_seq": through, "received": 0, "duplicates": 0}
    first = checkpoints[0].number
    if first > through + 1:
        raise Conflict(
            f"batch starts at checkpoint {first} but the platform holds 1..{through}",
            code="gap",
            stored_through_seq=through,
        )
    keys = _enrolled_keys(conn, agent_id)
    fresh: list[Checkpoint] = []
    duplicates = 0
    for cp in checkpoints:
        key = keys.get(cp.key_id)
        if key is None or not checkpoint_verifies(cp, key):
            raise _bad(cp.number, "signature", "does not verify with an enrolled key of the agent")
        stored = conn.execute(
            "SELECT chain FROM chain_checkpoints WHERE agent_id = ? AND number = ?",
            (agent_id, cp.number),
        ).fetchone()
        if stored is not None:
            if stored[0] != cp.chain:
                raise Conflict(
                    f"checkpoint {cp.number} differs from the one stored",
                    code="chain_mismatch",
                    seq=cp.number,
                )
            duplicates += 1
            continue
        row = conn.execute(
            "SELECT chain FROM scans WHERE agent_id = ? AND seq = ?", (agent_id, cp.through_seq)
        ).fetchone()
        if row is not None and row[0] != cp.chain:
            raise Conflict(
                f"checkpoint {cp.number} signs chain {cp.chain[:12]}… for seq {cp.through_seq},"
                f" but the stored row has {str(row[0])[:12]}…",
                code="chain_mismatch",
                seq=cp.number,
            )
        fresh.append(cp)
    conn.executemany(
        "INSERT INTO chain_checkpoints(agent_id, number, through_seq, chain, at_ms,"
        " clock_offset_ms, clock_rtt_ms, key_id, signature, received_at_ms)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                agent_id,
                cp.number,
                cp.through_seq,
                cp.chain,
                cp.at_ms,
                cp.clock_offset_ms,
                cp.clock_rtt_ms,
                cp.key_id,
                b64url_encode(cp.signature),
                now_ms,
            )
            for cp in fresh
        ],
    )
    return {
        "stored_through_seq": max(through, checkpoints[-1].number),
        "received": len(fresh),
        "duplicates": duplicates,
    }


def agent_checkpoints(conn: sqlite3.Connection, agent_id: str) -> list[Checkpoint]:
    return [
        Checkpoint(agent_id, r[0], r[1], r[2], r[3], r[4], r[5], r[6], b64url_decode(r[7]))
        for r in conn.execute(
            f"SELECT {_COLUMNS} FROM chain_checkpoints WHERE agent_id = ?"  # noqa: S608
            " ORDER BY number",
            (agent_id,),
        )
    ]
