"""The sync tables (schema v2): manifest tickets, sync state, upload cursors.

Write functions take the writer's connection and are meant for ``LedgerWriter.execute``
(they run inside a group-commit transaction under their own SAVEPOINT); read functions
take a connection from ``open_read_connection``.

A manifest page is applied in parts (``page_parts``), each a writer transaction of its
own, so a scan never waits behind a whole 20,000-ticket page; only the last part moves
the cursor. Every change is an upsert to what the platform says now, so a part applied
twice (a crash between parts: the next start asks for the same page again) changes
nothing the second time (``docs/sync.md``, "Agent rules for the manifest").
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import repeat
from operator import add
from typing import Any

from edge_agent.ledger.migrations.manifest_lookup import LOOKUP_TRIGGERS
from edge_agent.ledger.records import SCAN_FIELDS
from edge_agent.ledger.rows import ManifestTicketRow, SyncStateRow, TicketTypeRow

_STATE_COLUMNS = (
    "event_id, manifest_cursor, manifest_at_ms, event_status, event_name, event_venue,"
    " event_postponed_to, keyring_json, clock_offset_ms, clock_rtt_ms, clock_measured_at_ms,"
    " last_success_ms, last_error, last_error_ms"
)
# Column names come from the SCAN_FIELDS constant, never from input.
_UPLOAD_SQL = (
    f"SELECT {', '.join(SCAN_FIELDS)}, ext, chain FROM scans"  # noqa: S608
    " WHERE seq > ? ORDER BY seq LIMIT ?"
)
#: Every ledger-v1 field, the extension and the chain value; ``ext`` (a JSON object) is
#: left out of a row that has none, so such rows upload exactly as they always did.
_UPLOAD_KEYS = (*SCAN_FIELDS, "ext", "chain")
_EXT_INDEX = len(SCAN_FIELDS)
_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: What a row's JSON object adds to its JSON array of values: ``"key":`` per key.
_KEYS_BYTES = sum(len(_DUMPS(k).encode("utf-8")) + 1 for k in _UPLOAD_KEYS)


#: A ticket as a manifest page carries it: ``(ticket_id, ticket_type, order_id,
#: holder_name, holder_email, plain_code_sha256, valid_from, valid_until)``; the page's
#: ``event_id`` applies to all. Plain tuples, not row objects: a first load writes a
#: million of them, and building an object per ticket cost seconds.
TicketValues = tuple[str, int, str, str, str, str | None, int, int]


@dataclass(frozen=True, slots=True)
class PageChanges:
    """Everything one manifest page changes, as the ledger stores it."""

    event_id: int
    cursor: str
    #: Set only by a page with ``more: false`` (the manifest is then complete).
    manifest_at_ms: int | None
    event_status: str
    event_name: str
    event_venue: str
    event_postponed_to: str | None
    keyring_json: str
    ticket_types: Sequence[TicketTypeRow]
    tickets: Sequence[TicketValues]
    #: (ticket_id, kind or None to lift, at_ms)
    revocations: Sequence[tuple[str, str | None, int]]
    #: (ticket_id, ticket_type, flags "a,b", note) of the page's flagged tickets; every
    #: other ticket of the page has its flags cleared.
    flagged: Sequence[tuple[str, int, str, str]] = ()
    #: False for every part of a page but its last (``page_parts``): such a part
    #: leaves the cursor and the event's state alone.
    last_part: bool = True


#: Most tickets plus revocations in one part of a page: a few milliseconds of writing
#: on the dev VM, so a scan queued behind a part waits about that long.
PART_ROWS = 250


def page_parts(page: PageChanges, rows: int = PART_ROWS) -> list[PageChanges]:
    """``page`` cut into parts of at most ``rows`` tickets and revocations, in order
    (tickets first); only the last part carries the types, the cursor and the state.
    A flagged ticket goes with the part that carries the ticket (that part clears the
    flags of its other tickets); one the page does not carry goes with the last part."""
    n_tickets = len(page.tickets)
    total = n_tickets + len(page.revocations)
    if total <= rows:
        return [page]
    part_of = {t[0]: start // rows for start, t in enumerate(page.tickets)}
    last_index = (total - 1) // rows
    flagged_by_part: dict[int, list[tuple[str, int, str, str]]] = {}
    for f in page.flagged:
        flagged_by_part.setdefault(part_of.get(f[0], last_index), []).append(f)
    parts: list[PageChanges] = []
    for start in range(0, total, rows):
        end = min(start + rows, total)
        last = end == total
        parts.append(
            replace(
                page,
                tickets=page.tickets[start:end] if start < n_tickets else (),
                revocations=page.revocations[max(0, start - n_tickets) : max(0, end - n_tickets)],
                ticket_types=page.ticket_types if last else (),
                flagged=flagged_by_part.get(start // rows, ()),
                last_part=last,
            )
        )
    return parts


# ----------------------------------------------------------------------- writes


def apply_manifest_page(conn: sqlite3.Connection, page: PageChanges) -> None:
    """Apply one page or part of one (types, tickets + plain codes, revocations; the
    state and cursor with the last part).

    **Bulk load**: the first page into an empty ``manifest_tickets`` drops its secondary
    indexes and sets ``sync_state.bulk_load``; until ``finish_bulk_load`` the tickets go
    only into ``manifest_tickets`` (appends), and ``plain_codes`` and the indexes are
    built once, sorted, at the end. A million random-key inserts (code hashes, names,
    e-mails) rewrite a random page each and cost minutes; sorted builds cost seconds.
    The gate loses nothing: before a first load completes, its codes were unknown.
    """
    bulk = bool(conn.execute("SELECT bulk_load FROM sync_state WHERE id = 1").fetchone()[0])
    if (
        page.tickets
        and not bulk
        and conn.execute("SELECT 1 FROM manifest_tickets LIMIT 1").fetchone() is None
    ):
        drop_lookup_triggers(conn)
        conn.execute("DELETE FROM manifest_lookup")  # (empty with an empty manifest)
        conn.execute("UPDATE sync_state SET bulk_load = 1 WHERE id = 1")
        bulk = True
    # Each row gets the page's event_id appended (bound as ?9 by the SQL below).
    rows = list(map(add, page.tickets, repeat((page.event_id,))))
    if bulk:
        _upsert_ticket_rows(conn, rows)
    else:
        _upsert_with_codes(conn, rows)
    conn.executemany(
        "INSERT INTO ticket_types(event_id, ticket_type, name, capacity, price_cents, flags,"
        " note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(event_id, ticket_type) DO UPDATE SET"
        " name = excluded.name, capacity = excluded.capacity,"
        " price_cents = excluded.price_cents, flags = excluded.flags, note = excluded.note",
        (
            (t.event_id, t.ticket_type, t.name, t.capacity, t.price_cents, t.flags, t.note)
            for t in page.ticket_types
        ),
    )
    _apply_flags(conn, page, bulk)
    lifted = [(tid,) for tid, kind, _ in page.revocations if kind is None]
    conn.executemany("DELETE FROM revocations WHERE ticket_id = ?", lifted)
    conn.executemany(
        "INSERT INTO revocations(ticket_id, kind, at_ms, source) VALUES (?, ?, ?, 'platform')"
        " ON CONFLICT(ticket_id) DO UPDATE SET kind = excluded.kind",
        ((tid, kind, at_ms) for tid, kind, at_ms in page.revocations if kind is not None),
    )
    if not page.last_part:
        return
    conn.execute(
        "UPDATE sync_state SET event_id = ?, manifest_cursor = ?,"
        " manifest_at_ms = coalesce(?, manifest_at_ms), event_status = ?, event_name = ?,"
        " event_venue = ?, event_postponed_to = ?, keyring_json = ? WHERE id = 1",
        (
            page.event_id,
            page.cursor,
            page.manifest_at_ms,
            page.event_status,
            page.event_name,
            page.event_venue,
            page.event_postponed_to,
            page.keyring_json,
        ),
    )


def _apply_flags(conn: sqlite3.Connection, page: PageChanges, bulk: bool) -> None:
    """Flags of single tickets (migration 7): the page's flagged tickets get theirs, the
    page's other tickets lose any they had (nothing to lose during a first load)."""
    flagged = {f[0] for f in page.flagged}
    if not bulk:
        conn.executemany(
            "UPDATE manifest_tickets SET flags = '', note = ''"
            " WHERE ticket_id = ? AND (flags != '' OR note != '')",
            ((t[0],) for t in page.tickets if t[0] not in flagged),
        )
    conn.executemany(
        "INSERT INTO manifest_tickets(ticket_id, event_id, ticket_type, order_id, holder_name,"
        " holder_email, valid_from, valid_until, flags, note)"
        " VALUES (?, ?, ?, '', '', '', 0, 0, ?, ?)"
        " ON CONFLICT(ticket_id) DO UPDATE SET flags = excluded.flags, note = excluded.note",
        ((tid, page.event_id, ttype, flags, note) for tid, ttype, flags, note in page.flagged),
    )


