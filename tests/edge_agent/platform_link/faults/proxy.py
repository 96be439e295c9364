"""The fault proxy (``tests/faultproxy.py``) with what mid-stream fault tests need.

* ``LaterRule``: a fault that lets the first ``skip`` matching requests through, so it
  hits the 3rd batch of an upload or the 4th page of a manifest load, not the first.
* ``pause(...)``: hold the n-th matching request, before it reaches the platform or
  after the platform answered (it has committed), until the test has done something
  (restarted the platform, killed the agent) and releases it.
* ``down_after(...)``: stop listening right after the n-th matching answer went out, so
  the next request is refused mid-stream.
* ``forwarded``: every request that reached the platform, with the seq range of an
  upload batch and the platform's status, so a test can show a batch was sent again.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from tests.faultproxy import Fault, FaultProxy, Rule

SCANS = "/v1/agents/"  # POST /v1/agents/{agent}/scans
MANIFEST = "/v1/events/"  # GET /v1/events/{event}/manifest


@dataclass
class LaterRule(Rule):
    """A rule that matches only after ``skip`` matching requests went past it.

    ``FaultProxy._pick`` asks the rules in order and stops at the first match, so a
    request taken by an earlier rule does not count against ``skip``."""

    skip: int = 0

    def matches(self, method: str, path: str) -> bool:
        if not super().matches(method, path):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        return True


@dataclass
class Forwarded:
    method: str
    path: str
    first_seq: int | None
    last_seq: int | None
    status: int


@dataclass
class Pause:
    """The n-th forwarded request matching ``method``/``path_prefix`` waits here."""

    method: str
    path_prefix: str
    nth: int
    after_answer: bool
    reached: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set once the held request went on and the platform answered it.
    done: asyncio.Event = field(default_factory=asyncio.Event)
    seen: int = 0

    def hit(self, method: str, path: str) -> bool:
        if self.reached.is_set() or method != self.method:
            return False
        if not path.split("?", 1)[0].startswith(self.path_prefix):
            return False
        self.seen += 1
        return self.seen == self.nth


@dataclass
class StagedProxy(FaultProxy):
    forwarded: list[Forwarded] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)
    _down_after: tuple[str, str, int] | None = None
    #: Set when ``down_after`` took the proxy down.
    went_down: asyncio.Event = field(default_factory=asyncio.Event)

    def later(self, fault: Fault, *, skip: int, **kwargs: Any) -> LaterRule:
        rule = LaterRule(fault, skip=skip, **kwargs)
        self.rules.append(rule)
        return rule

    def clear_faults(self) -> None:
        self.rules.clear()

    def pause(self, method: str, path_prefix: str, nth: int, *, after_answer: bool) -> Pause:
        p = Pause(method, path_prefix, nth, after_answer)
        self.pauses.append(p)
        return p

    def down_after(self, method: str, path_prefix: str, nth: int) -> None:
        """Stop listening once the n-th matching request (counted from now) answered."""
        done = sum(1 for f in self.forwarded if _match(f.method, f.path, method, path_prefix))
        self.went_down.clear()
        self._down_after = (method, path_prefix, done + nth)

    async def _forward(self, request_line: bytes, headers: list[bytes], body: bytes) -> bytes:
        method, path, _ = request_line.decode("latin-1").split(" ", 2)
        pause = next((p for p in self.pauses if p.hit(method, path)), None)
        if pause is not None and not pause.after_answer:
            pause.reached.set()
            await pause.release.wait()
        answer = await super()._forward(request_line, headers, body)
        first, last = _seq_range(headers, body)
        status = int(answer.split(b" ", 2)[1])
        self.forwarded.append(Forwarded(method, path, first, last, status))
        if pause is not None and pause.after_answer:
            pause.reached.set()
            await pause.release.wait()
        if pause is not None:
            pause.done.set()
        if self._down_after is not None:
            m, prefix, n = self._down_after
            done = sum(1 for f in self.forwarded if _match(f.method, f.path, m, prefix))
            if done >= n and self._server is not None:
                # Only the listener closes: this answer still goes out, the next
                # connection is refused.
                self._server.close()
                self._server = None
                self._down_after = None
                self.went_down.set()
        return answer

    def batches(self) -> list[tuple[int, int]]:
        """(first, last) seq of every upload batch that reached the platform."""
        return [
            (f.first_seq, f.last_seq)
            for f in self.forwarded
            if f.first_seq is not None and f.last_seq is not None
        ]


def _match(method: str, path: str, want_method: str, prefix: str) -> bool:
    return method == want_method and path.split("?", 1)[0].startswith(prefix)


def _seq_range(headers: list[bytes], body: bytes) -> tuple[int | None, int | None]:
    if not body:
        return None, None
    if any(h.lower().replace(b" ", b"") == b"content-encoding:gzip" for h in headers):
        body = gzip.decompress(body)
    try:
        rows = json.loads(body).get("rows")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(rows, list) or not rows:
        return None, None
    return rows[0].get("seq"), rows[-1].get("seq")
