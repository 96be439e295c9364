"""The pure parts of sync: clock samples and the min-rtt rule, backoff with full jitter."""

from __future__ import annotations

import random

import pytest

from sync.backoff import Backoff
from sync.clock import ClockEstimator, ClockSample, sample_from_exchange


def test_sample_follows_the_ntp_formulas() -> None:
    # sent at 1000, answered at 1040 (agent clock); platform said 1520 → it is ~500 ahead
    s = sample_from_exchange(1000, 1040, 1520)
    assert (s.rtt_ms, s.offset_ms, s.measured_at_ms) == (40, 500, 1040)
    assert s.error_bound_ms == 20
    # a platform behind us gives a negative offset
    assert sample_from_exchange(5000, 5010, 4000).offset_ms == -1005


def test_a_clock_stepping_back_mid_exchange_is_not_a_perfect_sample() -> None:
    s = sample_from_exchange(2000, 1990, 2100)
    assert s.rtt_ms == 0  # clamped, never negative
    assert s.offset_ms == 2100 - 1995


def test_best_is_the_smallest_rtt_among_recent_samples() -> None:
    est = ClockEstimator(keep=4, max_age_ms=60_000)
    assert est.best(0) is None
    est.add(ClockSample(100, 50, 1_000))
    best = est.add(ClockSample(80, 4, 2_000))
    assert best == ClockSample(80, 4, 2_000)
    assert est.add(ClockSample(120, 30, 3_000)) == ClockSample(80, 4, 2_000)
    # equal rtt: the newer one wins (it reflects drift since)
    assert est.add(ClockSample(90, 4, 4_000)) == ClockSample(90, 4, 4_000)


def test_old_and_evicted_samples_stop_counting() -> None:
    est = ClockEstimator(keep=2, max_age_ms=10_000)
    est.add(ClockSample(1, 1, 0))
    est.add(ClockSample(2, 9, 1_000))
    est.add(ClockSample(3, 8, 2_000))  # evicts the rtt-1 sample (keep=2)
    assert est.best(2_000) == ClockSample(3, 8, 2_000)
    # everything is older than max_age: the newest sample still beats none
    assert est.best(50_000) == ClockSample(3, 8, 2_000)
    est.add(ClockSample(4, 20, 50_000))
    assert est.best(50_000) == ClockSample(4, 20, 50_000)


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    class Top(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # the ceiling itself

    b = Backoff(1.0, 20.0, Top())
    assert [b.next_delay() for _ in range(7)] == [1, 2, 4, 8, 16, 20, 20]
    assert b.failures == 7
    b.reset()
    assert b.failures == 0 and b.next_delay() == 1


def test_backoff_jitter_spreads_over_the_whole_range() -> None:
    b = Backoff(1.0, 300.0, random.Random(42))
    for _ in range(5):
        b.next_delay()
    delays = []
    for _ in range(400):
        delays.append(b.next_delay())
        b._failures = 5  # stay at the 32 s ceiling
    assert all(0 <= d <= 32 for d in delays)
    assert min(delays) < 4 and max(delays) > 28  # full jitter, not "ceiling ± a bit"
    # a long outage does not overflow: the cap holds
    b._failures = 10_000
    assert 0 <= b.next_delay() <= 300


def test_backoff_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="base"):
        Backoff(0, 10)
    with pytest.raises(ValueError, match="base"):
        Backoff(5, 1)
