"""The agent's evidence pack, read from its own ledger (``edge-agent evidence export``).

Works offline and whether or not the agent is running: it opens the ledger with a
read-only connection (WAL: it never blocks the writer) and reads everything in one
snapshot. The pack holds only what this agent saw, and says so. Rows after the
agent's last stored checkpoint are covered by a checkpoint signed here, at export
(number 0: outside the ledger's own series, never stored or uploaded).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from edge_agent import __version__
from edge_agent.config.key_files import KeyFile, read_json_file
from edge_agent.config.sections import Config
from edge_agent.domain.keyring import public_keyring_doc
from edge_agent.evidence.core.canonical import PackSignature, canonical_json, sign_pack
from edge_agent.evidence.core.checkpoint import Checkpoint, sign_checkpoint
from edge_agent.evidence.core.pack import build_pack, plan_segments
from edge_agent.evidence.core.pack_input import (
    AgentEvidence,
    Assembler,
    EventFacts,
    LedgerRow,
    PackInput,
    Segment,
    TicketInfo,
)
from edge_agent.evidence.core.sale_entry import SaleRow
from edge_agent.ledger.chain_checkpoints import (
    all_checkpoints,
    chain_before,
    head_seq,
    rows_between,
    seqs_of_tickets,
)
from edge_agent.ledger.connection import open_read_connection
from edge_agent.ledger.sale_records import SALE_FIELDS, parse_tickets_text
from edge_agent.ledger.sync_tables import read_sync_state

AGENT_OMITTED = (
    "the order's purchase, payment and delivery data: held by the platform, not the gate"
    " (only this agent's own door sales of the order are in the pack)",
    "holder names and e-mail addresses, and a door buyer's name and e-mail: the gate's"
    " ledger has them, a pack from the gate does not need them",
)


@dataclass(frozen=True)
class ExportedPack:
    pack: dict[str, Any]
    pack_bytes: bytes
    signature: PackSignature


def export_pack(
    config: Config,
    key: KeyFile,
    *,
    order_id: str | None,
    ticket_id: str | None,
    now_ms: int,
) -> ExportedPack:
    conn = open_read_connection(config.ledger_path)
    try:
        conn.execute("BEGIN")  # one snapshot for every read below
        data = _pack_input(conn, config, key, order_id, ticket_id, now_ms)
        conn.execute("COMMIT")
    finally:
        conn.close()
    pack = build_pack(data)
    pack_bytes = canonical_json(pack)
    return ExportedPack(pack, pack_bytes, sign_pack(key.private_key, pack_bytes))


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _pack_input(
    conn: sqlite3.Connection,
    config: Config,
    key: KeyFile,
    order_id: str | None,
    ticket_id: str | None,
    now_ms: int,
) -> PackInput:
    agent_id = config.agent.agent_id
    event_id = _event_of(conn, config, order_id, ticket_id)
    state = read_sync_state(conn)
    names = dict(
        conn.execute(
            "SELECT ticket_type, name FROM ticket_types WHERE event_id = ?", (event_id,)
        ).fetchall()
    )
    sales = _sales(conn, order_id, ticket_id)
    tickets = _with_sold_tickets(_tickets(conn, order_id, ticket_id, names), sales, names)
    if ticket_id is not None:
        tickets = [t for t in tickets if t.ticket_id == ticket_id]
    notes: list[str] = []
    if not tickets:
        notes.append(f"the gate's manifest copy lists no ticket of order {order_id}")
    checkpoints = all_checkpoints(conn, agent_id) if _has_table(conn, "chain_checkpoints") else []
    head = head_seq(conn)
    seqs = seqs_of_tickets(conn, [t.ticket_id for t in tickets])
    covered = {cp.through_seq: cp for cp in checkpoints}
    if seqs and max(seqs) > max(covered, default=0):
        covered[head] = _export_checkpoint(
            conn, agent_id, key, head, state.clock_offset_ms, state.clock_rtt_ms, now_ms
        )
        notes.append(
            f"rows after the ledger's last stored checkpoint are covered by checkpoint 0,"
            f" signed by the agent at export ({head} rows in the ledger then)"
        )
    segments = []
    for first, last in plan_segments(seqs, covered, head):
        rows = tuple(LedgerRow(values, chain) for values, chain in rows_between(conn, first, last))
        segments.append(Segment(chain_before(conn, agent_id, first), rows, covered.get(last)))
    return PackInput(
        assembler=Assembler(
            "agent", agent_id, now_ms, __version__, gate_names={config.gate.id: config.gate.name}
        ),
        order_id=order_id,
        tickets=tuple(tickets),
        event=EventFacts(
            event_id,
            state.event_name
            if state.event_id == event_id
            else next((e.name for e in config.events if e.event_id == event_id), ""),
            (state.event_venue if state.event_id == event_id else "") or config.agent.venue,
        ),
        agents=(AgentEvidence(agent_id, tuple(segments)),) if segments else (),
        keyring=_keyring(config, state.keyring_json if state.event_id == event_id else None),
        sales=tuple(sales),
        omitted=AGENT_OMITTED,
        notes=tuple(notes),
    )


def _tickets(
    conn: sqlite3.Connection,
    order_id: str | None,
    ticket_id: str | None,
    names: Mapping[int, str],
) -> list[TicketInfo]:
    columns = "ticket_id, order_id, ticket_type"
    if ticket_id is not None:
        rows = conn.execute(
            f"SELECT {columns} FROM manifest_tickets WHERE ticket_id = ?",  # noqa: S608
            (ticket_id,),
        ).fetchall()
        if not rows:  # not in the manifest (e.g. no sync): the ledger may still know it
            return [TicketInfo(ticket_id, None, None)]
    else:
        rows = conn.execute(
            f"SELECT {columns} FROM manifest_tickets WHERE order_id = ? ORDER BY ticket_id",  # noqa: S608
            (order_id,),
        ).fetchall()
    return [TicketInfo(tid, oid or None, ttype, names.get(ttype)) for tid, oid, ttype in rows]


def _sales(conn: sqlite3.Connection, order_id: str | None, ticket_id: str | None) -> list[SaleRow]:
    """The ``sale``/``void`` rows of the order (or of the sale that issued the ticket)
    in this agent's box-office ledger (schema v3; none in an older ledger)."""
    if not _has_table(conn, "sales"):
        return []
    columns = ", ".join(SALE_FIELDS)
    if order_id is None:
        found = conn.execute(
            "SELECT order_id FROM sales WHERE kind = 'sale' AND instr(tickets, ?) > 0",
            (f'"ticket_id":"{ticket_id}"',),
        ).fetchone()
        if found is None:
            return []
        order_id = str(found[0])
    return [
        SaleRow(tuple(r[:-1]), str(r[-1]))
        for r in conn.execute(
            f"SELECT {columns}, chain FROM sales WHERE order_id = ?"  # noqa: S608
            " AND kind IN ('sale', 'void') ORDER BY seq",
            (order_id,),
        )
    ]


