"""A genuine, small evidence pack built from values (keys, certificate, chained rows,
signed checkpoints), for the verifier's tests: tamper with it and watch it fail."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.domain.agent_certificate import issue_certificate
from edge_agent.domain.keyring import (
    dump_keyring,
    keyring_entry_for_agent,
    keyring_entry_for_platform,
)
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
from edge_agent.ledger.records import (
    ScanRow,
    canonical_scan_bytes,
    encode_ext,
    genesis_chain,
    next_chain,
    scan_values,
)
from edge_agent.ledger.sale_records import canonical_sale_bytes, sale_values, tickets_text

EVENT = 1001
AGENT = "gate-a"
T0 = 1_798_745_000_000  # 2026-12-31 19:23:20 UTC
SUBJECT = "a" * 32
OTHER = "b" * 32


@dataclass
class Built:
    pack: dict[str, Any]
    pack_bytes: bytes
    signature: PackSignature
    platform_key: Ed25519PrivateKey
    agent_key: Ed25519PrivateKey
    keyring: dict[str, Any]


def rows_for(
    agent_id: str, n: int, subject_at: set[int], ext_at: Mapping[int, dict[str, Any]] | None = None
) -> list[LedgerRow]:
    """``n`` chained rows; the ones in ``subject_at`` scan SUBJECT (admit, exit, …); the
    ones in ``ext_at`` carry that extension (``records.encode_ext``)."""
    chain = genesis_chain(agent_id)
    out = []
    for seq in range(1, n + 1):
        ticket = SUBJECT if seq in subject_at else OTHER
        outcome, reason, direction = "admit", "admitted", "in"
        if ticket == SUBJECT and seq != min(subject_at):
            outcome, reason, direction = "refuse", "already_admitted", "in"
        row = ScanRow(
            f"scan-{agent_id}-{seq}", T0 + seq * 1000, "gate-3", "lane-1", "cam-1", "camera",
            direction, "gh1", EVENT, ticket, 1, "0a0b0c0d",
            hashlib.sha256(f"code-{ticket}".encode()).hexdigest(), outcome, reason,
            None, None, T0 - 60_000,
        )  # fmt: skip
        ext = (ext_at or {}).get(seq)
        row = row._replace(ext=encode_ext(ext) if ext else None)
        chain = next_chain(chain, canonical_scan_bytes(seq, agent_id, row))
        values = scan_values(seq, agent_id, row) + ((ext,) if ext else ())
        out.append(LedgerRow(values, chain.hex(), T0 + seq * 1000 + 500, None, "0.1.0"))
    return out


def door_sale_rows(agent_id: str, order_id: str, *, voided: bool = False) -> tuple[SaleRow, ...]:
    """A till session and a terminal-paid sale of SUBJECT (its code hashes to what the
    gate rows record), chained from genesis; the pack gets the ``sale`` row."""
    common = {"event_id": EVENT, "session_id": "S-1", "device_id": "till-1", "operator": "Ana"}
    ticket = {"ticket_id": SUBJECT, "ticket_type": 1, "lease_id": "L-1", "unit_cents": 4500,
              "code": f"code-{SUBJECT}"}  # fmt: skip
    rows = [
        {**common, "entry_id": "e-1", "at_ms": T0, "kind": "session_open", "amount_cents": 0,
         "currency": "EUR"},
        {**common, "entry_id": "e-2", "at_ms": T0 + 500, "kind": "sale", "sale_id": "SALE-1",
         "order_id": order_id, "count": 1, "amount_cents": 4500, "currency": "EUR",
         "method": "terminal", "card_brand": "visa", "card_last4": "4242",
         "auth_ref": "A1B2C3", "terminal_id": "T-01", "customer_name": "Ada Lovelace",
         "delivery": "screen", "tickets": tickets_text([ticket])},
    ]  # fmt: skip
    if voided:
        void_ticket = {**ticket, "unit_cents": 0, "code": ""}
        rows.append(
            {**common, "entry_id": "e-3", "at_ms": T0 + 900, "kind": "void", "sale_id": "SALE-1",
             "order_id": order_id, "count": 1, "amount_cents": 4500, "currency": "EUR",
             "method": "terminal", "reason": "changed mind",
             "tickets": tickets_text([void_ticket])}
        )  # fmt: skip
    chain = genesis_chain(agent_id)
    out = []
    for seq, fields in enumerate(rows, start=1):
        values = sale_values(seq, agent_id, fields)
        chain = next_chain(chain, canonical_sale_bytes(values))
        out.append(SaleRow(values, chain.hex(), T0 + 2000))
    return tuple(r for r in out if r.get("kind") in ("sale", "void"))


def build(
    *,
    n: int = 8,
    subject_at: frozenset[int] = frozenset({2, 5}),
    checkpoint_every: int = 4,
    door_sale: bool = False,
    voided: bool = False,
    ext_at: Mapping[int, dict[str, Any]] | None = None,
) -> Built:
    platform_key = Ed25519PrivateKey.generate()
    agent_key = Ed25519PrivateKey.generate()
    cert = issue_certificate(
        platform_key,
        agent_id=AGENT,
        agent_public_key=agent_key.public_key().public_bytes_raw(),
        events=[EVENT],
        not_before=0,
        not_after=2**32 - 1,
    )
    keyring = dump_keyring(
        [
            keyring_entry_for_platform(platform_key.public_key().public_bytes_raw(), [EVENT]),
            keyring_entry_for_agent(cert),
        ]
    )
    rows = rows_for(AGENT, n, set(subject_at), ext_at)
    checkpoints: dict[int, Checkpoint] = {}
    for number, through in enumerate(range(checkpoint_every, n + 1, checkpoint_every), start=1):
        checkpoints[through] = sign_checkpoint(
            agent_key,
            agent_id=AGENT,
            number=number,
            through_seq=through,
            chain=rows[through - 1].chain,
            at_ms=T0 + through * 1000 + 100,
            clock_offset_ms=-12,
            clock_rtt_ms=4,
        )
    segments = []
    for first, last in plan_segments(subject_at, checkpoints, n):
        prev = genesis_chain(AGENT).hex() if first == 1 else rows[first - 2].chain
        segments.append(Segment(prev, tuple(rows[first - 1 : last]), checkpoints.get(last)))
    data = PackInput(
        assembler=Assembler("platform", "reference-platform", T0 + 86_400_000, "0.1.0"),
        order_id="O-1",
        tickets=(TicketInfo(SUBJECT, "O-1", 1, "VIP", "Ada Lovelace"),),
        event=EventFacts(EVENT, "New Year Gala", "Riverside Hall", T0),
        agents=(AgentEvidence(AGENT, tuple(segments)),),
        keyring=keyring,
        order={"customer": {"name": "Ada Lovelace", "email": "ada@example.org"}},
        sales=door_sale_rows(AGENT, "O-1", voided=voided) if door_sale else (),
    )
    pack = build_pack(data)
    pack_bytes = canonical_json(pack)
    return Built(
        pack, pack_bytes, sign_pack(platform_key, pack_bytes), platform_key, agent_key, keyring
    )
