"""Who is in the venue: the roster every member holds, as plain values.

A roster lists the members (each box's name, gate, the addresses others reach it at,
the SHA-256 pin of its certificate's public key and its two NKEY public keys) and the
names removed for good. Every member renders its NATS config from it, so the roster
is what admits a box to the cluster: a member that is not on it has no pinned
certificate and no NKEY user anywhere, and cannot connect.

Changes travel as venue events (``member_added`` / ``member_removed``) applied in
stream order, so all members fold the same changes in the same order and agree. It is
stored as ``<data_dir>/mesh/roster.json`` (public information only: no seeds, no keys).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from edge_agent.mesh.errors import MeshError

ROSTER_FILE = "roster.json"
ROSTER_FORMAT = "gatehouse-mesh-roster-v1"
#: A member name is its NATS ``server_name`` and a subject token: letters, digits, - _.
MEMBER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_HOST_PORT = re.compile(r"[A-Za-z0-9.\-:\[\]]{1,253}:[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    agent_id: str
    #: The gate's display name ("Gate 3"), for status pages and verdicts.
    gate: str
    #: "host:port" the other members' servers dial for cluster routes.
    route: str
    #: "host:port" of the member's NATS client listener (agents fail over to it).
    client: str
    #: The member's LAN API base URL, for devices that move to it when theirs is down.
    api: str
    #: SHA-256 (hex) of the member certificate's DER SubjectPublicKeyInfo.
    pin: str
    #: NKEY public keys: the agent's user (account VENUE) and its admin user (SYS).
    agent_nkey: str
    admin_nkey: str
    joined_at_ms: int = 0

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Member:
        try:
            member = cls(**{k: doc[k] for k in _MEMBER_FIELDS if k in doc})
        except TypeError as exc:
            raise MeshError(f"roster member is incomplete: {exc}") from None
        member.check()
        return member

    def check(self) -> None:
        """Raise ``MeshError`` naming the first field that is not well formed."""
        if not MEMBER_NAME.fullmatch(self.name):
            raise MeshError(f"member name {self.name!r}: letters, digits, - and _ (≤ 32)")
        for key in ("route", "client"):
            value = getattr(self, key)
            if not isinstance(value, str) or not _HOST_PORT.fullmatch(value):
                raise MeshError(f"member {self.name}: {key} {value!r} is not host:port")
        if not re.fullmatch(r"[0-9a-f]{64}", self.pin):
            raise MeshError(f"member {self.name}: pin is not a SHA-256 hex digest")
        for key in ("agent_nkey", "admin_nkey"):
            value = getattr(self, key)
            if not re.fullmatch(r"U[A-Z2-7]{55}", value):
                raise MeshError(f"member {self.name}: {key} is not an NKEY user public key")


_MEMBER_FIELDS = tuple(Member.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class Roster:
    #: Random id made when the venue's mesh was founded; a join names it.
    venue_id: str
    venue: str
    members: tuple[Member, ...] = ()
    #: Names removed from the venue: never admitted again under that name.
    removed: tuple[str, ...] = ()
    #: Stream sequence of the last membership event folded in (0: none yet).
    applied_seq: int = 0

    def member(self, name: str) -> Member | None:
        return next((m for m in self.members if m.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def replicas(self) -> int:
        """Copies of each claim and event: every member, at most three."""
        return max(1, min(3, self.size))

    def added(self, member: Member) -> Roster:
        """With ``member`` (replacing one of the same name, e.g. new addresses)."""
        if member.name in self.removed:
            raise MeshError(f"{member.name!r} was removed from this venue; pick another name")
        rest = tuple(m for m in self.members if m.name != member.name)
        return replace(self, members=tuple(sorted((*rest, member), key=lambda m: m.name)))

    def without(self, name: str) -> Roster:
        return replace(
            self,
            members=tuple(m for m in self.members if m.name != name),
            removed=tuple(sorted({*self.removed, name})),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ROSTER_FORMAT,
            "venue_id": self.venue_id,
            "venue": self.venue,
            "members": [asdict(m) for m in self.members],
            "removed": list(self.removed),
            "applied_seq": self.applied_seq,
        }

    @classmethod
    def from_json(cls, doc: Any) -> Roster:
        if not isinstance(doc, dict) or doc.get("format") != ROSTER_FORMAT:
            raise MeshError(f"not a roster (format {ROSTER_FORMAT!r} expected)")
        try:
            return cls(
                venue_id=str(doc["venue_id"]),
                venue=str(doc.get("venue", "")),
                members=tuple(Member.from_json(m) for m in doc["members"]),
                removed=tuple(str(n) for n in doc.get("removed", [])),
                applied_seq=int(doc.get("applied_seq", 0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise MeshError(f"roster is not well formed: {exc!r}") from None


def load_roster(directory: Path) -> Roster | None:
    """The roster in ``directory``, or ``None`` before the box founded or joined a venue."""
    path = directory / ROSTER_FILE
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    try:
        return Roster.from_json(json.loads(text))
    except (json.JSONDecodeError, MeshError) as exc:
        raise MeshError(f"{path}: {exc}") from None


def save_roster(directory: Path, roster: Roster) -> None:
    """Write atomically (a crash leaves the old or the new roster, never half of one)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / ROSTER_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(roster.to_json(), indent=1, sort_keys=True) + "\n", "utf-8")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