def _with_sold_tickets(
    tickets: list[TicketInfo], sales: list[SaleRow], names: Mapping[int, str]
) -> list[TicketInfo]:
    """Add the tickets a door sale issued that the manifest copy does not list yet (the
    platform has not sent them back) or lists without their order."""
    known = {t.ticket_id: t for t in tickets if t.order_id is not None}
    for row in sales:
        if row.get("kind") != "sale":
            continue
        for item in parse_tickets_text(str(row.get("tickets"))):
            if item["ticket_id"] not in known:
                ttype = item["ticket_type"]
                known[item["ticket_id"]] = TicketInfo(
                    item["ticket_id"], row.get("order_id"), ttype, names.get(ttype)
                )
    return sorted(known.values(), key=lambda t: t.ticket_id) or tickets


def _export_checkpoint(
    conn: sqlite3.Connection,
    agent_id: str,
    key: KeyFile,
    head: int,
    offset: int | None,
    rtt: int | None,
    now_ms: int,
) -> Checkpoint:
    chain = chain_before(conn, agent_id, head + 1)
    return sign_checkpoint(
        key.private_key,
        agent_id=agent_id,
        number=0,
        through_seq=head,
        chain=chain,
        at_ms=now_ms,
        clock_offset_ms=offset,
        clock_rtt_ms=rtt,
    )


def _event_of(
    conn: sqlite3.Connection, config: Config, order_id: str | None, ticket_id: str | None
) -> int:
    """The event the pack's tickets are for (a box may admit several): the manifest's,
    else the one their scans recorded, else the box's main event."""
    row = conn.execute(
        "SELECT event_id FROM manifest_tickets WHERE ticket_id = ? OR order_id = ? LIMIT 1",
        (ticket_id or "", order_id or ""),
    ).fetchone()
    if row is None and ticket_id is not None:
        row = conn.execute(
            "SELECT event_id FROM scans WHERE ticket_id = ? AND event_id IS NOT NULL LIMIT 1",
            (ticket_id,),
        ).fetchone()
    return int(row[0]) if row is not None else config.event.event_id


def _keyring(config: Config, platform_keyring_json: str | None) -> dict[str, Any]:
    """The platform's keyring as last synced (platform key + certified agents), else
    the config's keyring file: what a verifier needs to trust this agent's key. Never
    the events' rotation secrets: a pack leaves the venue.

    pretix certifies no agent key: with a pretix link the pack carries the config
    file's keyring (where the venue's own key certifies this box, docs/pretix.md) and
    pretix's event keys beside it."""
    if platform_keyring_json and config.sync.kind != "pretix":
        doc = json.loads(platform_keyring_json)
        return public_keyring_doc(doc) if isinstance(doc, dict) else {"keys": []}
    file_doc = read_json_file(config.event.keyring, "keyring")
    keys = list(file_doc.get("keys", [])) if isinstance(file_doc, dict) else []
    if platform_keyring_json:
        seen = {k.get("public_key") for k in keys if isinstance(k, dict)}
        extra = json.loads(platform_keyring_json).get("keys", [])
        keys += [k for k in extra if isinstance(k, dict) and k.get("public_key") not in seen]
    return {"keys": keys}  # the keys only: no rotation secrets
