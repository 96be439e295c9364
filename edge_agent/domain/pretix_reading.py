"""From a scanned text to a pretix credential, and ``ticket inspect``'s verdict on it.

The read (strict parse + Ed25519 against each ``pretix_sig1`` key) is the expensive,
cacheable part, done once per text like a GH1 read; ``pretix_reason`` holds the cheap
checks that depend on the expected event and the time. Never raises on any text.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature

from edge_agent.domain.credential import MalformedCredential, PretixCredential
from edge_agent.domain.errors import CodecError
from edge_agent.domain.pretix_sig1 import (
    SCHEME,
    looks_like_pretix_sig1,
    parse_pretix_sig1,
    pretix_ticket_id,
)
from edge_agent.domain.reasons import ReasonCode
from edge_agent.domain.trusted_key import Keyring

_TICKET_FIELDS = ("seed", "item", "variation", "subevent", "valid_from", "valid_until")


def read_pretix(stripped: str, keyring: Keyring) -> PretixCredential | MalformedCredential | None:
    """A pretix credential, a ``malformed`` one (a spelling pretix's own reader would
    take, but not the canonical one), or ``None``: no pretix code at all."""
    try:
        secret = parse_pretix_sig1(stripped)
    except CodecError as exc:
        if looks_like_pretix_sig1(stripped):
            return MalformedCredential(detail=exc.detail)
        return None
    for key in keyring.pretix_keys:
        try:
            key.public_key.verify(secret.signature, secret.payload)
        except InvalidSignature:
            continue
        return PretixCredential(
            secret.ticket, ReasonCode.OK, key, pretix_ticket_id(secret.ticket.seed)
        )
    return PretixCredential(secret.ticket, ReasonCode.BAD_SIGNATURE, None, None)


def validity_reason(valid_from: int, valid_until: int, at: int, grace_s: int) -> ReasonCode | None:
    """``NOT_YET_VALID``/``EXPIRED``/``None``; inclusive bounds, 0 = none, ``grace_s``
    widening both (the same rule as GH1's)."""
    if valid_from and at + grace_s < valid_from:
        return ReasonCode.NOT_YET_VALID
    if valid_until and at - grace_s > valid_until:
        return ReasonCode.EXPIRED
    return None


def pretix_reason(
    credential: PretixCredential, event: int | None, at: int, grace_s: int = 0
) -> ReasonCode:
    """The codec-level verdict in ``ticket inspect``'s order: signature, event (the key's
    scope is the ticket's event: a pretix code names none), validity window."""
    key = credential.key
    if credential.signature is not ReasonCode.OK or key is None:
        return credential.signature
    if event is not None and not key.allows_event(event):
        return ReasonCode.WRONG_EVENT
    ticket = credential.ticket
    return validity_reason(ticket.valid_from, ticket.valid_until, at, grace_s) or ReasonCode.OK


def inspect_pretix(
    credential: PretixCredential | MalformedCredential, event: int | None, at: int
) -> dict[str, object]:
    """``ticket inspect``'s object for a pretix code (``docs/formats/ticket-v1.md``)."""
    if isinstance(credential, MalformedCredential):
        return {
            "valid": False,
            "reason": ReasonCode.MALFORMED.value,
            "scheme": SCHEME,
            "key_id": None,
            "ticket_id": None,
            **dict.fromkeys(_TICKET_FIELDS),
        }
    reason = pretix_reason(credential, event, at)
    ticket = credential.ticket
    return {
        "valid": reason is ReasonCode.OK,
        "reason": reason.value,
        "scheme": SCHEME,
        "key_id": credential.key.key_id_hex if credential.key is not None else None,
        "ticket_id": credential.ticket_id,
        "seed": ticket.seed,
        "item": ticket.item,
        "variation": ticket.variation,
        "subevent": ticket.subevent,
        "valid_from": ticket.valid_from,
        "valid_until": ticket.valid_until,
    }
