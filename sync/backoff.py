"""Exponential backoff with full jitter (``docs/sync.md``: base 1 s, cap ``backoff_max_s``).

Full jitter (a uniform delay between 0 and the exponential ceiling) spreads a venue's
agents apart after a shared outage instead of having them retry in lock-step. The RNG is
passed in, so tests can pin the sequence.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError(f"need 0 < base_s <= cap_s, got base {base_s}, cap {cap_s}")
        self._base = base_s
        self._cap = cap_s
        self._rng = rng or random.Random()
        self._failures = 0

    @property
    def failures(self) -> int:
        """Failures in a row since the last success."""
        return self._failures

    def ceiling(self) -> float:
        """The upper bound of the next delay: base·2^failures, at most the cap."""
        # Cap the exponent too: 2**n for a long outage must not become a huge float.
        return min(self._cap, self._base * float(2 ** min(self._failures, 62)))

    def next_delay(self) -> float:
        """Count a failure and return how long to wait before the next attempt."""
        delay = self._rng.uniform(0, self.ceiling())
        self._failures += 1
        return delay

    def reset(self) -> None:
        self._failures = 0
