"""The box office's tables (schema v3): the chained ``sales`` rows and the till state.

Write functions take the writer's connection and run inside ``LedgerWriter.execute``
(one group-commit transaction, under their own SAVEPOINT); read functions take any
connection. ``append_sales_row`` is the only way a row enters ``sales``: it numbers it
after the last row and chains it (``sale_records``), in the writer thread, so the chain
is as strict as the scans' chain.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from edge_agent.domain.sale import LeaseSeats, PricedType
from edge_agent.ledger.canonical_fast import canonical_values
from edge_agent.ledger.records import genesis_chain
from edge_agent.ledger.sale_records import SALE_FIELDS, sale_values

_INSERT = (
    f"INSERT INTO sales({', '.join(SALE_FIELDS)}, chain)"  # noqa: S608 - names are constants
    f" VALUES ({', '.join('?' * (len(SALE_FIELDS) + 1))})"
)
_UPLOAD_SQL = (
    f"SELECT {', '.join(SALE_FIELDS)}, chain FROM sales"  # noqa: S608
    " WHERE seq > ? ORDER BY seq LIMIT ?"
)
_UPLOAD_KEYS = (*SALE_FIELDS, "chain")
_LEASE_COLUMNS = "lease_id, ticket_type, count, sold, expires_at_ms, returned IS NOT NULL"


def sales_head(conn: sqlite3.Connection) -> tuple[int, bytes | None]:
    row = conn.execute("SELECT seq, chain FROM sales ORDER BY seq DESC LIMIT 1").fetchone()
    return (0, None) if row is None else (int(row[0]), bytes.fromhex(row[1]))


def append_sales_row(
    conn: sqlite3.Connection, agent_id: str, fields: Mapping[str, Any]
) -> tuple[int, str]:
    """Append one row (every field but seq/agent_id in ``fields``); returns (seq, chain)."""
    seq, prev = sales_head(conn)
    if prev is None:
        prev = genesis_chain(agent_id)
    values = sale_values(seq + 1, agent_id, fields)
    chain = hashlib.sha256(prev + canonical_values(values)).hexdigest()
    conn.execute(_INSERT, (*values, chain))
    return seq + 1, chain


def first_broken_sale(conn: sqlite3.Connection, agent_id: str) -> int | None:
    """Recompute the ``sales`` chain from genesis; the first seq that is missing or does
    not reproduce its stored chain value, or ``None`` when the whole chain holds."""
    chain = genesis_chain(agent_id)
    expected = 1
    for values in conn.execute(
        f"SELECT {', '.join(SALE_FIELDS)}, chain FROM sales ORDER BY seq"  # noqa: S608
    ):
        if values[0] != expected:
            return expected
        digest = hashlib.sha256(chain + canonical_values(tuple(values[:-1]))).digest()
        if digest.hex() != values[-1]:
            return int(values[0])
        chain = digest
        expected += 1
    return None


def sales_for_upload(
    conn: sqlite3.Connection, after_seq: int, max_rows: int, max_bytes: int
) -> list[dict[str, Any]]:
    """Rows after ``after_seq`` as upload dicts (every field + ``chain``), at most
    ``max_rows`` and about ``max_bytes`` of JSON (the first row always)."""
    out: list[dict[str, Any]] = []
    total = 2
    for values in conn.execute(_UPLOAD_SQL, (after_seq, max_rows)):
        row = dict(zip(_UPLOAD_KEYS, values, strict=True))
        size = len(json.dumps(row, ensure_ascii=False).encode("utf-8")) + 1
        if out and total + size > max_bytes:
            break
        out.append(row)
        total += size
    return out


def priced_types(conn: sqlite3.Connection, event_id: int) -> dict[int, PricedType]:
    return {
        r[0]: PricedType(r[0], r[1], r[2], r[3])
        for r in conn.execute(
            "SELECT ticket_type, name, price_cents, capacity FROM ticket_types"
            " WHERE event_id = ? ORDER BY ticket_type",
            (event_id,),
        )
    }


def leases(conn: sqlite3.Connection, event_id: int) -> list[LeaseSeats]:
    return [
        LeaseSeats(r[0], r[1], r[2], r[3], r[4], bool(r[5]))
        for r in conn.execute(
            f"SELECT {_LEASE_COLUMNS} FROM box_office_leases WHERE event_id = ?"  # noqa: S608
            " ORDER BY expires_at_ms, lease_id",
            (event_id,),
        )
    ]


def lease_by_request(conn: sqlite3.Connection, lease_request_id: str) -> LeaseSeats | None:
    row = conn.execute(
        f"SELECT {_LEASE_COLUMNS} FROM box_office_leases WHERE lease_request_id = ?",  # noqa: S608
        (lease_request_id,),
    ).fetchone()
    return None if row is None else LeaseSeats(row[0], row[1], row[2], row[3], row[4], bool(row[5]))


def lease(conn: sqlite3.Connection, lease_id: str) -> tuple[LeaseSeats, int | None] | None:
    """A lease and the seats it returned (``None``: not returned)."""
    row = conn.execute(
        f"SELECT {_LEASE_COLUMNS}, returned FROM box_office_leases"  # noqa: S608
        " WHERE lease_id = ?",
        (lease_id,),
    ).fetchone()
    if row is None:
        return None
    return LeaseSeats(row[0], row[1], row[2], row[3], row[4], bool(row[5])), row[6]


def returned_counts(conn: sqlite3.Connection, event_id: int) -> dict[str, int]:
    return dict(
        conn.execute(
            "SELECT lease_id, returned FROM box_office_leases"
            " WHERE event_id = ? AND returned IS NOT NULL",
            (event_id,),
        )
    )


def insert_lease(
    conn: sqlite3.Connection,
    *,
    lease_id: str,
    lease_request_id: str,
    event_id: int,
    ticket_type: int,
    count: int,
    expires_at_ms: int,
    now_ms: int,
) -> None:
    conn.execute(
        "INSERT INTO box_office_leases(lease_id, lease_request_id, event_id, ticket_type,"
        " count, expires_at_ms, taken_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (lease_id, lease_request_id, event_id, ticket_type, count, expires_at_ms, now_ms),
    )


def pending_lease_request(
    conn: sqlite3.Connection, event_id: int, ticket_type: int
) -> tuple[str, int] | None:
    """(lease_request_id, count) of an unanswered lease request for the type."""
    row = conn.execute(
        "SELECT lease_request_id, count FROM box_office_lease_requests"
        " WHERE event_id = ? AND ticket_type = ? ORDER BY asked_at_ms LIMIT 1",
        (event_id, ticket_type),
    ).fetchone()
    return None if row is None else (str(row[0]), int(row[1]))


def add_lease_request(
    conn: sqlite3.Connection,
    lease_request_id: str,
    event_id: int,
    ticket_type: int,
    count: int,
    now_ms: int,
) -> tuple[str, int]:
    """Note a lease request before it is sent; an unanswered one for the same type is
    returned instead (and the new one is not noted), so a retry repeats it."""
    pending = pending_lease_request(conn, event_id, ticket_type)
    if pending is not None:
        return pending
    conn.execute(
        "INSERT INTO box_office_lease_requests(lease_request_id, event_id, ticket_type, count,"
        " asked_at_ms) VALUES (?, ?, ?, ?, ?)",
        (lease_request_id, event_id, ticket_type, count, now_ms),
    )
    return lease_request_id, count


def drop_lease_request(conn: sqlite3.Connection, lease_request_id: str) -> None:
    conn.execute(
        "DELETE FROM box_office_lease_requests WHERE lease_request_id = ?", (lease_request_id,)
    )


def mark_lease_returned(conn: sqlite3.Connection, lease_id: str, unused: int, now_ms: int) -> None:
    conn.execute(
        "UPDATE box_office_leases SET returned = ?, returned_at_ms = ? WHERE lease_id = ?",
        (unused, now_ms, lease_id),
    )


def untold_returns(conn: sqlite3.Connection, event_id: int) -> list[tuple[str, int]]:
    """(lease_id, unused) of returns the platform has not confirmed yet."""
    return [
        (str(r[0]), int(r[1]))
        for r in conn.execute(
            "SELECT lease_id, returned FROM box_office_leases WHERE event_id = ?"
            " AND returned IS NOT NULL AND return_told = 0 ORDER BY returned_at_ms",
            (event_id,),
        )
    ]


def mark_return_told(conn: sqlite3.Connection, lease_id: str) -> None:
    conn.execute("UPDATE box_office_leases SET return_told = 1 WHERE lease_id = ?", (lease_id,))


def add_lease_sold(conn: sqlite3.Connection, lease_id: str, delta: int) -> None:
    """``sold += delta``; the table's CHECK refuses ``sold > count`` (IntegrityError)."""
    conn.execute(
        "UPDATE box_office_leases SET sold = sold + ? WHERE lease_id = ?", (delta, lease_id)
    )


