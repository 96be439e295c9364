"""A supervisor's "stop admitting": every entry refused as ``gate_halted`` until resumed.

Why here and persisted: a halt is called for crowd control or an incident, and must not
quietly end because the box restarted (a crash, a power cut, an upgrade). Each halt and
resume is a row in the ledger (``admission_halts``, written before it takes effect); the
one in force is read back at start. While halted, exits still work, manual overrides
still work (a person decided), and the ``admissions_halted`` alarm says who stopped
entry, when and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge_agent.alarms import ADMISSIONS_HALTED, AlarmBoard
from edge_agent.gate.state import GateState
from edge_agent.ledger.halt_store import HaltRow, append_halt
from edge_agent.ledger.writer import LedgerWriter

log = logging.getLogger(__name__)


class AdmissionHalts:
    def __init__(
        self,
        writer: LedgerWriter,
        state: GateState,
        alarms: AlarmBoard,
        clock_ms: Callable[[], int],
        in_force: HaltRow | None = None,
    ) -> None:
        self._writer = writer
        self._state = state
        self._alarms = alarms
        self._clock_ms = clock_ms
        self._set(in_force)

    @property
    def current(self) -> HaltRow | None:
        return self._state.halt

    async def halt(self, operator: str, reason: str) -> HaltRow:
        """Stop admitting (recorded first). Halting again records the new reason."""
        return await self._record("halt", operator, reason)

    async def resume(self, operator: str, reason: str) -> HaltRow:
        return await self._record("resume", operator, reason)

    async def _record(self, action: str, operator: str, reason: str) -> HaltRow:
        at_ms = self._clock_ms()
        row = await self._writer.execute(lambda c: append_halt(c, at_ms, action, operator, reason))
        log.warning(
            "admissions %s", "HALTED" if action == "halt" else "resumed",
            extra={"operator": operator, "reason": reason, "halt_number": row.number},
        )  # fmt: skip
        self._set(row if action == "halt" else None)
        return row

    def _set(self, row: HaltRow | None) -> None:
        self._state.halt = row
        if row is None:
            self._alarms.clear(ADMISSIONS_HALTED)
        else:
            self._alarms.raise_alarm(
                ADMISSIONS_HALTED,
                "warning",
                f"admissions stopped by {row.operator}: {row.reason} — entries are refused"
                " until a supervisor resumes them",
            )
