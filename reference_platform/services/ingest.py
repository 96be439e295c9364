"""Idempotent, chain-checked ingestion of an agent's scan and sale rows.

A batch is checked completely before anything is written, then written in one
transaction (``executemany``), and committed before the answer goes out:

1. shape: every row has exactly the stream's fields plus ``chain``, with the right
   JSON types, the path's ``agent_id``, and ``seq`` contiguous within the batch
   (422 ``bad_row`` naming ``seq`` and ``field``);
2. position: the batch may start anywhere in ``1 .. stored_through_seq + 1``; a later
   start is 409 ``gap`` carrying ``stored_through_seq`` so the agent rewinds;
3. chain: from the stored chain value before the first row (or genesis), each row's
   ``chain`` must equal ``SHA-256(prev || canonical bytes)`` recomputed here, and a row
   already stored must carry the stored chain value; otherwise 409 ``chain_mismatch``
   naming ``seq`` and nothing of the batch is kept;
4. rows at or below ``stored_through_seq`` are duplicates (counted, not stored); the
   rest are inserted with ``received_at_ms`` and the batch's ``clock`` object.

The canonical bytes are computed generically over the stream's field list
(``SCAN_FIELDS`` for scans, ``SALE_FIELDS`` for sales, straight from the ledger's
contract modules), so a field added to ledger-v1 is checked here without a change.
Fresh sales rows then take effect in the same transaction (``door_sales``): door
sales become orders and tickets, voids become refunds.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, NamedTuple

from edge_agent.ledger.canonical_fast import canonical_values
from edge_agent.ledger.records import (
    SCAN_FIELDS,
    decode_ext,
    encode_ext,
    genesis_chain,
    next_chain,
    with_ext,
)
from edge_agent.ledger.sale_records import SALE_FIELDS, SALE_TYPES
from reference_platform.errors import Conflict, Invalid, TooLarge
from reference_platform.services import door_sales

MAX_ROWS_PER_BATCH = 1000
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SCALAR = (str, int, type(None))

#: JSON types per scan field; a field of ``SCAN_FIELDS`` not listed here may be any
#: string, integer or null, so a new ledger-v1 field is accepted as soon as it exists.
_SCAN_TYPES: dict[str, tuple[type, ...]] = {
    "seq": (int,),
    "scan_id": (str,),
    "agent_id": (str,),
    "at_ms": (int,),
    "gate": (str,),
    "lane": (str,),
    "device_id": (str,),
    "device_kind": (str,),
    "direction": (str,),
    "credential_kind": (str,),
    "event_id": (int, type(None)),
    "ticket_id": (str, type(None)),
    "ticket_type": (int, type(None)),
    "key_id": (str, type(None)),
    "code_sha256": (str,),
    "outcome": (str,),
    "reason": (str,),
    "override_operator": (str, type(None)),
    "override_reason": (str, type(None)),
    "manifest_at_ms": (int, type(None)),
}


@dataclass(frozen=True)
class Stream:
    """One kind of uploaded row: its table, id field, shape and canonical form."""

    name: str
    id_field: str
    #: The exact field set, in canonical order (the canonical bytes are the JSON array
    #: of the values in this order, ``records.canonical_scan_bytes``'s rule).
    fields: tuple[str, ...]
    #: JSON types of the fields it knows (others: string/integer/null).
    types: Mapping[str, tuple[type, ...]]
    #: The stream's rows may carry an extension (``records.encode_ext``): the key
    #: ``ext`` (a JSON object, or null), hashed as the canonical array's last element.
    extensible: bool = False

    def canonical(self, row: Mapping[str, Any]) -> bytes:
        plain = canonical_values(tuple([row[name] for name in self.fields]))
        return with_ext(plain, encode_ext(row["ext"])) if self.row_ext(row) else plain

    def row_ext(self, row: Mapping[str, Any]) -> bool:
        return self.extensible and row.get("ext") is not None

    def stored_text(self, row: Mapping[str, Any], canonical: bytes) -> str:
        """What goes into ``row_json``: the canonical array (names are kept once per
        batch, in ``upload_batches.fields``)."""
        return canonical.decode("utf-8")


SCANS = Stream("scans", "scan_id", SCAN_FIELDS, _SCAN_TYPES, extensible=True)
SALES = Stream("sales", "entry_id", SALE_FIELDS, SALE_TYPES)


class PreparedRow(NamedTuple):
    """A row that passed the shape checks, with what the transaction needs (a
    NamedTuple: one is built per uploaded row, and it is cheaper than a dataclass)."""

    seq: int
    row_id: str
    chain: str
    canonical: bytes
    stored_text: str
    row: Mapping[str, Any]


def _bad_row(seq: object, field: str, problem: str) -> Invalid:
    return Invalid(f"row seq {seq}: {field} {problem}", code="bad_row", seq=seq, field=field)


def prepare_rows(stream: Stream, agent_id: str, rows: object) -> list[PreparedRow]:
    """Shape checks (step 1) — pure, so it runs outside the write transaction."""
    if not isinstance(rows, list):
        raise Invalid("rows must be a list", field="rows")
    if len(rows) > MAX_ROWS_PER_BATCH:
        raise TooLarge(f"at most {MAX_ROWS_PER_BATCH} rows per batch, got {len(rows)}")
    fields = stream.fields
    exact_keys = frozenset((*fields, "chain"))
    # an extensible stream's row may add ``ext`` (older agents never send it)
    ext_keys = exact_keys | {"ext"} if stream.extensible else exact_keys
    checks = [(name, stream.types.get(name, _SCALAR)) for name in fields]
    values_of = itemgetter(*fields)
    allowed_sets = [frozenset(allowed) for _, allowed in checks]
    prepared: list[PreparedRow] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise _bad_row(None, f"rows[{index}]", "must be a JSON object")
        if row.keys() != exact_keys and row.keys() != ext_keys:
            _explain_fields(stream, row)
        values = values_of(row)
        # One C-level pass over the types; the loop below only names the culprit.
        types_ok = all(map(frozenset.__contains__, allowed_sets, map(type, values)))
        if not types_ok:
            for name, allowed in checks:
                if name not in row:
                    raise _bad_row(row.get("seq"), name, "is missing")
                if type(row[name]) not in allowed:
                    kinds = "/".join("null" if t is type(None) else t.__name__ for t in allowed)
                    raise _bad_row(row.get("seq"), name, f"must be {kinds}")
        seq: int = row["seq"]
        if seq < 1:
            raise _bad_row(seq, "seq", "must be at least 1")
        if prepared and seq != prepared[-1].seq + 1:
            raise _bad_row(seq, "seq", f"must follow {prepared[-1].seq} (rows are contiguous)")
        if row["agent_id"] != agent_id:
            raise _bad_row(seq, "agent_id", f"must be {agent_id!r}, the agent of the path")
        chain = row.get("chain")
        if not isinstance(chain, str) or not _HEX64.fullmatch(chain):
            raise _bad_row(seq, "chain", "must be 64 lower-case hex digits")
        try:
            canonical = canonical_values(values)
        except (UnicodeEncodeError, TypeError, ValueError):
            raise _bad_row(seq, "?", "holds a value with no canonical form") from None
        if stream.row_ext(row):
            try:
                canonical = with_ext(canonical, encode_ext(decode_ext(row["ext"])))
            except ValueError as exc:
                raise _bad_row(seq, "ext", f"is not a valid extension: {exc}") from None
        if stream is SALES:
            problem = door_sales.row_problem(row)
            if problem is not None:
                raise _bad_row(seq, problem[0], problem[1])
        prepared.append(
            PreparedRow(
                seq, row[stream.id_field], chain, canonical, stream.stored_text(row, canonical), row
            )
        )
    return prepared


def _explain_fields(stream: Stream, row: Mapping[str, Any]) -> None:
    """Raise ``bad_row`` naming the first missing or unknown field."""
    seq = row.get("seq")
    for name in (*stream.fields, "chain"):
        if name not in row:
            raise _bad_row(seq, name, "is missing")
    optional = ("chain", "ext") if stream.extensible else ("chain",)
    for name in row:
        if name not in optional and name not in stream.fields:
            raise _bad_row(seq, name, "is not a field of this stream")


def head(conn: sqlite3.Connection, stream: Stream, agent_id: str) -> tuple[int, str | None]:
    """(stored_through_seq, its chain value) — rows are stored contiguously from 1."""
    row = conn.execute(
        f"SELECT seq, chain FROM {stream.name} WHERE agent_id = ?"  # noqa: S608
        " ORDER BY seq DESC LIMIT 1",
        (agent_id,),
    ).fetchone()
    return (0, None) if row is None else (int(row[0]), str(row[1]))


def _chain_before(conn: sqlite3.Connection, stream: Stream, agent_id: str, seq: int) -> bytes:
    if seq == 1:
        return genesis_chain(agent_id)
    row = conn.execute(
        f"SELECT chain FROM {stream.name} WHERE agent_id = ? AND seq = ?",  # noqa: S608
        (agent_id, seq - 1),
    ).fetchone()
    return bytes.fromhex(row[0])


def ingest_batch(
    conn: sqlite3.Connection,
    stream: Stream,
    *,
    agent_id: str,
    rows: Sequence[PreparedRow],
    clock: Mapping[str, Any],
    software_version: str | None,
    now_ms: int,
) -> dict[str, int]:
    """Steps 2–4, inside the caller's write transaction."""
    stored_through, _ = head(conn, stream, agent_id)
    if not rows:
        return {"stored_through_seq": stored_through, "received": 0, "duplicates": 0}
    first = rows[0].seq
    if first > stored_through + 1:
        raise Conflict(
            f"batch starts at seq {first} but the platform holds rows 1..{stored_through}",
            code="gap",
            stored_through_seq=stored_through,
        )
    prev = _chain_before(conn, stream, agent_id, first)
    for item in rows:
        prev = next_chain(prev, item.canonical)
        if prev.hex() != item.chain:
            raise Conflict(
                f"row seq {item.seq} does not chain (its chain value is not SHA-256 of the"
                " previous chain and its fields)",
                code="chain_mismatch",
                seq=item.seq,
            )
    duplicates = [item for item in rows if item.seq <= stored_through]
    if duplicates:
        stored = dict(
            conn.execute(
                f"SELECT seq, chain FROM {stream.name}"  # noqa: S608
                " WHERE agent_id = ? AND seq BETWEEN ? AND ?",
                (agent_id, duplicates[0].seq, duplicates[-1].seq),
            )
        )
        for item in duplicates:
            if stored.get(item.seq) != item.chain:
                raise Conflict(
                    f"row seq {item.seq} differs from the row already stored",
                    code="chain_mismatch",
                    seq=item.seq,
                )
    fresh = rows[len(duplicates) :]
    if fresh:
        batch_id = conn.execute(
            "INSERT INTO upload_batches(agent_id, stream, first_seq, last_seq, software_version,"
            " fields, clock, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                agent_id,
                stream.name,
                fresh[0].seq,
                fresh[-1].seq,
                software_version,
                json.dumps(stream.fields),
                json.dumps(clock, separators=(",", ":")),
                now_ms,
            ),
        ).lastrowid
        assert batch_id is not None
        try:
            _insert(conn, stream, agent_id, fresh, batch_id, now_ms)
        except sqlite3.IntegrityError:
            raise _reused_id(conn, stream, fresh) from None
        if stream is SALES:
            door_sales.apply_rows(conn, agent_id, [r.row for r in fresh], now_ms)
    return {
        "stored_through_seq": max(stored_through, rows[-1].seq),
        "received": len(fresh),
        "duplicates": len(duplicates),
    }


