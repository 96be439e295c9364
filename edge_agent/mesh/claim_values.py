"""How an admission claim is stored in the ``claims`` key-value bucket.

Key: ``t.<base64url of the ticket id>`` (KV keys allow only ``[-/_=.a-zA-Z0-9]``; a
ticket id may hold anything). Keys under ``p.`` are the members' quorum probes.

Value: a small JSON object carrying the ``AdmissionRecord`` *generically* (its
dataclass fields, whatever they are: the gate rules may add zones or day counts) plus
who made the change: the claim id (the ledger row's ``scan_id``, so a retry after an
unknown outcome is recognised as our own), the id of the claim that first admitted
the ticket (kept through exits and re-entries: replay tells "we won then" from "two
gates admitted it"), the agent and the gate.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from edge_agent.domain.gate_policy import AdmissionRecord

BUCKET = "claims"
STREAM = f"KV_{BUCKET}"
TICKET_PREFIX = "t."
PROBE_PREFIX = "p."
VALUE_VERSION = 1


def ticket_key(ticket_id: str) -> str:
    raw = base64.urlsafe_b64encode(ticket_id.encode("utf-8")).rstrip(b"=").decode("ascii")
    return TICKET_PREFIX + raw


def key_ticket(key: str) -> str | None:
    """The ticket id of a claim key; ``None`` for probe keys and anything else."""
    if not key.startswith(TICKET_PREFIX):
        return None
    text = key[len(TICKET_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def subject(key: str) -> str:
    return f"$KV.{BUCKET}.{key}"


def record_to_json(record: AdmissionRecord) -> dict[str, Any]:
    """Every field of the record, by name (``dataclasses.asdict``)."""
    return dataclasses.asdict(record)


def record_from_json(doc: Any) -> AdmissionRecord:
    """The record back from its fields; unknown names (a newer agent's) are ignored,
    missing ones take their defaults, lists come back as tuples (records are frozen).
    Raises ``ValueError`` when a field without a default is missing."""
    if not isinstance(doc, dict):
        raise ValueError("admission record is not an object")
    known = {f.name for f in dataclasses.fields(AdmissionRecord)}
    values: dict[str, Any] = {
        k: tuple(v) if isinstance(v, list) else v for k, v in doc.items() if k in known
    }
    try:
        return AdmissionRecord(**values)
    except TypeError as exc:
        raise ValueError(f"admission record: {exc}") from None


@dataclass(frozen=True, slots=True)
class ClaimValue:
    record: AdmissionRecord
    #: The ledger ``scan_id`` of the change that wrote this value.
    claim: str
    #: The ``scan_id`` of the ticket's first admission (unchanged by exits/re-entries).
    first_claim: str
    agent_id: str
    member: str
    gate_id: str

    def encode(self) -> bytes:
        doc = {
            "v": VALUE_VERSION,
            "record": record_to_json(self.record),
            "claim": self.claim,
            "first_claim": self.first_claim,
            "agent_id": self.agent_id,
            "member": self.member,
            "gate_id": self.gate_id,
        }
        return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8")

    @classmethod
    def decode(cls, data: bytes) -> ClaimValue:
        """Raises ``ValueError`` for a value this agent cannot read."""
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError("claim value is not JSON") from None
        if not isinstance(doc, dict):
            raise ValueError("claim value is not an object")
        try:
            return cls(
                record=record_from_json(doc["record"]),
                claim=str(doc["claim"]),
                first_claim=str(doc.get("first_claim", doc["claim"])),
                agent_id=str(doc.get("agent_id", "")),
                member=str(doc.get("member", "")),
                gate_id=str(doc.get("gate_id", "")),
            )
        except KeyError as exc:
            raise ValueError(f"claim value lacks {exc}") from None
