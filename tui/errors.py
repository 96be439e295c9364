"""The TUI's exception tree: what went wrong talking to the agent, in words for staff."""

from __future__ import annotations


class TuiError(Exception):
    """Root of every error the TUI raises on purpose."""


class AgentUnreachable(TuiError):
    """No answer from the agent (refused, timed out, not HTTP): the UI keeps retrying."""


class AgentRefused(TuiError):
    """The agent answered with an error body ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{message} ({status} {code})")
        self.status = status
        self.code = code
        self.message = message


class TokenRefused(AgentRefused):
    """401: the token is unknown or revoked; the device must pair again."""


class TokenFileError(TuiError):
    """The token file cannot be read or written (names the file and why)."""