def _insert(
    conn: sqlite3.Connection,
    stream: Stream,
    agent_id: str,
    rows: Sequence[PreparedRow],
    batch_id: int,
    now_ms: int,
) -> None:
    if stream is SCANS:
        conn.executemany(
            "INSERT INTO scans(agent_id, seq, scan_id, event_id, ticket_id, outcome, reason,"
            " at_ms, chain, row_json, received_at_ms, batch_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    agent_id,
                    r.seq,
                    r.row_id,
                    r.row["event_id"],
                    r.row["ticket_id"],
                    r.row["outcome"],
                    r.row["reason"],
                    r.row["at_ms"],
                    r.chain,
                    r.stored_text,
                    now_ms,
                    batch_id,
                )
                for r in rows
            ],
        )
    else:
        conn.executemany(
            "INSERT INTO sales(agent_id, seq, entry_id, chain, row_json, received_at_ms,"
            " batch_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(agent_id, r.seq, r.row_id, r.chain, r.stored_text, now_ms, batch_id) for r in rows],
        )


def _reused_id(conn: sqlite3.Connection, stream: Stream, rows: Sequence[PreparedRow]) -> Invalid:
    """The only unique constraint a fresh row can break is its id: name the row."""
    for item in rows:
        found = conn.execute(
            f"SELECT agent_id, seq FROM {stream.name} WHERE {stream.id_field} = ?",  # noqa: S608
            (item.row_id,),
        ).fetchone()
        if found is not None:
            return _bad_row(
                item.seq, stream.id_field, f"was already stored as seq {found[1]} of {found[0]}"
            )
    ids = [item.row_id for item in rows]
    if len(set(ids)) != len(ids):
        dup = next(item for item in rows if ids.count(item.row_id) > 1)
        return _bad_row(dup.seq, stream.id_field, "repeats within the batch")
    return Invalid("a row could not be stored", code="bad_row")


