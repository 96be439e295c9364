"""The demo's scan stream says what each scan is: a "repeat" is a code inside right now
(so the gate refuses it), never one that only went out before (that would admit)."""

from __future__ import annotations

import random

from demo.cli import inside_after, scan_script
from demo.event import DemoEvent


async def test_a_repeat_is_always_a_code_that_is_inside(event: DemoEvent) -> None:
    valid = set(event.valid)
    repeats = 0
    for seed in range(30):
        script = scan_script(event, 120, random.Random(seed))
        for i, (label, code, _) in enumerate(script):
            if label == "repeat":
                repeats += 1
                assert code in inside_after(script[:i], valid, reentry=True), (seed, i)
        # the ticket scanned out without coming in is not inside: never a "repeat"
        assert ("repeat", event.valid[3], "in") not in script
    assert repeats > 100  # the mix still has plenty of repeats


def test_inside_after_follows_entries_exits_and_the_reentry_policy() -> None:
    script = [
        ("in", "A", "in"), ("in", "B", "in"), ("out", "B", "out"), ("out", "C", "out"),
        ("back", "B", "in"), ("junk", "X", "in"),
    ]  # fmt: skip
    assert inside_after(script, {"A", "B", "C"}, reentry=True) == ["A", "B"]
    assert inside_after(script, {"A", "B", "C"}, reentry=False) == ["A"]
