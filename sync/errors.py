"""One exception tree for the agent side of sync.

The worker decides what to do from the type alone: ``Retryable`` errors (transport
failures, 5xx, timeouts) are retried with backoff; ``UploadHalted`` stops one upload
stream until an operator looks (``chain_mismatch``, ``bad_row``: re-sending the same
rows can never succeed and must not hide the problem); the rest are reported and tried
again on the next interval.
"""

from __future__ import annotations

from typing import Any


class SyncError(Exception):
    """Root of every error the sync package raises on purpose."""


class Retryable(SyncError):
    """Worth trying again after a backoff delay."""


class TransportError(Retryable):
    """The platform could not be reached or the exchange broke off (incl. timeouts)."""


class ProtocolError(SyncError):
    """The platform answered something this agent cannot use (bad JSON, a page that
    breaks the contract, a seq that makes no sense). Nothing of it was applied."""


class PlatformError(SyncError):
    """A non-2xx answer with the contract's ``{"error": {"code", "message", …}}`` body."""

    def __init__(self, status: int, code: str, message: str, detail: dict[str, Any]) -> None:
        super().__init__(f"platform answered {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        #: The whole error object (e.g. ``stored_through_seq``, ``seq``, ``field``).
        self.detail = detail


class ServerError(PlatformError, Retryable):
    """5xx: the platform is having trouble; retried with backoff."""


class Unauthorized(PlatformError):
    """401 ``unauthorized``: the token is unknown or revoked (re-enrol the agent)."""


class Forbidden(PlatformError):
    """403 (e.g. ``wrong_agent``): the token belongs to another agent."""


class CursorUnknown(PlatformError):
    """409 ``cursor_unknown``: the platform does not know our manifest cursor."""


class UploadGap(PlatformError):
    """409 ``gap``: the platform holds fewer rows than we thought; rewind and re-send."""

    @property
    def stored_through_seq(self) -> int:
        value = self.detail.get("stored_through_seq")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProtocolError(f"409 gap without a usable stored_through_seq: {value!r}")
        return value


class ChainMismatch(PlatformError):
    """409 ``chain_mismatch``: a row differs from the stored one or does not chain."""


class BadRow(PlatformError):
    """422 ``bad_row``: the platform calls one of our rows malformed."""


class UploadHalted(SyncError):
    """An upload stream stopped after ``chain_mismatch`` / ``bad_row``; never retried
    automatically (an operator must look: the evidence trail itself is in question)."""

    def __init__(self, stream: str, reason: str) -> None:
        super().__init__(f"upload of {stream} stopped: {reason}")
        self.stream = stream
        self.reason = reason
