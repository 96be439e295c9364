"""Bodies and answers of the mesh's routes (``api/routes/mesh.py``, ``docs/api.md``)."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from msgspec import Meta

from edge_agent.api.schema.body_rules import Body, text


class JoinBody(Body, frozen=True):
    """A box asking to join the venue (``edge-agent mesh join``); ``proof`` is an HMAC
    under a key only the join code gives (the code itself is never sent)."""

    request: dict[str, Any]
    proof: Annotated[str, text(min_len=64, max_len=64, pattern=r"[0-9a-f]{64}")]


class JoinAsk(Body, frozen=True):
    """``edge-agent mesh join`` on this box: the member's LAN API and the code it gave."""

    via: Annotated[str, text(min_len=8, max_len=256, strip=True, printable=True)]
    code: Annotated[str, text(min_len=12, max_len=32, strip=True, pattern=r"[A-Za-z0-9 -]+")]


class LeaveAsk(Body, frozen=True):
    #: Leave even without a quorum (the others must then remove this box too).
    force: bool = False


class JoinAnswer(TypedDict):
    """The sealed bundle (roster, venue CA, the new member's certificate)."""

    nonce: str
    sealed: str


class JoinCode(TypedDict):
    code: str
    expires_at: str
    #: The LAN API of the member that issued it (what ``mesh join --via`` takes).
    via: str


class MeshMemberView(TypedDict):
    name: str
    gate: str
    agent_id: str
    api: str
    self: bool
    up: bool
    last_contact_s: float | None
    lag: int
    replicas: dict[str, str]


class MeshAlert(TypedDict):
    code: str
    message: str


class MeshView(TypedDict):
    """The ``mesh`` object of ``GET /api/v1/status`` (``null`` without ``[mesh]``)."""

    enabled: bool
    mode: str
    venue_id: str
    member: str
    members: list[MeshMemberView]
    expected: int
    up: int
    quorum: bool
    replicas: int
    unconfirmed_policy: str
    server: dict[str, Any]
    stores: dict[str, Any]
    claims: dict[str, int]
    events: dict[str, int]
    conflicts: int
    join_codes_pending: int
    alerts: list[MeshAlert]
    last_error: str | None


class MeshMembers(TypedDict):
    """``GET /api/v1/mesh``: where a device may go when its box stops answering."""

    self: str
    quorum: bool
    members: list[dict[str, Any]]


class ConflictView(TypedDict):
    ticket_id: str
    agent_id: str
    member: str
    gate_id: str
    at: str
    scan_id: str
    winner_agent_id: str
    winner_member: str
    winner_gate: str
    winner_at: str
    found_at: str


class ConflictList(TypedDict):
    conflicts: list[ConflictView]


class Removed(TypedDict):
    removed: str
    members: list[str]


LIMIT = Annotated[int, Meta(ge=1, le=1000)]