def upsert_manifest_tickets(conn: sqlite3.Connection, tickets: Iterable[ManifestTicketRow]) -> None:
    """Insert or update tickets, keeping ``plain_codes`` in step: a ticket whose plain
    code changed (or went) loses its old code, so the old text no longer admits."""
    _upsert_with_codes(
        conn,
        [
            (t.ticket_id, t.ticket_type, t.order_id, t.holder_name, t.holder_email,
             t.plain_code_sha256, t.valid_from, t.valid_until, t.event_id)
            for t in tickets
        ],
    )  # fmt: skip


#: ``TicketValues`` + ``(event_id,)``: the parameters of the statements below.
_Params = tuple[str, int, str, str, str, str | None, int, int, int]


def _upsert_with_codes(conn: sqlite3.Connection, rows: Sequence[_Params]) -> None:
    conn.executemany(
        "DELETE FROM plain_codes WHERE ticket_id = ?1 AND code_sha256 = (SELECT"
        " plain_code_sha256 FROM manifest_tickets WHERE ticket_id = ?1) AND code_sha256"
        " IS NOT ?2",
        ((r[0], r[5]) for r in rows),
    )
    _upsert_ticket_rows(conn, rows)
    conn.executemany(
        "INSERT INTO plain_codes(code_sha256, event_id, ticket_id, ticket_type, valid_from,"
        " valid_until) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(code_sha256) DO UPDATE SET event_id = excluded.event_id,"
        " ticket_id = excluded.ticket_id, ticket_type = excluded.ticket_type,"
        " valid_from = excluded.valid_from, valid_until = excluded.valid_until",
        ((r[5], r[8], r[0], r[1], r[6], r[7]) for r in rows if r[5] is not None),
    )


