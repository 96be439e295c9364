"""``Desk``: what every box-office action goes through, and ``Hooks``, what it needs.

Every action (``tills``, ``selling``, ``leasing``) checks door sales are on and takes its
``Context`` here, hands one function to the single ledger writer here (a refusal of the
ledger becomes ``not_recorded`` with nothing kept), and only after the commit tells the
sales outbox and the figures' listeners, here too. One place, so no action can forget
a step.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edge_agent.boxoffice.changes import ChangeListeners
from edge_agent.boxoffice.write_context import Context
from edge_agent.config.sections import Config
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.errors import BoxOfficeError, LedgerError
from edge_agent.ledger import box_office_tables as t
from edge_agent.ledger.writer import LedgerWriter
from hardware.printer import ReceiptPrinter
from sync.leases import LeaseClient

log = logging.getLogger(__name__)


@dataclass
class Hooks:
    """What the box office needs from the rest of the runtime, as callables (the
    printer and sync are set up after the box office, and may come and go)."""

    printer: Callable[[], ReceiptPrinter | None]
    event: Callable[[], dict[str, Any]]
    online: Callable[[], bool]
    #: Tell the sales outbox its head moved (``None``: no sync).
    sales_head: Callable[[int], None] | None = None
    #: The platform's lease calls (``None``: no sync).
    leases: LeaseClient | None = None
    #: False while the agent's clock is not set (``timekeeping``): a lease's expiry is
    #: platform time, and a lower bound of "now" cannot prove it has not passed.
    clock_known: Callable[[], bool] = lambda: True


class Desk:
    def __init__(
        self,
        config: Config,
        writer: LedgerWriter,
        reader: sqlite3.Connection,
        hooks: Hooks,
        clock_ms: Callable[[], int],
        listeners: ChangeListeners,
    ) -> None:
        self.bo = config.box_office
        self.agent_id = config.agent.agent_id
        self.event_id = config.event.event_id
        self.writer = writer
        #: The runtime's read connection (committed state).
        self.reader = reader
        self.hooks = hooks
        #: The agent's wall clock (ms); tests move it to expire leases.
        self.clock_ms = clock_ms
        self.listeners = listeners

    @property
    def margin_ms(self) -> int:
        return self.bo.expiry_margin_s * 1000

    def ctx(self) -> Context:
        """The context of an action now; refuses when door sales are off."""
        if not self.bo.enabled:
            raise BoxOfficeError(
                SaleCode.BOX_OFFICE_DISABLED, "door sales are off on this agent (box_office)"
            )
        return Context(
            self.agent_id, self.event_id, self.bo.currency, self.clock_ms(), self.margin_ms
        )

    async def write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        try:
            return await self.writer.execute(fn)
        except (LedgerError, sqlite3.IntegrityError) as exc:
            # IntegrityError: a table's own guard (e.g. a lease's sold <= count) caught
            # what the rules should have; nothing of this action was kept.
            log.error("box office: not recorded: %s", exc)
            raise BoxOfficeError(
                SaleCode.NOT_RECORDED, "the ledger could not record this; nothing was done"
            ) from None

    def rows_added(self) -> None:
        """After a commit that appended ``sales`` rows: tell the outbox and listeners."""
        if self.hooks.sales_head is not None:
            self.hooks.sales_head(t.sales_head(self.reader)[0])
        self.listeners.changed()
