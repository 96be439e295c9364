"""The mesh's exception tree (under ``GatehouseError``)."""

from __future__ import annotations

from edge_agent.errors import GatehouseError


class MeshError(GatehouseError):
    """Something about the venue mesh cannot be done; the message says what and why."""


class JoinRefused(MeshError):
    """A join request was refused (unknown, used or expired code; a name in use).

    ``code`` is the stable API error code the joining box is told."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MeshUnavailable(MeshError):
    """The box's NATS server or the cluster cannot be reached (no quorum, not started)."""


class ServerStartFailed(MeshError):
    """The ``nats-server`` child did not come up; the message carries its last log line."""
