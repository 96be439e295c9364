"""Errors of the pure core. ``CodecError`` carries the stable reason code."""

from __future__ import annotations

from edge_agent.domain.reasons import ReasonCode


class DomainError(Exception):
    """Root of the pure core's errors (kept apart from I/O errors on purpose)."""


class CodecError(DomainError):
    """A code could not be parsed. ``reason`` is always ``ReasonCode.MALFORMED`` for
    parse failures; ``detail`` says what exactly was wrong (for logs and ``inspect``)."""

    def __init__(self, detail: str, reason: ReasonCode = ReasonCode.MALFORMED) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason.value}: {detail}")


class KeyringError(DomainError):
    """A keyring document is structurally wrong (missing role, duplicate key id, ...)."""


class CertificateError(DomainError):
    """An agent certificate is malformed or does not verify."""