def named_row(fields_json: str | None, value: Any) -> dict[str, Any]:
    """A stored row by field name: its canonical array zipped with the batch's field list
    (plus ``ext`` when the array carries an extension), or the object older stores kept."""
    if fields_json is None:
        return dict(value)
    fields = json.loads(fields_json)
    row = dict(zip(fields, value[: len(fields)], strict=True))
    if len(value) == len(fields) + 1:
        row["ext"] = value[-1]
    return row


def stored_rows(
    conn: sqlite3.Connection, stream: Stream, agent_id: str, after_seq: int, limit: int
) -> list[dict[str, Any]]:
    """Rows as uploaded (with ``chain``), plus ``received_at_ms`` and the batch clock."""
    out: list[dict[str, Any]] = []
    for stored_text, chain, received_at_ms, fields, clock in conn.execute(
        f"SELECT s.row_json, s.chain, s.received_at_ms, b.fields, b.clock"  # noqa: S608
        f" FROM {stream.name} s JOIN upload_batches b USING (batch_id)"
        " WHERE s.agent_id = ? AND s.seq > ? ORDER BY s.seq LIMIT ?",
        (agent_id, after_seq, limit),
    ):
        row = named_row(fields, json.loads(stored_text))
        row["chain"] = chain
        out.append({"row": row, "received_at_ms": received_at_ms, "clock": json.loads(clock)})
    return out


