"""Keeping the gate's admission index in step with the venue's claims bucket.

``decide()`` judges exits and re-entries from this box's index; a ticket admitted at
another gate must be *inside* here too, or its exit here would be refused as
``not_inside``. An ordered consumer over the bucket delivers every key's last value at
start and each change after, and the index takes whatever revision is newer than the
one it knows (the claimer learns the revisions for its compare-and-set as well).
"""

from __future__ import annotations

import contextlib
import logging

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import api

from edge_agent.gate.state import GateState
from edge_agent.mesh.claim_values import (
    BUCKET,
    STREAM,
    TICKET_PREFIX,
    ClaimValue,
    key_ticket,
)
from edge_agent.mesh.claimer import MeshClaimer

log = logging.getLogger(__name__)


class ClaimWatcher:
    def __init__(self, state: GateState, claimer: MeshClaimer) -> None:
        self._state = state
        self._claimer = claimer
        self._sub: object | None = None
        self.updates = 0
        #: True once the initial values were delivered (the index is venue-wide).
        self.caught_up = False

    async def start(self, nc: NATS) -> None:
        prefix = f"$KV.{BUCKET}."
        revisions = self._claimer.revisions

        async def on_message(msg: Msg) -> None:
            meta = msg.metadata
            if meta.num_pending == 0:
                self.caught_up = True
            ticket = key_ticket(msg.subject[len(prefix) :])
            if ticket is None:
                return
            revision = meta.sequence.stream
            if revision <= revisions.get(ticket, 0):
                return
            try:
                value = ClaimValue.decode(msg.data)
            except ValueError as exc:
                log.error("mesh: claim for %s not readable: %s", ticket, exc)
                return
            revisions[ticket] = revision
            self._state.set_admission(ticket, value.record)
            self.updates += 1

        js = nc.jetstream(timeout=5.0)
        self._sub = await js.subscribe(
            f"{prefix}{TICKET_PREFIX}>",
            stream=STREAM,
            ordered_consumer=True,
            cb=on_message,
            config=api.ConsumerConfig(deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT),
        )

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()  # type: ignore[attr-defined]
