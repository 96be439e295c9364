"""Tickets (``GET /api/v1/tickets``, ``…/tickets/{id}``), a manual override's verdict,
a ticket's evidence pack, and the paired devices (``GET /api/v1/devices``, pairing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self

from tui.documents.fields import Document, Fields


@dataclass(frozen=True, slots=True)
class Admission(Document):
    inside: bool
    entries: int | None
    first_admitted_at: str | None
    first_gate: str | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.flag("inside"), f.opt_integer("entries"), f.opt_text("first_admitted_at"),
                   f.opt_text("first_gate"))  # fmt: skip


def _admission(f: Fields) -> Admission | None:
    found = f.opt_obj("admission")
    return None if found is None else Admission.read(found)


@dataclass(frozen=True, slots=True)
class Ticket(Document):
    """One ticket of the manifest, with its revocation and admission state."""

    ticket_id: str
    ticket_type: int | None
    ticket_type_name: str | None
    order_id: str | None
    holder_name: str | None
    holder_email: str | None
    #: the revocation kind ("refunded", …), ``None`` when valid
    revoked: str | None
    admission: Admission | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(
            f.text("ticket_id"), f.opt_integer("ticket_type"), f.opt_text("ticket_type_name"),
            f.opt_text("order_id"), f.opt_text("holder_name"), f.opt_text("holder_email"),
            f.opt_text("revoked"), _admission(f),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TicketsFound(Document):
    """``GET /api/v1/tickets?q=``."""

    tickets: list[Ticket]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls([Ticket.read(t) for t in f.objs("tickets")])


@dataclass(frozen=True, slots=True)
class RecordedScan(Document):
    """One ledger row of a ticket's history (a scan or a manual override)."""

    at: str | None
    outcome: str
    reason: str
    gate: str
    lane: str
    device_id: str | None
    device_name: str | None
    override_operator: str | None
    override_reason: str | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(
            f.opt_text("at"), f.text("outcome"), f.text("reason"), f.text("gate"), f.text("lane"),
            f.opt_text("device_id"), f.opt_text("device_name"), f.opt_text("override_operator"),
            f.opt_text("override_reason"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class TicketDetail(Document):
    """``GET /api/v1/tickets/{id}``: the manifest's ticket (``None`` for a code the
    manifest does not hold), its state and every ledger row of it."""

    ticket_id: str
    ticket: Ticket | None
    revoked: str | None
    admission: Admission | None
    scans: list[RecordedScan]

    @classmethod
    def read(cls, f: Fields) -> Self:
        ticket = f.opt_obj("ticket")
        return cls(
            f.text("ticket_id"), None if ticket is None else Ticket.read(ticket),
            f.opt_text("revoked"), _admission(f), [RecordedScan.read(s) for s in f.objs("scans")],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verdict(Document):
    """A verdict (here: a manual override's, ``POST …/tickets/{id}/override``)."""

    seq: int | None
    outcome: str

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.opt_integer("seq"), f.text("outcome"))


@dataclass(frozen=True, slots=True)
class EvidenceAnswer(Document):
    """``GET /api/v1/tickets/{id}/evidence``: the pack as the exact signed text, its
    signature object and HTML (written to disk untouched), and its conclusion lines."""

    evidence_json: str | None
    signature: dict[str, object] | None
    html: str
    conclusion: list[str]

    @classmethod
    def read(cls, f: Fields) -> Self:
        signature = f.raw("signature")
        return cls(
            f.opt_text("evidence_json"), signature if isinstance(signature, dict) else None,
            f.text("html"), f.texts("conclusion"),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Device(Document):
    device_id: str
    name: str
    role: str
    paired_at: str | None
    revoked_at: str | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("device_id"), f.text("name"), f.text("role"), f.opt_text("paired_at"),
                   f.opt_text("revoked_at"))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Devices(Document):
    """``GET /api/v1/devices``."""

    devices: list[Device]

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls([Device.read(d) for d in f.objs("devices")])


@dataclass(frozen=True, slots=True)
class Revoked(Document):
    """``POST /api/v1/devices/{id}/revoke``."""

    device_id: str
    revoked_at: str | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("device_id"), f.opt_text("revoked_at"))


@dataclass(frozen=True, slots=True)
class PairingCode(Document):
    """``POST /api/v1/pairing-codes``: a one-time code for a new device."""

    code: str
    role: str
    name: str
    expires_at: str | None

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("code"), f.text("role"), f.text("name"), f.opt_text("expires_at"))


@dataclass(frozen=True, slots=True)
class Paired(Document):
    """``POST /api/v1/pair``: this TUI's token (``""`` if the answer held none)."""

    token: str
    device_id: str
    name: str
    role: str

    @classmethod
    def read(cls, f: Fields) -> Self:
        return cls(f.text("token"), f.text("device_id"), f.text("name"), f.text("role"))
