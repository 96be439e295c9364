"""``Selling``: door sales, their receipts and reprints, and voids.

A sale's tickets are signed before the transaction (GH1 codes with the agent's
certified key: pure CPU), the sale is one ledger write (``sale_writes``), and only after
the commit is anything else touched: the printer, the sales outbox, the listeners, a
lease top-up. A void revokes its tickets at this agent's gates after its commit. A
failure before the commit leaves nothing behind.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from edge_agent.boxoffice.delivery import print_tickets, with_qr
from edge_agent.boxoffice.desk import Desk
from edge_agent.boxoffice.leasing import Leasing
from edge_agent.boxoffice.sale_request import SaleRequest
from edge_agent.boxoffice.sale_writes import SaleInput, mark_printed, record_sale
from edge_agent.boxoffice.void_writes import record_void
from edge_agent.config.key_files import KeyFile
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.sale import Delivery, LineItem, refuse_card_numbers
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.errors import BoxOfficeError, LedgerError
from edge_agent.gate.state import GateState
from edge_agent.ids import uuid7
from edge_agent.ledger import box_office_tables as t
from hardware.errors import PrinterError

log = logging.getLogger(__name__)


class Selling:
    def __init__(self, desk: Desk, state: GateState, agent_key: KeyFile, leasing: Leasing) -> None:
        self._desk = desk
        self._state = state
        self._key = agent_key
        self._leasing = leasing

    def _sign(self, items: tuple[LineItem, ...]) -> tuple[tuple[str, int, str], ...]:
        key_id = self._key.key_id
        codes: list[tuple[str, int, str]] = []
        for item in items:
            for _ in range(item.quantity):
                raw = secrets.token_bytes(16)
                body = TicketBody(
                    key_id=key_id,
                    event_id=self._desk.event_id,
                    ticket_id=raw,
                    ticket_type=item.ticket_type,
                    valid_from=0,
                    valid_until=0,
                )
                codes.append((raw.hex(), item.ticket_type, encode_gh1(body, self._key.private_key)))
        return tuple(codes)

    async def sell(self, device_id: str, request: SaleRequest) -> tuple[dict[str, Any], bool]:
        """Sell; returns (receipt with QR codes, created). A repeated ``request_id``
        with the same body returns the first receipt (created False)."""
        refuse_card_numbers(
            {
                "request_id": request.request_id,
                "customer.name": request.customer_name,
                "customer.email": request.customer_email,
            }
        )
        if request.delivery is Delivery.EMAIL and not request.customer_email:
            raise BoxOfficeError(
                SaleCode.INVALID_REQUEST,
                "delivery by e-mail needs customer.email",
                field="delivery",
            )
        ctx = self._desk.ctx()
        if not self._desk.hooks.clock_known():
            raise BoxOfficeError(
                SaleCode.CLOCK_UNKNOWN,
                "the agent's clock is not set (no RTC, no NTP yet): a lease's expiry cannot"
                " be checked, so nothing is sold until the time is known",
            )
        sale = SaleInput(
            request=request,
            device_id=device_id,
            sale_id=uuid7(ctx.now_ms),
            order_id="DO-" + secrets.token_hex(6).upper(),
            entry_id=uuid7(ctx.now_ms),
            codes=self._sign(request.items),
        )
        receipt, created = await self._desk.write(lambda c: record_sale(c, ctx, sale))
        if not created:
            return with_qr(receipt), False
        self._desk.rows_added()
        self._leasing.maybe_top_up({i.ticket_type for i in request.items})
        if request.delivery is Delivery.PRINT:
            receipt = await self._print_new(receipt)
        log.info(
            "door sale",
            extra={
                "sale_id": sale.sale_id,
                "tickets": len(sale.codes),
                "method": receipt["payment"]["method"],
            },
        )
        return with_qr(receipt), True

    async def _print_new(self, receipt: dict[str, Any]) -> dict[str, Any]:
        try:
            await self._print(receipt, None)
        except BoxOfficeError as exc:
            return {
                **receipt,
                "warnings": [*receipt["warnings"], f"{exc.message}: reprint from the sale"],
            }
        sale_id = receipt["sale_id"]
        try:
            await self._desk.writer.execute(lambda c: mark_printed(c, sale_id))
        except LedgerError as exc:  # printed all the same; only the flag is lost
            log.warning("could not mark sale %s printed: %s", sale_id, exc)
        return {**receipt, "delivery": {**receipt["delivery"], "printed": True}}

    async def _print(self, receipt: dict[str, Any], ticket_ids: set[str] | None) -> int:
        printer = self._desk.hooks.printer()
        if printer is None:
            raise BoxOfficeError(SaleCode.PRINTER_UNAVAILABLE, "no ticket printer is configured")
        event = self._desk.hooks.event()
        try:
            return await print_tickets(printer, receipt, ticket_ids, event["name"], event["venue"])
        except PrinterError as exc:
            log.warning("box office: printing failed: %s", exc)
            raise BoxOfficeError(SaleCode.PRINTER_UNAVAILABLE, f"printer: {exc}") from None

    def _sale_record(self, sale_id: str) -> tuple[str, str, dict[str, Any]]:
        found = t.sale_record(self._desk.reader, sale_id)
        if found is None:
            raise BoxOfficeError(SaleCode.UNKNOWN_SALE, f"no sale {sale_id} on this agent")
        return found

    def receipt(self, sale_id: str) -> dict[str, Any]:
        return with_qr(self._sale_record(sale_id)[2])

    def receipts(self, device_id: str, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` receipts, the device's open session's first, newest first."""
        reader = self._desk.reader
        current = t.open_session_of(reader, device_id)
        first = None if current is None else current["session_id"]
        return [with_qr(r) for r in t.recent_receipts(reader, limit, first)]

    async def reprint(self, sale_id: str, ticket_id: str | None) -> int:
        _, status, receipt = self._sale_record(sale_id)
        if status == "voided":
            raise BoxOfficeError(SaleCode.ALREADY_VOIDED, "a voided sale's tickets are not printed")
        ids = None
        if ticket_id is not None:
            if ticket_id not in {tk["ticket_id"] for tk in receipt["tickets"]}:
                raise BoxOfficeError(SaleCode.UNKNOWN_TICKET, f"no ticket {ticket_id} in this sale")
            ids = {ticket_id}
        return await self._print(receipt, ids)

    async def void(self, device_id: str, sale_id: str, reason: str) -> dict[str, Any]:
        refuse_card_numbers({"reason": reason})
        ctx = self._desk.ctx()
        receipt, ticket_ids = await self._desk.write(
            lambda c: record_void(
                c,
                ctx,
                sale_id=sale_id,
                entry_id=uuid7(ctx.now_ms),
                device_id=device_id,
                reason=reason,
            )
        )
        for ticket_id in ticket_ids:  # refused at this agent's gates from now on
            self._state.set_revocation(ticket_id, RevocationKind.REFUNDED)
        self._desk.rows_added()
        log.info("door sale voided", extra={"sale_id": sale_id, "tickets": len(ticket_ids)})
        return with_qr(receipt)
