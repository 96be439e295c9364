"""Migration 3: the box office (the append-only ``sales`` stream and the till's state).

Never edited once shipped: see ``ledger/schema.py``.
"""

from __future__ import annotations

import sqlite3


def v3_box_office(conn: sqlite3.Connection) -> None:
    """The box office: the append-only ``sales`` stream and the till's state.

    ``sales`` has one column per ``sale_records.SALE_FIELDS`` entry, in that order, plus
    the chain value (a chain of its own, like ``scans``); nothing is ever changed or
    deleted. The ``box_office_*`` tables are the current state those rows add up to
    (open sessions, what each lease has left, each sale's receipt and status), written
    in the same transaction as the row, so they can never disagree. ``sold <= count``
    on a lease is also a CHECK: the last guard against selling past the lease.
    Ticket types gain the manifest's ``capacity`` and ``price_cents`` (null when the
    platform does not send them).
    """
    conn.execute("ALTER TABLE ticket_types ADD COLUMN capacity INTEGER")
    conn.execute("ALTER TABLE ticket_types ADD COLUMN price_cents INTEGER")
    conn.execute(
        """CREATE TABLE sales (
            seq            INTEGER PRIMARY KEY,
            entry_id       TEXT NOT NULL UNIQUE,
            agent_id       TEXT NOT NULL,
            at_ms          INTEGER NOT NULL,
            kind           TEXT NOT NULL,
            event_id       INTEGER,
            session_id     TEXT,
            device_id      TEXT,
            operator       TEXT,
            sale_id        TEXT,
            order_id       TEXT,
            lease_id       TEXT,
            ticket_type    INTEGER,
            count          INTEGER,
            expires_at_ms  INTEGER,
            amount_cents   INTEGER,
            currency       TEXT,
            method         TEXT,
            tendered_cents INTEGER,
            change_cents   INTEGER,
            card_brand     TEXT,
            card_last4     TEXT,
            auth_ref       TEXT,
            terminal_id    TEXT,
            supervisor     TEXT,
            reason         TEXT,
            customer_name  TEXT,
            customer_email TEXT,
            delivery       TEXT,
            tickets        TEXT,
            chain          TEXT NOT NULL
        ) STRICT"""
    )
    conn.execute(
        """CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
        BEGIN
            SELECT RAISE(ABORT, 'sales are append-only: a recorded row cannot be changed');
        END"""
    )
    conn.execute(
        """CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
        BEGIN
            SELECT RAISE(ABORT, 'sales are append-only: a recorded row cannot be deleted');
        END"""
    )
    conn.execute(
        """CREATE TABLE box_office_sessions (
            session_id     TEXT PRIMARY KEY,
            device_id      TEXT NOT NULL,
            operator       TEXT NOT NULL,
            float_cents    INTEGER NOT NULL,
            opened_at_ms   INTEGER NOT NULL,
            closed_at_ms   INTEGER,
            counted_cents  INTEGER,
            cash_in_cents  INTEGER NOT NULL DEFAULT 0,
            cash_out_cents INTEGER NOT NULL DEFAULT 0,
            sales          INTEGER NOT NULL DEFAULT 0,
            voids          INTEGER NOT NULL DEFAULT 0
        ) STRICT"""
    )
    conn.execute(
        "CREATE UNIQUE INDEX box_office_sessions_open ON box_office_sessions(device_id)"
        " WHERE closed_at_ms IS NULL"
    )
    conn.execute(
        """CREATE TABLE box_office_leases (
            lease_id         TEXT PRIMARY KEY,
            lease_request_id TEXT NOT NULL UNIQUE,
            event_id         INTEGER NOT NULL,
            ticket_type      INTEGER NOT NULL,
            count            INTEGER NOT NULL,
            sold             INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= count),
            expires_at_ms    INTEGER NOT NULL,
            taken_at_ms      INTEGER NOT NULL,
            returned         INTEGER,
            returned_at_ms   INTEGER,
            -- 1 once the platform confirmed the return (until then it is retried)
            return_told      INTEGER NOT NULL DEFAULT 0
        ) STRICT"""
    )
    # A lease asked for whose answer has not been recorded yet: the next request for the
    # type repeats it (same id: the platform answers with the lease it already made).
    conn.execute(
        """CREATE TABLE box_office_lease_requests (
            lease_request_id TEXT PRIMARY KEY,
            event_id         INTEGER NOT NULL,
            ticket_type      INTEGER NOT NULL,
            count            INTEGER NOT NULL,
            asked_at_ms      INTEGER NOT NULL
        ) STRICT"""
    )
    conn.execute(
        """CREATE TABLE box_office_sales (
            sale_id        TEXT PRIMARY KEY,
            request_id     TEXT NOT NULL UNIQUE,
            request_sha256 TEXT NOT NULL,
            device_id      TEXT NOT NULL,
            session_id     TEXT NOT NULL,
            at_ms          INTEGER NOT NULL,
            status         TEXT NOT NULL,
            receipt        TEXT NOT NULL
        ) STRICT"""
    )
    conn.execute("CREATE INDEX box_office_sales_by_time ON box_office_sales(at_ms)")
    conn.execute(
        """CREATE TABLE box_office_tickets (
            ticket_id   TEXT PRIMARY KEY,
            sale_id     TEXT NOT NULL,
            ticket_type INTEGER NOT NULL,
            lease_id    TEXT NOT NULL
        ) STRICT"""
    )
