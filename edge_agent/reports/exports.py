"""Exports of the ledger's scans and door sales as CSV or JSON, through sqlite-utils.

Why sqlite-utils (named in DESIGN.md): it reads any table as dictionaries with their
column names and types, from the read-only connection we hand it, so an export is the
ledger's own rows — nothing re-shaped by hand. It is off the hot path: run on demand,
on the box or on a backup's copy. Door-sale rows leave out the issued codes (a code is
a ticket: a leaked export must not let anyone in) and keep everything else.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import sqlite_utils

from edge_agent.ledger.connection import open_read_connection

TABLES = ("scans", "sales")
FORMATS = ("csv", "json")


def _rows(db: sqlite_utils.Database, table: str) -> Iterator[dict[str, Any]]:
    for row in db.table(table).rows_where(order_by="seq"):
        if table == "sales" and row.get("tickets"):
            tickets = json.loads(row["tickets"])
            for ticket in tickets:
                ticket.pop("code", None)
            row["tickets"] = json.dumps(tickets, separators=(",", ":"))
        yield row


def export_table(ledger: Path, table: str, fmt: str, out: TextIO) -> int:
    """Write every row of ``table`` to ``out``; returns how many."""
    if table not in TABLES or fmt not in FORMATS:
        raise ValueError(f"export {table!r} as {fmt!r}: expected {TABLES} and {FORMATS}")
    conn = open_read_connection(ledger)
    try:
        db = sqlite_utils.Database(conn)
        columns = [c.name for c in db.table(table).columns]
        count = 0
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in _rows(db, table):
                writer.writerow(row)
                count += 1
        else:
            out.write("[")
            for row in _rows(db, table):
                out.write(("\n" if count == 0 else ",\n") + json.dumps(row, ensure_ascii=False))
                count += 1
            out.write("\n]\n")
    finally:
        conn.close()
    return count
