"""Clock offset between agent and platform, NTP style (``docs/sync.md``, "Clock").

Pure: callers pass the three times of an exchange. For one exchange

    rtt    = t_received − t_sent
    offset = platform_time − (t_sent + t_received) / 2      (platform − agent)

The true offset lies within ±rtt/2 of that, so among recent samples the one with the
smallest rtt is the best estimate; older samples age out so a drifting clock is followed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ClockSample:
    """One exchange's estimate. ``measured_at_ms`` is agent time (when the answer came)."""

    offset_ms: int
    rtt_ms: int
    measured_at_ms: int

    @property
    def error_bound_ms(self) -> float:
        return self.rtt_ms / 2


def sample_from_exchange(t_sent_ms: int, t_received_ms: int, platform_ms: int) -> ClockSample:
    """The sample of one request/response. A clock that stepped backwards mid-exchange
    gives a negative rtt; it is clamped to 0 rather than trusted as "perfect"."""
    rtt = max(0, t_received_ms - t_sent_ms)
    offset = platform_ms - (t_sent_ms + t_received_ms) // 2
    return ClockSample(offset_ms=offset, rtt_ms=rtt, measured_at_ms=t_received_ms)


class ClockEstimator:
    """Keeps the last ``keep`` samples not older than ``max_age_ms``; ``best`` is the
    one with the smallest rtt (the newest among equals)."""

    def __init__(self, keep: int = 8, max_age_ms: int = 15 * 60_000) -> None:
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self._samples: deque[ClockSample] = deque(maxlen=keep)
        self._max_age_ms = max_age_ms

    def add(self, sample: ClockSample) -> ClockSample:
        """Record a sample; returns the current best estimate."""
        self._samples.append(sample)
        best = self.best(sample.measured_at_ms)
        assert best is not None
        return best

    def best(self, now_ms: int) -> ClockSample | None:
        fresh = [s for s in self._samples if now_ms - s.measured_at_ms <= self._max_age_ms]
        if not fresh:
            # Nothing recent: the newest sample is still better than none.
            return self._samples[-1] if self._samples else None
        return min(reversed(fresh), key=lambda s: s.rtt_ms)
