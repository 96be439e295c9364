"""Who hears of every judged scan, besides the counters.

The box office's live figures count first admissions per ticket type from the gate's
verdicts; more such parts may follow. They subscribe through ``ScanPipeline.subscribe``
rather than by appending to ``GateStats``: counting scans and telling others about them
are two jobs, and a subscriber should be able to see that it is one and to leave.
Listeners run synchronously on the event loop, right after a verdict is final (recorded
or ``not_recorded``), so each must be quick; one that raises is logged and skipped, so
it can neither hold up nor change the verdict.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from edge_agent.gate.pipeline import ScanResult

log = logging.getLogger(__name__)

ScanListener = Callable[["ScanResult"], None]


class ScanListeners:
    """The callbacks to call with every judged scan, in the order they subscribed."""

    def __init__(self) -> None:
        self._callbacks: list[ScanListener] = []

    def add(self, callback: ScanListener) -> Callable[[], None]:
        """Add ``callback``; returns a function that removes it again."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return unsubscribe

    def notify(self, result: ScanResult) -> None:
        for callback in self._callbacks:
            try:
                callback(result)
            except Exception:
                log.exception("a scan listener failed")