def _upsert_ticket_rows(conn: sqlite3.Connection, rows: Sequence[_Params]) -> None:
    conn.executemany(
        "INSERT INTO manifest_tickets(ticket_id, event_id, ticket_type, order_id, holder_name,"
        " holder_email, plain_code_sha256, valid_from, valid_until)"
        " VALUES (?1, ?9, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT(ticket_id) DO UPDATE SET event_id = excluded.event_id,"
        " ticket_type = excluded.ticket_type, order_id = excluded.order_id,"
        " holder_name = excluded.holder_name, holder_email = excluded.holder_email,"
        " plain_code_sha256 = excluded.plain_code_sha256, valid_from = excluded.valid_from,"
        " valid_until = excluded.valid_until"
        # An unchanged ticket (a full reload re-sends every one) is not rewritten, so
        # its index entries are not touched either.
        " WHERE (event_id, ticket_type, order_id, holder_name, holder_email,"
        " plain_code_sha256, valid_from, valid_until) IS NOT (excluded.event_id,"
        " excluded.ticket_type, excluded.order_id, excluded.holder_name,"
        " excluded.holder_email, excluded.plain_code_sha256, excluded.valid_from,"
        " excluded.valid_until)",
        rows,
    )


def drop_lookup_triggers(conn: sqlite3.Connection) -> None:
    """While a first load streams in (and ``manifest_lookup`` is filled in parts at its
    end) nothing keeps the lookup table in step row by row."""
    for name in LOOKUP_TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def create_lookup_triggers(conn: sqlite3.Connection) -> None:
    """End of a bulk load, after the lookup fill: row-by-row upkeep again."""
    for sql in LOOKUP_TRIGGERS.values():
        conn.execute(sql)