def conflicts(conn: sqlite3.Connection, event_id: int) -> list[dict[str, Any]]:
    """Tickets first-admitted (``admit``, not ``readmitted`` nor a zone move, ``moved``)
    by two or more agents. The ``scans_admissions`` index's terms stay in the query, so
    SQLite still uses it.

    Each admission names its gate and whether the agent marked it ``unconfirmed`` (a
    venue mesh that could not reach a quorum: ``docs/mesh.md``, the scan row's
    extension), so the report says which gate admitted on its own knowledge."""
    admitted = (
        "event_id = ? AND outcome = 'admit' AND reason <> 'readmitted' AND ticket_id IS NOT NULL"
        " AND reason <> 'moved'"
    )
    gate_at = SCAN_FIELDS.index("gate")
    report: dict[str, list[dict[str, Any]]] = {}
    for ticket_id, agent_id, scan_id, seq, at_ms, row_json in conn.execute(
        f"SELECT ticket_id, agent_id, scan_id, seq, at_ms, row_json FROM scans WHERE {admitted}"  # noqa: S608
        f" AND ticket_id IN (SELECT ticket_id FROM scans WHERE {admitted}"
        "  GROUP BY ticket_id HAVING count(DISTINCT agent_id) > 1)"
        " ORDER BY ticket_id, at_ms, agent_id",
        (event_id, event_id),
    ):
        values = json.loads(row_json)
        ext = values[-1] if len(values) > len(SCAN_FIELDS) else None
        report.setdefault(ticket_id, []).append(
            {
                "agent_id": agent_id,
                "scan_id": scan_id,
                "seq": seq,
                "at_ms": at_ms,
                "gate": values[gate_at] if isinstance(values, list) else None,
                "unconfirmed": isinstance(ext, dict) and ext.get("claim") == "unconfirmed",
            }
        )
    return [{"ticket_id": t, "admissions": a} for t, a in report.items()]
