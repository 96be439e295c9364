"""What screens tell the app ("attributes down, messages up").

The app hands each screen what it needs when it makes it (the API client, the clock,
the time zone) and keeps the shared state screens watch (``status``, ``figures``,
``link``); a screen never reaches into the app. When a screen needs the app to act, it
posts one of these messages, which bubble from the screen to the app.
"""

from __future__ import annotations

from textual.message import Message

from tui.errors import AgentRefused


class CallRefused(Message):
    """The agent refused ``action``: the app tells staff why, and asks for a new pairing
    code when it was the token that was refused."""

    def __init__(self, error: AgentRefused, action: str) -> None:
        super().__init__()
        self.error = error
        self.action = action


class StatusWanted(Message):
    """Poll the status and the box-office figures now (after an action changed them)."""
