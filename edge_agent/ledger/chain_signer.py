"""Signs the ledger's hash chain head with the agent key, now and then and at stop.

Every ``ledger.checkpoint_every_rows`` new rows, or ``ledger.checkpoint_interval_s``
after the last checkpoint when rows were added, and once more on a clean stop, the
head (seq, chain value, time, clock offset) is signed inside a writer transaction
(``ledger/chain_checkpoints.sign_head``). Checkpoints go to the platform as their own
upload stream; evidence packs prove their rows against them (``docs/evidence.md``).
A failed signing (disk full) is logged and retried at the next tick: it never stops
the gate.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.errors import LedgerError
from edge_agent.evidence.core.checkpoint import Checkpoint
from edge_agent.ledger.chain_checkpoints import last_checkpoint, sign_head
from edge_agent.ledger.writer import LedgerWriter

log = logging.getLogger(__name__)


class ChainSigner:
    def __init__(
        self,
        writer: LedgerWriter,
        key: Ed25519PrivateKey,
        *,
        clock_ms: Callable[[], int],
        every_rows: int,
        interval_s: float,
        poll_s: float = 1.0,
    ) -> None:
        self._writer = writer
        self._key = key
        self._clock_ms = clock_ms
        self._every_rows = every_rows
        self._interval_ms = int(interval_s * 1000)
        self._poll_s = poll_s
        self._task: asyncio.Task[None] | None = None
        #: Number and seq of the last checkpoint (0 before the first).
        self.last_number = 0
        self.last_through = 0
        self._last_ms = 0

    async def start(self) -> None:
        agent_id = self._writer.agent_id
        last = await self._writer.execute(lambda c: last_checkpoint(c, agent_id))
        if last is not None:
            self.last_number, self.last_through = last.number, last.through_seq
        self._last_ms = self._clock_ms()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="chain-signer")

    def due(self, now_ms: int) -> bool:
        new_rows = self._writer.head_seq - self.last_through
        if new_rows <= 0:
            return False
        return new_rows >= self._every_rows or now_ms - self._last_ms >= self._interval_ms

    async def sign_now(self) -> Checkpoint | None:
        """Sign the head if it moved since the last checkpoint."""
        agent_id = self._writer.agent_id
        now_ms = self._clock_ms()
        checkpoint = await self._writer.execute(lambda c: sign_head(c, agent_id, self._key, now_ms))
        self._last_ms = now_ms
        if checkpoint is not None:
            self.last_number, self.last_through = checkpoint.number, checkpoint.through_seq
            log.debug(
                "chain checkpoint signed",
                extra={"number": checkpoint.number, "through_seq": checkpoint.through_seq},
            )
        return checkpoint

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            if not self.due(self._clock_ms()):
                continue
            try:
                await self.sign_now()
            except LedgerError as exc:
                log.warning("chain checkpoint not signed (retried later): %s", exc)

    def cancel(self) -> None:
        """Stop the ticks without signing (a start that failed half-way)."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def stop(self) -> None:
        """Stop the ticks and sign the head once more (a clean stop's last word)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.sign_now()
        except LedgerError as exc:
            log.warning("final chain checkpoint not signed: %s", exc)
