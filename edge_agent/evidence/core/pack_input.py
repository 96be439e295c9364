"""What a pack is built from: the values the edges read from what they hold and hand
to ``pack.build_pack`` (``docs/evidence.md``).

In their own module, like ``sale_entry.SaleRow``, so the builder (``pack``) and the
parts it calls (``scan_entry``) both import them and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edge_agent.evidence.core.checkpoint import Checkpoint
from edge_agent.evidence.core.sale_entry import SaleRow
from edge_agent.ledger.records import SCAN_FIELDS

#: A scan field's position in a ledger row (``SCAN_FIELDS`` order).
FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(SCAN_FIELDS)}


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One scan row as a ledger (or the platform's copy of it) holds it."""

    values: tuple[Any, ...]  # in records.SCAN_FIELDS order
    chain: str
    #: Platform only: when it arrived, the upload batch's clock object and software.
    received_at_ms: int | None = None
    upload_clock: Mapping[str, Any] | None = None
    software_version: str | None = None

    @property
    def seq(self) -> int:
        seq = self.values[0]
        assert isinstance(seq, int)
        return seq

    def get(self, name: str) -> Any:
        return self.values[FIELD_INDEX[name]]


@dataclass(frozen=True, slots=True)
class Segment:
    """Rows ``first..last`` of one agent, the chain before them, and the checkpoint
    that signs the last one (``None``: no checkpoint covers them yet)."""

    prev_chain: str
    rows: tuple[LedgerRow, ...]
    checkpoint: Checkpoint | None


@dataclass(frozen=True, slots=True)
class AgentEvidence:
    agent_id: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class TicketInfo:
    ticket_id: str
    order_id: str | None
    ticket_type: int | None
    ticket_type_name: str | None = None
    holder_name: str | None = None
    seat: str | None = None
    revocation: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class EventFacts:
    event_id: int
    name: str = ""
    venue: str = ""
    starts_at_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Assembler:
    """Who built the pack: ``by`` is "platform" or "agent"."""

    by: str
    id: str
    at_ms: int
    software_version: str
    #: Gate ids to the names staff use ("gate-3" → "Gate 3"), where known.
    gate_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PackInput:
    assembler: Assembler
    order_id: str | None
    tickets: tuple[TicketInfo, ...]
    event: EventFacts
    agents: tuple[AgentEvidence, ...]
    keyring: Mapping[str, Any]
    #: Platform only: customer, purchase, payment, delivery, … (``docs/evidence.md``).
    order: Mapping[str, Any] | None = None
    #: Door sales and voids of the order (box office ``sale``/``void`` rows).
    sales: tuple[SaleRow, ...] = ()
    omitted: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
