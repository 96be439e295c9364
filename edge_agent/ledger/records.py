"""Row values the writer appends, and their canonical bytes for the hash chain.

The canonical form is a contract (``docs/ledger.md``): the evidence pack and the
platform recompute it, so field order and encoding never change within ``ledger-v1``.

A row may carry an *extension*: one JSON object of short attributes that later features
record beside the twenty ``ledger-v1`` fields (a mesh claim that could not be confirmed,
the zone a scan entered, a clock known to be wrong). It is the optional 21st element of
the canonical array and is hashed like every other field, so rows without one keep the
bytes they always had and nothing that verifies chains needs a new format.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
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

#: An extension's attribute values; keys are short lowercase names (``_EXT_KEY``).
ExtValue = str | int | bool
#: Longest canonical extension text accepted (a row stays a row, not a document).
EXT_MAX_BYTES = 512
_EXT_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}")
_EXT_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


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
    #: The row's extension as canonical JSON text (``encode_ext``), or ``None``. Not one
    #: of ``SCAN_FIELDS``: the optional 21st element of the canonical array.
    ext: str | None = None


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

    ScanRow's own field order is ``SCAN_FIELDS`` without seq and agent_id, then ``ext``,
    so this is a splice rather than 18 attribute reads; the module checks that at import.
    """
    return (seq, row[0], agent_id, *row[1:-1])


def canonical_scan_bytes(seq: int, agent_id: str, row: ScanRow) -> bytes:
    """UTF-8 JSON array of the fields in ``SCAN_FIELDS`` order, no spaces, then the
    extension object when the row has one."""
    values = scan_values(seq, agent_id, row)
    plain = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return with_ext(plain, row.ext)


def with_ext(canonical: bytes, ext: str | None) -> bytes:
    """The canonical array of the ``SCAN_FIELDS`` values with the extension appended as
    its last element (``ext`` must be canonical: ``encode_ext``'s output)."""
    if ext is None:
        return canonical
    return canonical[:-1] + b"," + ext.encode("utf-8") + b"]"


def encode_ext(attrs: Mapping[str, ExtValue]) -> str | None:
    """The canonical text of an extension (sorted keys, no spaces), ``None`` when empty.

    Raises ``ValueError`` for a key that is not a short lowercase name, a value that is
    not a string, integer or boolean, or a result over ``EXT_MAX_BYTES``.
    """
    if not attrs:
        return None
    for key, value in attrs.items():
        if not isinstance(key, str) or _EXT_KEY.fullmatch(key) is None:
            raise ValueError(f"extension key {key!r} is not a short lowercase name")
        if not isinstance(value, str | int | bool):
            raise ValueError(f"extension {key!r}: {type(value).__name__} is not str/int/bool")
    text = _EXT_ENCODE(dict(attrs))
    if len(text.encode("utf-8")) > EXT_MAX_BYTES:
        raise ValueError(f"extension longer than {EXT_MAX_BYTES} bytes")
    return text


def decode_ext(doc: object) -> dict[str, ExtValue]:
    """An extension as received (its JSON object, or its text): the attributes, checked
    with ``encode_ext``'s rules. Raises ``ValueError`` naming the problem."""
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except (json.JSONDecodeError, RecursionError):
            raise ValueError("extension is not JSON") from None
    if not isinstance(doc, dict) or not doc:
        raise ValueError("extension must be a non-empty JSON object")
    encode_ext(doc)
    return doc


def next_chain(prev: bytes, canonical: bytes) -> bytes:
    """chain_n = SHA-256(chain_{n-1} || canonical bytes of row n)."""
    return hashlib.sha256(prev + canonical).digest()


if ("seq", ScanRow._fields[0], "agent_id", *ScanRow._fields[1:-1]) != SCAN_FIELDS:
    raise RuntimeError("ScanRow's field order must follow SCAN_FIELDS (see scan_values)")
