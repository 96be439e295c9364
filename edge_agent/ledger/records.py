"""Row values the writer appends, and their canonical bytes for the hash chain.

The canonical form is a contract (``docs/ledger.md``): the evidence pack and the
platform recompute it, so field order and encoding never change within ``ledger-v1``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

#: Field order of the canonical form of a scan row (ledger-v1). Never reorder.
SCAN_FIELDS: tuple[str, ...] = (
    "seq",
    "scan_id",
    "agent_id",
    "at_ms",
    "gate",
    "lane",
    "device_id",
    "device_kind",
    "direction",
    "credential_kind",
    "event_id",
    "ticket_id",
    "ticket_type",
    "key_id",
    "code_sha256",
    "outcome",
    "reason",
    "override_operator",
    "override_reason",
    "manifest_at_ms",
)

GENESIS_DOMAIN = b"gatehouse-ledger-v1"


class ScanRow(NamedTuple):
    """One decision as the pipeline hands it to the writer (before seq and chain).

    A NamedTuple rather than a frozen dataclass: one is built per scan, and a frozen
    dataclass's ``__init__`` (an ``object.__setattr__`` per field) was a measurable part
    of the re-scan path. Still immutable and typed.
    """

    scan_id: str
    at_ms: int
    gate: str
    lane: str
    device_id: str
    device_kind: str
    direction: str
    credential_kind: str
    event_id: int | None
    ticket_id: str | None
    ticket_type: int | None
    key_id: str | None
    code_sha256: str
    outcome: str
    reason: str
    override_operator: str | None = None
    override_reason: str | None = None
    #: Platform time (``generated_at_ms``) of the manifest the decision was made with;
    #: ``None`` before the first complete sync (``docs/sync.md``).
    manifest_at_ms: int | None = None


class StoredScan(NamedTuple):
    """A scan row once durable: its per-agent sequence number and chain value."""

    seq: int
    agent_id: str
    chain: str  # hex SHA-256
    row: ScanRow


def genesis_chain(agent_id: str) -> bytes:
    """The chain value "before" row 1 of an agent's ledger."""
    return hashlib.sha256(GENESIS_DOMAIN + b"\x00" + agent_id.encode("utf-8")).digest()


def scan_values(seq: int, agent_id: str, row: ScanRow) -> tuple[Any, ...]:
    """The row's values in ``SCAN_FIELDS`` order (the writer's and the chain's order).

    ScanRow's own field order is ``SCAN_FIELDS`` without seq and agent_id, so this is a
    splice rather than 17 attribute reads; the module checks that at import.
    """
    return (seq, row[0], agent_id, *row[1:])


def canonical_scan_bytes(seq: int, agent_id: str, row: ScanRow) -> bytes:
    """UTF-8 JSON array of the fields in ``SCAN_FIELDS`` order, no spaces."""
    values = scan_values(seq, agent_id, row)
    return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def next_chain(prev: bytes, canonical: bytes) -> bytes:
    """chain_n = SHA-256(chain_{n-1} || canonical bytes of row n)."""
    return hashlib.sha256(prev + canonical).digest()


if ("seq", ScanRow._fields[0], "agent_id", *ScanRow._fields[1:]) != SCAN_FIELDS:
    raise RuntimeError("ScanRow's field order must follow SCAN_FIELDS (see scan_values)")
