"""Telling the figures' listeners (the box-office WebSocket) that something changed.

A sale, void, lease or session change, or a first admission at the gate, changes the
figures; listeners are called synchronously on the event loop, and one that fails is
logged and skipped so it cannot undo or block the action that changed them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

FiguresListener = Callable[[], None]


class ChangeListeners:
    """The callbacks to call after every change of the figures."""

    def __init__(self) -> None:
        self._listeners: list[FiguresListener] = []

    def add(self, callback: FiguresListener) -> Callable[[], None]:
        """Add ``callback``; returns a function that removes it."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def changed(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("a box-office figures listener failed")


class FiguresSubscription:
    """``await sub.wait(timeout_s)`` → True once the figures changed since the last
    wait (False on timeout); ``sub.close()`` unsubscribes. Changes between two waits
    are coalesced into one."""

    def __init__(self, listeners: ChangeListeners) -> None:
        self._event = asyncio.Event()
        self._unsubscribe = listeners.add(self._event.set)

    async def wait(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            return False
        self._event.clear()
        return True

    def close(self) -> None:
        self._unsubscribe()
