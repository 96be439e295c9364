"""The same code on the same lane within a short window counts once.

Scanners in presentation mode, cameras and nervous thumbs read one ticket several times a
second. Without this, the second read of a ticket just admitted would come back as
"already admitted" and the gate would flash amber at someone who did nothing wrong.

The window *slides*: every repeat read restarts it, so a ticket held in front of a camera
counts once however long it stays there; it counts again only after it has been out of
sight for the whole window. Each entry can carry the first read's outcome, so a network
scanner that repeats itself is answered with the verdict it already got.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

P = TypeVar("P")


class Debouncer(Generic[P]):
    def __init__(self, window_ms: int, max_entries: int = 10_000) -> None:
        self.window_ns = max(0, window_ms) * 1_000_000
        self._max = max_entries
        self._seen: OrderedDict[str, tuple[int, P]] = OrderedDict()
        #: Reads suppressed as repeats so far.
        self.suppressed = 0

    def repeat_of(self, text: str, at_ns: int) -> tuple[bool, P | None]:
        """``(True, payload of the first read)`` if ``text`` was read within the window
        before ``at_ns`` (and restart its window), else ``(False, None)``."""
        self._expire(at_ns)
        hit = self._seen.get(text)
        if hit is None:
            return False, None
        self._seen[text] = (at_ns, hit[1])
        self._seen.move_to_end(text)
        self.suppressed += 1
        return True, hit[1]

    def remember(self, text: str, at_ns: int, payload: P) -> None:
        """A read that counts: repeats of ``text`` within the window will be suppressed."""
        if self.window_ns == 0:
            return
        self._seen[text] = (at_ns, payload)
        self._seen.move_to_end(text)
        while len(self._seen) > self._max:
            self._seen.popitem(last=False)

    def forget(self, text: str) -> None:
        """Let the next read of ``text`` count (its verdict could not be recorded)."""
        self._seen.pop(text, None)

    def _expire(self, now_ns: int) -> None:
        while self._seen:
            text, (at_ns, _) = next(iter(self._seen.items()))
            if now_ns - at_ns < self.window_ns:
                return
            del self._seen[text]