# ---------------------------------------------------------------------- sessions

SESSION_COLUMNS = (
    "session_id, device_id, operator, float_cents, opened_at_ms, closed_at_ms,"
    " counted_cents, cash_in_cents, cash_out_cents, sales, voids"
)
SESSION_KEYS = tuple(c.strip() for c in SESSION_COLUMNS.split(","))


def open_session_of(conn: sqlite3.Connection, device_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM box_office_sessions"  # noqa: S608
        " WHERE device_id = ? AND closed_at_ms IS NULL",
        (device_id,),
    ).fetchone()
    return None if row is None else dict(zip(SESSION_KEYS, row, strict=True))


def session(conn: sqlite3.Connection, session_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM box_office_sessions WHERE session_id = ?",  # noqa: S608
        (session_id,),
    ).fetchone()
    return None if row is None else dict(zip(SESSION_KEYS, row, strict=True))


def cash_in_drawers(conn: sqlite3.Connection) -> int:
    """Cash the open tills should hold (floats + cash sales − cash handed back)."""
    row = conn.execute(
        "SELECT coalesce(sum(float_cents + cash_in_cents - cash_out_cents), 0)"
        " FROM box_office_sessions WHERE closed_at_ms IS NULL"
    ).fetchone()
    return int(row[0])


# ------------------------------------------------------------------------- sales


