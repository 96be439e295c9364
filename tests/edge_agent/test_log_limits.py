"""No client can fill the disk through the log: repeated lines are limited and counted."""

from __future__ import annotations

import io
import json
import logging

from edge_agent.api.message_rate import TokenBucket
from edge_agent.logs import RepeatLimiter, setup_logging


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(msg: str, level: int = logging.WARNING, name: str = "x") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_a_repeated_line_is_written_a_few_times_a_minute_then_counted() -> None:
    clock = Clock()
    limiter = RepeatLimiter(burst=3, window_s=60, clock=clock)
    # the same line with other numbers in it (fds, ports) is the same kind of line
    passed = [limiter.filter(record(f"accept failed on fd {i}")) for i in range(1000)]
    assert passed[:3] == [True] * 3 and not any(passed[3:])
    assert limiter.suppressed == 997
    other = record("another line")
    assert limiter.filter(other)  # other lines are not affected
    clock.now += 61
    later = record("accept failed on fd 7")
    assert limiter.filter(later) and later.repeats_left_out == 997  # said once, later


def test_many_different_lines_are_limited_overall() -> None:
    clock = Clock()
    limiter = RepeatLimiter(burst=5, per_s=10, total_burst=20, clock=clock)
    passed = sum(limiter.filter(record(f"line {chr(65 + i % 26)}{i // 26}x")) for i in range(500))
    assert passed == 20
    clock.now += 1.0
    nxt = record("a new kind of line")
    assert limiter.filter(nxt) and nxt.lines_left_out == 480


def test_debug_lines_are_not_limited() -> None:
    limiter = RepeatLimiter(burst=1, clock=Clock())
    assert all(limiter.filter(record("scan", logging.DEBUG)) for _ in range(50))


def test_a_log_storm_costs_a_few_lines_on_disk() -> None:
    out = io.StringIO()
    setup_logging("info", "json", stream=out)
    try:
        log = logging.getLogger("edge_agent.storm")
        for i in range(20_000):
            try:
                raise OSError(24, "Too many open files")
            except OSError:
                log.exception("socket.accept() out of system resource (fd %d)", i)
    finally:
        setup_logging("info", "json")
    lines = out.getvalue().splitlines()
    assert 1 <= len(lines) <= 5 and len(out.getvalue()) < 10_000
    assert "limited" in lines[-1] or json.loads(lines[-1]).get("repeats_limited_for_s")


def test_a_socket_gets_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(rate_per_s=10, burst=20, now_s=0.0)
    assert sum(bucket.take(0.0) for _ in range(100)) == 20
    assert bucket.refused == 80
    assert sum(bucket.take(1.0) for _ in range(100)) == 10  # one second later: 10 more