def bulk_load_pending(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT bulk_load FROM sync_state WHERE id = 1").fetchone()[0])


def end_bulk_load(conn: sqlite3.Connection) -> None:
    """End of a bulk load, last step (after the indexes are built)."""
    conn.execute("UPDATE sync_state SET bulk_load = 0 WHERE id = 1")


def restart_manifest(conn: sqlite3.Connection) -> None:
    """Forget the cursor: the next download is a full load. What is stored stays (a
    revocation is only ever removed by the platform lifting it: fail closed)."""
    conn.execute("UPDATE sync_state SET manifest_cursor = '' WHERE id = 1")


def forget_other_event(conn: sqlite3.Connection, event_id: int) -> bool:
    """A data dir reconfigured for another event starts its manifest from scratch."""
    row = conn.execute("SELECT event_id FROM sync_state WHERE id = 1").fetchone()
    if row is None or row[0] is None or row[0] == event_id:
        return False
    conn.execute(
        "UPDATE sync_state SET event_id = ?, manifest_cursor = '', manifest_at_ms = NULL,"
        " event_status = '', event_name = '', event_venue = '', event_postponed_to = NULL,"
        " keyring_json = NULL WHERE id = 1",
        (event_id,),
    )
    return True


def set_upload_cursor(conn: sqlite3.Connection, stream: str, seq: int) -> None:
    conn.execute(
        "INSERT INTO upload_cursors(stream, uploaded_through_seq) VALUES (?, ?)"
        " ON CONFLICT(stream) DO UPDATE SET uploaded_through_seq = excluded.uploaded_through_seq",
        (stream, seq),
    )


def save_clock(conn: sqlite3.Connection, offset_ms: int, rtt_ms: int, measured_at_ms: int) -> None:
    conn.execute(
        "UPDATE sync_state SET clock_offset_ms = ?, clock_rtt_ms = ?, clock_measured_at_ms = ?"
        " WHERE id = 1",
        (offset_ms, rtt_ms, measured_at_ms),
    )


def save_result(
    conn: sqlite3.Connection, success_ms: int | None, error: str | None, error_ms: int | None
) -> None:
    conn.execute(
        "UPDATE sync_state SET last_success_ms = ?, last_error = ?, last_error_ms = ? WHERE id = 1",
        (success_ms, error, error_ms),
    )


# ------------------------------------------------------------------------ reads


def read_sync_state(conn: sqlite3.Connection) -> SyncStateRow:
    row = conn.execute(f"SELECT {_STATE_COLUMNS} FROM sync_state WHERE id = 1").fetchone()  # noqa: S608
    return SyncStateRow() if row is None else SyncStateRow(*row)


def upload_cursors(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT stream, uploaded_through_seq FROM upload_cursors"))


def _upload_row(values: Sequence[Any]) -> dict[str, Any]:
    row = dict(zip(_UPLOAD_KEYS, values, strict=True))
    ext = row.pop("ext")
    if ext is not None:
        row["ext"] = json.loads(ext)  # stored canonical; the platform re-encodes it
    return row


def scans_for_upload(
    conn: sqlite3.Connection, after_seq: int, max_rows: int, max_bytes: int
) -> list[dict[str, Any]]:
    """Scan rows after ``after_seq`` as upload dicts (every ledger-v1 field + ``chain``),
    at most ``max_rows`` and, measured as compact JSON, about ``max_bytes`` (the first
    row is always included, so one huge row cannot block the stream).

    The size is measured for the whole batch in one JSON encoding of its values when
    that fits (the usual case), row by row only when it does not: a row's JSON object
    is its JSON array of values plus ``"key":`` for each key."""
    values = conn.execute(_UPLOAD_SQL, (after_seq, max_rows)).fetchall()
    # An extension counts as its stored text (a little more than its object): the
    # bound is an estimate that errs on the small side.
    whole = len(_DUMPS(values).encode("utf-8")) + 1 + len(values) * _KEYS_BYTES
    if whole <= max_bytes:
        return [_upload_row(v) for v in values]
    out: list[dict[str, Any]] = []
    total = 2
    for v in values:
        row = _upload_row(v)
        size = len(_DUMPS(row).encode("utf-8")) + 1
        if out and total + size > max_bytes:
            break
        out.append(row)
        total += size
    return out


def find_manifest_tickets(
    conn: sqlite3.Connection,
    *,
    order_id: str | None = None,
    email: str | None = None,
    name_prefix: str | None = None,
    limit: int = 50,
) -> list[ManifestTicketRow]:
    """Tickets by order id, by holder e-mail (any case) or by the start of the holder's
    name (any case), through ``manifest_lookup`` (migration 11)."""
    columns = (
        "m.ticket_id, m.event_id, m.ticket_type, m.order_id, m.holder_name, m.holder_email,"
        " m.plain_code_sha256, m.valid_from, m.valid_until"
    )
    args: tuple[str, ...]
    order = "m.holder_name COLLATE NOCASE, m.ticket_id"
    if order_id is not None:
        # the lookup's key compares without case; an order id is exact
        where, args = "l.kind = 'o' AND l.key = ?1 AND m.order_id = ?1", (order_id,)
    elif email is not None:
        where, args = "l.kind = 'e' AND l.key = ?1", (email,)
    elif name_prefix:
        # A range on the NOCASE key; the upper bound is the prefix's last char + 1.
        upper = name_prefix[:-1] + chr(ord(name_prefix[-1]) + 1)
        where = "l.kind = 'n' AND l.key >= ?1 AND l.key < ?2"
        args = (name_prefix, upper)
        order = "l.key, l.ticket_id"  # the key is the name: the table's order, LIMIT early
    else:
        return []
    rows = conn.execute(
        f"SELECT {columns} FROM manifest_lookup l JOIN manifest_tickets m"  # noqa: S608
        f" ON m.ticket_id = l.ticket_id WHERE {where}"
        f" ORDER BY {order} LIMIT ?{len(args) + 1}",
        (*args, limit),
    )
    return [ManifestTicketRow(*r) for r in rows]


def manifest_ticket(conn: sqlite3.Connection, ticket_id: str) -> ManifestTicketRow | None:
    """One ticket by its id (the primary key), or ``None`` if the manifest lacks it."""
    row = conn.execute(
        "SELECT ticket_id, event_id, ticket_type, order_id, holder_name, holder_email,"
        " plain_code_sha256, valid_from, valid_until FROM manifest_tickets WHERE ticket_id = ?",
        (ticket_id,),
    ).fetchone()
    return None if row is None else ManifestTicketRow(*row)