def sale_record(conn: sqlite3.Connection, sale_id: str) -> tuple[str, str, dict[str, Any]] | None:
    """(session_id, status, receipt) of a sale."""
    row = conn.execute(
        "SELECT session_id, status, receipt FROM box_office_sales WHERE sale_id = ?", (sale_id,)
    ).fetchone()
    return None if row is None else (row[0], row[1], json.loads(row[2]))


def sale_by_request(conn: sqlite3.Connection, request_id: str) -> tuple[str, dict[str, Any]] | None:
    """(request_sha256, receipt) of the sale a client ``request_id`` made."""
    row = conn.execute(
        "SELECT request_sha256, receipt FROM box_office_sales WHERE request_id = ?",
        (request_id,),
    ).fetchone()
    return None if row is None else (row[0], json.loads(row[1]))


def recent_receipts(
    conn: sqlite3.Connection, limit: int, first_session: str | None
) -> list[dict[str, Any]]:
    """Receipts, the sales of ``first_session`` first, each group newest first."""
    rows = conn.execute(
        "SELECT receipt FROM box_office_sales"
        " ORDER BY (session_id IS NOT ?), at_ms DESC, sale_id DESC LIMIT ?",
        (first_session, limit),
    )
    return [json.loads(r[0]) for r in rows]


def sold_by_type(conn: sqlite3.Connection) -> dict[int, int]:
    """Door-sold tickets per type, voided ones excluded."""
    return dict(
        conn.execute(
            "SELECT t.ticket_type, count(*) FROM box_office_tickets t"
            " JOIN box_office_sales s USING (sale_id) WHERE s.status = 'completed'"
            " GROUP BY t.ticket_type"
        )
    )


def first_admissions_by_type(conn: sqlite3.Connection, event_id: int) -> dict[int, int]:
    """Distinct tickets admitted at this agent's gates, per type (start-up count)."""
    return dict(
        conn.execute(
            "SELECT ticket_type, count(DISTINCT ticket_id) FROM scans"
            " WHERE event_id = ? AND outcome = 'admit' AND ticket_id IS NOT NULL"
            " AND ticket_type IS NOT NULL GROUP BY ticket_type",
            (event_id,),
        )
    )
