"""The agent's documents as the TUI reads them, typed in one place.

Each answer of the agent's API (``docs/api.md``) the TUI uses is a small frozen dataclass
here, read from the JSON by ``AgentApi`` (``tui/client.py``) before a screen sees it, so
screens work with fields, not with ``dict.get`` chains. Reading is lenient on purpose: a
field that is missing or of another type reads as its default (an older or newer agent
must not crash the counter's screen), and the agent checks every request again anyway.
The TUI imports nothing of the agent (import-linter), so these are the TUI's own view of
the API's shapes; ``tests/tui/test_replay_shapes.py`` keeps them honest.
"""
