"""What a scanned text turns into before ``decide()`` sees it.

Reading a code (parse + signature check) is separate from deciding on it, so the
expensive signature check can be cached per code text at the edge while ``decide()``
stays pure and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edge_agent.domain.pretix_payload import PretixTicket
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.trusted_key import TrustedKey


class CredentialKind(StrEnum):
    GH1 = "gh1"
    GH1_ROTATING = "gh1_rotating"  # a GH1 code with its 15-s value (rotating-v1)
    PLAIN = "plain"
    PRETIX_SIG1 = "pretix_sig1"
    UNREADABLE = "unreadable"
    MANUAL = "manual"  # no code was scanned: a supervisor's override (``domain/override.py``)


@dataclass(frozen=True, slots=True)
class SignedCredential:
    """A well-formed GH1 code and the result of its signature check.

    ``signature`` is ``OK``, ``UNKNOWN_KEY`` or ``BAD_SIGNATURE``; ``key`` is set when
    the key id was found in the keyring.
    """

    ticket: TicketBody
    signature: ReasonCode
    key: TrustedKey | None

    kind = CredentialKind.GH1


@dataclass(frozen=True, slots=True)
class PretixCredential:
    """A canonically spelled ``pretix_sig1`` code and the result of its signature check.

    ``signature`` is ``OK`` (``key`` is the ``pretix_sig1`` key that verified it) or
    ``BAD_SIGNATURE`` (no trusted key did; ``key`` is ``None``). ``ticket_id`` is derived
    from the verified seed (``pretix_sig1.pretix_ticket_id``) and ``None`` when the
    signature failed: an unverified payload names no ticket.
    """

    ticket: PretixTicket
    signature: ReasonCode
    key: TrustedKey | None
    ticket_id: str | None

    kind = CredentialKind.PRETIX_SIG1


@dataclass(frozen=True, slots=True)
class RotatingCredential:
    """A rotating code: its static GH1 part, read as any GH1 code, and the step and
    one-time-value check of the live part (``docs/formats/rotating-v1.md``).

    ``otp`` is ``OK``, ``BAD_SIGNATURE`` (the value does not match) or ``UNKNOWN_KEY``
    (no rotation secret for the ticket's event in the keyring). Whether ``step`` is
    current depends on the time, so ``decide()`` judges that.
    """

    signed: SignedCredential
    step: int
    otp: ReasonCode

    kind = CredentialKind.GH1_ROTATING


@dataclass(frozen=True, slots=True)
class PlainCredential:
    """A non-GH1 text: a plain code, looked up in the manifest by ``decide()``'s state."""

    code_sha256: str

    kind = CredentialKind.PLAIN


@dataclass(frozen=True, slots=True)
class MalformedCredential:
    detail: str

    kind = CredentialKind.UNREADABLE


Credential = (
    SignedCredential | RotatingCredential | PretixCredential | PlainCredential | MalformedCredential
)
