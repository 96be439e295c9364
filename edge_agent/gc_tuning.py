"""Keeps CPython's cyclic garbage collector from pausing the gate.

The gate holds many long-lived objects (the admission index, the per-code credential
cache); a full (generation 2) collection walks all of them, and with tens of thousands
of tickets that walk takes 20–30 ms on this class of machine — a verdict that arrives
during it waits that long (measured: ``benchmarks/decide.py`` max latency 59 ms before,
see docs/gate.md). So:

- after start-up, everything loaded (keyring, index rebuilt from the ledger, devices) is
  collected once and moved to the permanent generation with ``gc.freeze()``;
- every ``interval_s`` the young generations are collected (cheap) and the survivors are
  frozen too, so a full collection only ever walks what grew since the last tick.

The cost: a reference cycle that becomes garbage *after* being frozen is never freed.
The gate's long-lived objects hold no cycles, and the young collection before each
freeze frees the short-lived cycles asyncio makes, so what can leak is what was in
flight at a tick — bounded and small.
"""

from __future__ import annotations

import asyncio
import gc


def freeze_after_start() -> None:
    gc.collect()
    gc.freeze()


async def freeze_survivors_forever(interval_s: float = 10.0) -> None:
    while True:
        await asyncio.sleep(interval_s)
        gc.collect(1)
        gc.freeze()
