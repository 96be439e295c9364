"""The GH1 ticket body as a value (``docs/formats/ticket-v1.md``)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

BODY_STRUCT = struct.Struct(">BB4sI16sHII")
BODY_LEN = BODY_STRUCT.size  # 36
SIGNATURE_LEN = 64
VERSION = 1
SIGNING_CONTEXT = b"gatehouse-ticket-v1"


@dataclass(frozen=True, slots=True)
class TicketBody:
    """The 36 signed bytes of a GH1 code, decoded."""

    key_id: bytes  # 4 bytes
    event_id: int
    ticket_id: bytes  # 16 bytes
    ticket_type: int
    valid_from: int = 0  # 0 = no lower bound
    valid_until: int = 0  # 0 = no upper bound
    version: int = VERSION
    flags: int = 0

    def to_bytes(self) -> bytes:
        return BODY_STRUCT.pack(
            self.version,
            self.flags,
            self.key_id,
            self.event_id,
            self.ticket_id,
            self.ticket_type,
            self.valid_from,
            self.valid_until,
        )

    @property
    def key_id_hex(self) -> str:
        return self.key_id.hex()

    @property
    def ticket_id_hex(self) -> str:
        return self.ticket_id.hex()


@dataclass(frozen=True, slots=True)
class SignedTicket:
    """A parsed (not yet verified) GH1 code."""

    body: TicketBody
    body_bytes: bytes
    signature: bytes

    def signing_message(self) -> bytes:
        return SIGNING_CONTEXT + self.body_bytes
