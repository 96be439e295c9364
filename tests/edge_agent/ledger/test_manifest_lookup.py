"""``manifest_lookup`` (migration 11) answers the box office's lookups as the indexes did:
kept in step by triggers after a first load, filled in sorted parts at its end."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.rows import ManifestTicketRow
from edge_agent.ledger.sync_tables import find_manifest_tickets, upsert_manifest_tickets
from edge_agent.ledger.writer import LedgerWriter

pytestmark = pytest.mark.integration


def ticket(n: int, name: str, email: str, order: str) -> ManifestTicketRow:
    return ManifestTicketRow(f"{n:032x}", 1001, 1, order, name, email, None, 0, 0)


async def test_lookups_follow_inserts_changes_and_any_case(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = await LedgerWriter.open(path, "agent-lookup")
    try:
        first = [
            ticket(1, "Ada Lovelace", "ada@example.org", "O-1"),
            ticket(2, "Alan Turing", "", "O-1"),
            ticket(3, "Grace Hopper", "g@x.org", "O-2"),
        ]
        await writer.execute(lambda c: upsert_manifest_tickets(c, first))
        changed = [ticket(1, "Ada King", "ADA@example.org", "O-9")]
        await writer.execute(lambda c: upsert_manifest_tickets(c, changed))
    finally:
        await writer.close()
    conn = open_read_connection(path)
    try:

        def ids(**kw: str) -> list[str]:
            return [r.ticket_id[-1] for r in find_manifest_tickets(conn, **kw)]

        assert ids(order_id="O-1") == ["2"]  # ticket 1 moved to O-9
        assert ids(order_id="o-9") == []  # an order id is exact
        assert ids(order_id="O-9") == ["1"]
        assert ids(email="ada@EXAMPLE.org") == ["1"]  # any case
        assert ids(name_prefix="a") == ["1", "2"]  # "Ada King", "Alan Turing", in order
        assert ids(name_prefix="Ada L") == []  # the old name is gone
        keys = conn.execute("SELECT count(*) FROM manifest_lookup WHERE key = ''").fetchone()
        assert keys == (0,)  # empty values are not looked up
    finally:
        conn.close()
