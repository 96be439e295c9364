"""Bulk tickets for benchmarks and load tests: ``gatehouse-platform seed``.

Seeded tickets are real **plain-code** tickets (random ``GHP-`` + 20 hex digit codes
whose SHA-256 goes into the manifest, holder ``Guest N``), all in one order per run,
inserted with
``executemany`` straight into SQLite in chunks of ``CHUNK`` rows, each chunk one
transaction together with its change-log entries and the ``sold`` counter. GH1 signing
(~50 µs per ticket) would make a million-ticket event take minutes, and a manifest
carries no GH1 codes anyway, so plain codes exercise exactly the same manifest path.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from reference_platform.errors import Conflict
from reference_platform.services.catalog import PLAIN_PREFIX, get_event, put_ticket_type
from reference_platform.services.leases import seats_left
from reference_platform.store.database import transaction

CHUNK = 100_000


@dataclass(frozen=True, slots=True)
class SeedResult:
    event_id: int
    ticket_type: int
    order_id: str
    tickets: int
    #: A few (code, ticket_id) pairs, so a benchmark can scan real seeded tickets.
    samples: tuple[tuple[str, str], ...]


def _chunk_rows(
    event_id: int,
    ticket_type: int,
    order_id: str,
    run: bytes,
    start: int,
    count: int,
    now_ms: int,
) -> list[tuple[object, ...]]:
    """Rows ``start .. start+count-1`` of a seed run. Ticket ids are the run's 8 random
    bytes + the 8-byte row number, so they ascend and the B-tree only appends (random
    ids made a million-row seed several times slower); codes are 80 random bits each,
    drawn and hex-encoded for the whole chunk at once."""
    codes = os.urandom(10 * count).hex().upper()
    sha = hashlib.sha256
    rows: list[tuple[object, ...]] = []
    for n, i in enumerate(range(start, start + count)):
        code = PLAIN_PREFIX + codes[20 * n : 20 * n + 20]
        rows.append(
            (
                (run + i.to_bytes(8, "big")).hex(),
                event_id,
                ticket_type,
                order_id,
                f"Guest {i}",
                None,
                "plain",
                code,
                sha(code.encode("ascii")).hexdigest(),
                now_ms,
            )
        )
    return rows


def seed_tickets(
    conn: sqlite3.Connection,
    *,
    event_id: int,
    count: int,
    ticket_type: int,
    now_ms: int,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Add ``count`` plain-code tickets of ``ticket_type`` to ``event_id``.

    The type is created (name "Seeded") if missing, and its capacity raised if it has
    fewer than ``count`` seats left. ``conn`` must be in autocommit mode.
    """
    with transaction(conn):
        get_event(conn, event_id)
        row = conn.execute(
            "SELECT name, capacity, price_cents FROM ticket_types"
            " WHERE event_id = ? AND ticket_type = ?",
            (event_id, ticket_type),
        ).fetchone()
        if row is None:
            put_ticket_type(
                conn,
                event_id=event_id,
                ticket_type=ticket_type,
                name="Seeded",
                capacity=count,
                price_cents=0,
            )
        else:
            left = seats_left(conn, event_id, ticket_type, now_ms)
            if left < count:
                put_ticket_type(
                    conn,
                    event_id=event_id,
                    ticket_type=ticket_type,
                    name=row[0],
                    capacity=row[1] + count - left,
                    price_cents=row[2],
                )
        order_id = "O-SEED-" + secrets.token_hex(4).upper()
        conn.execute(
            "INSERT INTO orders(order_id, event_id, customer_name, customer_email,"
            " purchased_at_ms, created_at_ms) VALUES (?, ?, 'seed', 'seed@invalid', ?, ?)",
            (order_id, event_id, now_ms, now_ms),
        )
    # A big page cache for the run: the indexes of a million-row table stay in memory.
    conn.execute("PRAGMA cache_size = -262144")  # 256 MiB
    samples: list[tuple[str, str]] = []
    run = secrets.token_bytes(8)
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        rows = _chunk_rows(event_id, ticket_type, order_id, run, done, size, now_ms)
        if len(samples) < 10:
            samples.extend((str(r[7]), str(r[0])) for r in rows[: 10 - len(samples)])
        with transaction(conn):
            if seats_left(conn, event_id, ticket_type, now_ms) < size:
                raise Conflict("capacity changed while seeding", code="sold_out")
            conn.executemany(
                "INSERT INTO tickets(ticket_id, event_id, ticket_type, order_id, holder_name,"
                " holder_email, code_kind, code, plain_code_sha256, issued_at_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.executemany(
                "INSERT INTO changes(event_id, kind, ref) VALUES (?, 'ticket', ?)",
                ((event_id, r[0]) for r in rows),
            )
            conn.execute(
                "UPDATE ticket_types SET sold = sold + ? WHERE event_id = ? AND ticket_type = ?",
                (size, event_id, ticket_type),
            )
        done += size
        if progress is not None:
            progress(done)
    return SeedResult(event_id, ticket_type, order_id, count, tuple(samples))
