"""Reconnect delays for lost devices: quick first retries, then a calm ceiling.

A scanner pulled out and put back should work again within a fraction of a second, but a
port that stays gone must not spin the CPU or flood the log; doubling up to a ceiling, with
a little jitter so several lost devices don't retry in lockstep, gives both.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, first_s: float, max_s: float, *, jitter: float = 0.1) -> None:
        self._first = max(0.0, first_s)
        self._max = max(self._first, max_s)
        self._jitter = jitter
        self._next = self._first
        self.failures = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the following one."""
        delay = self._next
        self._next = min(self._max, max(self._next * 2, 0.01))
        self.failures += 1
        return delay * (1 + random.uniform(-self._jitter, self._jitter))

    def reset(self) -> None:
        """The device works again: the next loss starts from the short delay."""
        self._next = self._first
        self.failures = 0
