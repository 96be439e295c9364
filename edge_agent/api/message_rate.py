"""A token bucket: how many messages one WebSocket may send, on average and in a burst.

Why: a paired phone's socket stays open all night; a broken or hostile client on it could
send thousands of messages a second, each judged and written to the ledger. A scanner
reads a ticket a second or so; ``api.ws_messages_per_s`` (20) with bursts of twice that
is far above any honest scanner and far below what hurts the gate. Pure: times are given.
"""

from __future__ import annotations


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: float, now_s: float) -> None:
        self._rate = rate_per_s
        self._burst = burst
        self._tokens = burst
        self._at = now_s
        #: Messages refused since the socket opened.
        self.refused = 0

    def take(self, now_s: float) -> bool:
        """One message: True if it may be served now."""
        self._tokens = min(self._burst, self._tokens + (now_s - self._at) * self._rate)
        self._at = now_s
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        self.refused += 1
        return False
