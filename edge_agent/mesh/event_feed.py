"""Publishing this box's venue events and applying everyone else's, in stream order.

Publishing goes through one queue and one task, so events leave in the order they were
made; a publish that fails (no quorum, a leader being elected) is retried with the same
message id until it is stored — the stream keeps it once. Without a cluster (a venue of
one, or before a join) nothing is queued: whoever joins later gets this box's snapshot
(``service``), not a backlog.

Applying uses an ordered consumer starting after the sequence this box last applied
(stored with each event's changes), so a restarted or reconnected box resumes exactly
where it stopped. A failure to apply stops the consumer and starts it again from the
stored sequence a moment later, so no event is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import api

from edge_agent.mesh.venue_events import STREAM, SUBJECT_PREFIX, VenueEvent

log = logging.getLogger(__name__)

#: Events waiting for the cluster; past this the oldest are dropped with an error line
#: (the snapshot at the next join or restart carries the state they described).
MAX_QUEUED = 10_000
_PUBLISH_TIMEOUT_S = 1.0
_RETRY_S = (0.1, 0.25, 0.5, 1.0, 2.0)

Apply = Callable[[VenueEvent, int, bool], Awaitable[None]]


class EventFeed:
    def __init__(self, me: str) -> None:
        self._me = me
        self._queue: asyncio.Queue[VenueEvent | None] = asyncio.Queue()
        self._nc: NATS | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._sub: object | None = None
        self._restart: asyncio.Task[None] | None = None
        self._stopping = False
        self.published = 0
        self.applied = 0
        self.last_seq = 0
        self.failed_applies = 0

    # ---------------------------------------------------------------- publishing
    def publish(self, event: VenueEvent) -> None:
        """Queue ``event`` for the venue (dropped when no cluster is attached)."""
        if self._nc is None:
            return
        if self._queue.qsize() >= MAX_QUEUED:
            dropped = self._queue.get_nowait()
            log.error("mesh: event queue full; dropped a %s event", getattr(dropped, "kind", "?"))
        self._queue.put_nowait(event)

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def attach(self, nc: NATS) -> None:
        self._nc = nc
        self._stopping = False
        if self._publisher is None:
            self._publisher = asyncio.get_running_loop().create_task(
                self._publish_loop(), name="mesh-event-publisher"
            )

    async def _publish_loop(self) -> None:
        while not self._stopping:
            event = await self._queue.get()
            if event is None:
                return
            attempt = 0
            while not self._stopping:
                nc = self._nc
                if nc is None:
                    return
                try:
                    await nc.jetstream().publish(
                        event.subject,
                        event.encode(),
                        timeout=_PUBLISH_TIMEOUT_S,
                        headers={"Nats-Msg-Id": event.msg_id},
                    )
                    self.published += 1
                    break
                except (nats.errors.Error, nats.js.errors.Error, TimeoutError) as exc:
                    delay = _RETRY_S[min(attempt, len(_RETRY_S) - 1)]
                    attempt += 1
                    if attempt in (1, 20):
                        log.info("mesh: publishing a %s event: %s; retrying", event.kind, exc)
                    await asyncio.sleep(delay)

    # ------------------------------------------------------------------ applying
    async def consume(self, nc: NATS, after_seq: int, apply: Apply) -> None:
        """Apply every event after ``after_seq`` and each new one as it is stored."""
        self._nc = nc
        if after_seq > 0:
            config = api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after_seq + 1
            )
        else:
            config = api.ConsumerConfig(deliver_policy=api.DeliverPolicy.ALL)
        self.last_seq = after_seq

        async def on_message(msg: Msg) -> None:
            seq = msg.metadata.sequence.stream
            if seq <= self.last_seq:
                return
            try:
                event = VenueEvent.decode(msg.data)
            except ValueError as exc:
                log.error("mesh: venue event %d not applied: %s", seq, exc)
                self.last_seq = seq
                return
            try:
                await apply(event, seq, event.origin == self._me)
            except Exception:
                self.failed_applies += 1
                log.exception("mesh: applying venue event %d failed; trying again shortly", seq)
                self._schedule_restart(nc, apply)
                raise
            self.last_seq = seq
            self.applied += 1

        js = nc.jetstream(timeout=5.0)
        self._sub = await js.subscribe(
            f"{SUBJECT_PREFIX}.>", stream=STREAM, ordered_consumer=True, cb=on_message,
            config=config,
        )  # fmt: skip

    def _schedule_restart(self, nc: NATS, apply: Apply) -> None:
        if self._restart is not None and not self._restart.done():
            return

        async def restart() -> None:
            await self._unsubscribe()
            await asyncio.sleep(1.0)
            if not self._stopping:
                await self.consume(nc, self.last_seq, apply)

        self._restart = asyncio.get_running_loop().create_task(
            restart(), name="mesh-events-restart"
        )

    async def _unsubscribe(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()  # type: ignore[attr-defined]

    async def stop(self) -> None:
        """Stop publishing and applying (queued events stay queued: nothing is lost
        that the next start's snapshot would not carry)."""
        self._stopping = True
        await self._unsubscribe()
        if self._restart is not None:
            self._restart.cancel()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            self._queue.put_nowait(None)
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(publisher, 2.0)
        self._nc = None
