"""Venue events: what one member learned or did that every member must know.

One JetStream stream (``VENUE_EVENTS``, subjects ``venue.events.<kind>.<member>``,
replicated like the claims) carries them; each member applies every event it did not
publish itself, in stream order, through its ledger writer, recording the stream
sequence in the same transaction (``event_apply``). Applying is idempotent (upserts by
id), so an event seen twice changes nothing.

The kinds and their bodies (all JSON):

- ``manifest``: part of a manifest page this box committed from the platform — ticket
  types, tickets, revocations, the platform keyring, the event's status and name, the
  manifest's time. One uplink is enough for the whole venue to refuse a refund.
- ``revocations``: revocations this box made (a voided door sale), ``[ticket_id,
  kind or null, at_ms, source]`` items.
- ``sales``: tickets this box sold at the door, so every member's look-ups know them
  (the tickets verify anywhere: they are signed with the seller's certified key).
- ``devices``: pairings and device revocations: a device paired at one box works at
  every member (token hashes only; tokens never leave the device that holds them).
- ``member_added`` / ``member_removed``: the roster changes (``roster``).
- ``conflict``: a ticket admitted at two gates while the cluster was split (``replay``).

The message id (``Nats-Msg-Id``) is derived from the content, so two members that
forward the same manifest page publish it once (within the stream's duplicate window).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

STREAM = "VENUE_EVENTS"
SUBJECT_PREFIX = "venue.events"
EVENT_FORMAT = 1
#: Largest body published in one message (the server's max_payload is 4 MB).
MAX_BODY_BYTES = 1_000_000


class EventKind(StrEnum):
    MANIFEST = "manifest"
    REVOCATIONS = "revocations"
    SALES = "sales"
    DEVICES = "devices"
    MEMBER_ADDED = "member_added"
    MEMBER_REMOVED = "member_removed"
    CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class VenueEvent:
    kind: EventKind
    #: The member that published it.
    origin: str
    at_ms: int
    body: dict[str, Any]

    @property
    def subject(self) -> str:
        return f"{SUBJECT_PREFIX}.{self.kind.value}.{self.origin}"

    def encode(self) -> bytes:
        doc = {
            "v": EVENT_FORMAT,
            "kind": self.kind.value,
            "origin": self.origin,
            "at_ms": self.at_ms,
            "body": self.body,
        }
        return json.dumps(doc, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()

    @property
    def msg_id(self) -> str:
        """Content-derived: the same facts published twice are stored once. The origin
        and time stay out, so two members forwarding one page collide on purpose."""
        body = json.dumps(self.body, separators=(",", ":"), sort_keys=True).encode()
        return f"{self.kind.value}:{hashlib.sha256(body).hexdigest()[:40]}"

    @classmethod
    def decode(cls, data: bytes) -> VenueEvent:
        """Raises ``ValueError`` for anything this agent cannot apply."""
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise ValueError("venue event is not JSON") from None
        if not isinstance(doc, dict) or doc.get("v") != EVENT_FORMAT:
            raise ValueError("venue event of an unknown format")
        try:
            kind = EventKind(doc["kind"])
        except (KeyError, ValueError):
            raise ValueError(f"venue event of unknown kind {doc.get('kind')!r}") from None
        body = doc.get("body")
        if not isinstance(body, dict):
            raise ValueError("venue event without a body")
        return cls(kind, str(doc.get("origin", "")), int(doc.get("at_ms", 0)), body)


def chunks(items: list[Any], limit_bytes: int = MAX_BODY_BYTES) -> list[list[Any]]:
    """Split ``items`` into lists whose JSON stays under ``limit_bytes`` (a big manifest
    page becomes several events; each applies on its own)."""
    out: list[list[Any]] = []
    current: list[Any] = []
    size = 0
    for item in items:
        n = len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()) + 1
        if current and size + n > limit_bytes:
            out.append(current)
            current, size = [], 0
        current.append(item)
        size += n
    if current or not out:
        out.append(current)
    return out
