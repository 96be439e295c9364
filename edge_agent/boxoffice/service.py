"""``BoxOffice``: the door-sales service the API (and the WebSocket) call.

Each action signs what it must before the transaction (GH1 codes with the agent's
certified key: pure CPU), hands one function to the ledger writer (``ledger_ops``), and
only after the commit touches anything else: the gate's revocations (a void), the
sales outbox's head (upload), the printer, the figures' listeners, an automatic lease
top-up. A failure before the commit leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from edge_agent.boxoffice import ledger_ops as ops
from edge_agent.boxoffice.delivery import print_tickets, with_qr
from edge_agent.boxoffice.figures import AdmissionCounter, build_figures, session_json
from edge_agent.config import Config
from edge_agent.domain.reasons import RevocationKind
from edge_agent.domain.sale import (
    CompPayment,
    Delivery,
    LineItem,
    Payment,
    refuse_card_numbers,
    sellable,
)
from edge_agent.domain.sale_codes import SaleCode
from edge_agent.domain.ticket import TicketBody
from edge_agent.domain.ticket_codec import encode_gh1
from edge_agent.errors import BoxOfficeError, LedgerError
from edge_agent.gate.pipeline import ScanResult
from edge_agent.gate.state import GateState
from edge_agent.ids import uuid7
from edge_agent.key_files import KeyFile
from edge_agent.ledger import box_office_tables as t
from edge_agent.ledger.writer import LedgerWriter
from hardware.errors import PrinterError
from hardware.printer import ReceiptPrinter
from sync.errors import PlatformError, ProtocolError, SyncError
from sync.leases import LeaseClient

log = logging.getLogger(__name__)

FiguresListener = Callable[[], None]


@dataclass(frozen=True, slots=True)
class SaleRequest:
    """A sale as the API checked it (``request_sha256``: of the canonical body)."""

    request_id: str
    request_sha256: str
    items: tuple[LineItem, ...]
    payment: Payment
    customer_name: str | None
    customer_email: str | None
    delivery: Delivery


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


class FiguresSubscription:
    """``await sub.wait(timeout_s)`` → True once the figures changed since the last
    wait (False on timeout); ``sub.close()`` unsubscribes. Changes between two waits
    are coalesced into one."""

    def __init__(self, office: BoxOffice) -> None:
        self._event = asyncio.Event()
        self._unsubscribe = office.on_change(self._event.set)

    async def wait(self, timeout_s: float) -> bool:
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            return False
        self._event.clear()
        return True

    def close(self) -> None:
        self._unsubscribe()


class BoxOffice:
    def __init__(
        self,
        config: Config,
        writer: LedgerWriter,
        reader: sqlite3.Connection,
        state: GateState,
        agent_key: KeyFile,
        hooks: Hooks,
        clock_ms: Callable[[], int],
    ) -> None:
        self._bo = config.box_office
        self._agent_id = config.agent.agent_id
        self._event_id = config.event.event_id
        self._writer = writer
        self._reader = reader
        self._state = state
        self._key = agent_key
        self._hooks = hooks
        #: The agent's wall clock (ms); tests move it to expire leases.
        self.clock_ms = clock_ms
        self._listeners: list[FiguresListener] = []
        self._admitted = AdmissionCounter(t.first_admissions_by_type(reader, self._event_id))
        self._topping_up: set[int] = set()
        self._retrying_returns = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------- figures

    async def figures(self, device_id: str | None = None) -> dict[str, Any]:
        """The ``GET /api/v1/boxoffice`` body (``session``: ``device_id``'s open one).
        A few indexed reads of committed state on the runtime's read connection."""
        return build_figures(
            self._reader,
            event=self._hooks.event(),
            currency=self._bo.currency,
            online=self._hooks.online(),
            device_id=device_id,
            scanned=self._admitted.by_type,
            now_ms=self.clock_ms(),
            margin_ms=self._margin_ms,
        )

    def on_change(self, callback: FiguresListener) -> Callable[[], None]:
        """Call ``callback()`` (on the event loop, synchronously: keep it quick) after
        every sale, void, lease or session change and every first admission at the
        gate. Returns a function that unsubscribes."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def changes(self) -> FiguresSubscription:
        """An ``asyncio.Event``-style subscription to ``on_change`` (``wait``/``close``)."""
        return FiguresSubscription(self)

    def note_scan(self, result: ScanResult) -> None:
        """The gate stats hook: an admission changes ``scanned``."""
        d = result.decision
        if result.recorded and self._admitted.note(d.ticket_type, d.outcome, d.reason):
            self._changed()

    def _changed(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("a box-office figures listener failed")

    @property
    def _margin_ms(self) -> int:
        return self._bo.expiry_margin_s * 1000

    def _ctx(self) -> ops.Context:
        if not self._bo.enabled:
            raise BoxOfficeError(
                SaleCode.BOX_OFFICE_DISABLED, "door sales are off on this agent (box_office)"
            )
        return ops.Context(
            self._agent_id, self._event_id, self._bo.currency, self.clock_ms(), self._margin_ms
        )

    async def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        try:
            return await self._writer.execute(fn)
        except (LedgerError, sqlite3.IntegrityError) as exc:
            # IntegrityError: a table's own guard (e.g. a lease's sold <= count) caught
            # what the rules should have; nothing of this action was kept.
            log.error("box office: not recorded: %s", exc)
            raise BoxOfficeError(
                SaleCode.NOT_RECORDED, "the ledger could not record this; nothing was done"
            ) from None

    def _rows_added(self) -> None:
        if self._hooks.sales_head is not None:
            self._hooks.sales_head(t.sales_head(self._reader)[0])
        self._changed()

    # ------------------------------------------------------------------ sessions

    async def open_session(self, device_id: str, operator: str, float_cents: int) -> dict[str, Any]:
        refuse_card_numbers({"operator": operator})
        ctx = self._ctx()
        row = await self._write(
            lambda c: ops.open_session(
                c,
                ctx,
                session_id=uuid7(ctx.now_ms),
                entry_id=uuid7(ctx.now_ms),
                device_id=device_id,
                operator=operator,
                float_cents=float_cents,
            )
        )
        self._rows_added()
        return session_json(row)

    async def close_session(self, device_id: str, counted_cents: int) -> dict[str, Any]:
        ctx = self._ctx()
        row, expected = await self._write(
            lambda c: ops.close_session(
                c, ctx, entry_id=uuid7(ctx.now_ms), device_id=device_id, counted_cents=counted_cents
            )
        )
        self._rows_added()
        return {
            "session": session_json(row),
            "expected_cents": expected,
            "counted_cents": counted_cents,
            "difference_cents": counted_cents - expected,
        }

    # --------------------------------------------------------------------- sales

    def _sign(self, items: tuple[LineItem, ...]) -> tuple[tuple[str, int, str], ...]:
        key_id = self._key.key_id
        codes: list[tuple[str, int, str]] = []
        for item in items:
            for _ in range(item.quantity):
                raw = secrets.token_bytes(16)
                body = TicketBody(
                    key_id=key_id,
                    event_id=self._event_id,
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
        ctx = self._ctx()
        sale = ops.SaleInput(
            request_id=request.request_id,
            request_sha256=request.request_sha256,
            items=request.items,
            payment=request.payment,
            customer_name=request.customer_name,
            customer_email=request.customer_email,
            delivery=request.delivery,
            device_id=device_id,
            sale_id=uuid7(ctx.now_ms),
            order_id="DO-" + secrets.token_hex(6).upper(),
            entry_id=uuid7(ctx.now_ms),
            codes=self._sign(request.items),
        )
        receipt, created = await self._write(lambda c: ops.record_sale(c, ctx, sale))
        if not created:
            return with_qr(receipt), False
        self._rows_added()
        self._maybe_top_up({i.ticket_type for i in request.items})
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
            await self._writer.execute(lambda c: ops.mark_printed(c, sale_id))
        except LedgerError as exc:  # printed all the same; only the flag is lost
            log.warning("could not mark sale %s printed: %s", sale_id, exc)
        return {**receipt, "delivery": {**receipt["delivery"], "printed": True}}

    async def _print(self, receipt: dict[str, Any], ticket_ids: set[str] | None) -> int:
        printer = self._hooks.printer()
        if printer is None:
            raise BoxOfficeError(SaleCode.PRINTER_UNAVAILABLE, "no ticket printer is configured")
        event = self._hooks.event()
        try:
            return await print_tickets(printer, receipt, ticket_ids, event["name"], event["venue"])
        except PrinterError as exc:
            log.warning("box office: printing failed: %s", exc)
            raise BoxOfficeError(SaleCode.PRINTER_UNAVAILABLE, f"printer: {exc}") from None

    def receipt(self, sale_id: str) -> dict[str, Any]:
        found = t.sale_record(self._reader, sale_id)
        if found is None:
            raise BoxOfficeError(SaleCode.UNKNOWN_SALE, f"no sale {sale_id} on this agent")
        return with_qr(found[2])

    def receipts(self, device_id: str, limit: int) -> list[dict[str, Any]]:
        current = t.open_session_of(self._reader, device_id)
        first = None if current is None else current["session_id"]
        return [with_qr(r) for r in t.recent_receipts(self._reader, limit, first)]

    async def reprint(self, sale_id: str, ticket_id: str | None) -> int:
        found = t.sale_record(self._reader, sale_id)
        if found is None:
            raise BoxOfficeError(SaleCode.UNKNOWN_SALE, f"no sale {sale_id} on this agent")
        _, status, receipt = found
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
        ctx = self._ctx()
        receipt, ticket_ids = await self._write(
            lambda c: ops.record_void(
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
        self._rows_added()
        log.info("door sale voided", extra={"sale_id": sale_id, "tickets": len(ticket_ids)})
        return with_qr(receipt)

    # -------------------------------------------------------------------- leases

    def _lease_client(self) -> LeaseClient:
        if self._hooks.leases is None:
            raise BoxOfficeError(
                SaleCode.PLATFORM_UNREACHABLE, "sync is off on this agent: leases need the platform"
            )
        return self._hooks.leases

    async def take_lease(self, ticket_type: int, count: int) -> dict[str, Any]:
        ctx = self._ctx()
        client = self._lease_client()
        # Noted before it is sent: if the answer is lost, the next request for the type
        # repeats this one (the platform answers with the lease it made, never twice).
        request_id, count = await self._write(
            lambda c: t.add_lease_request(
                c, str(uuid.uuid4()), ctx.event_id, ticket_type, count, ctx.now_ms
            )
        )
        try:
            grant = await client.take(request_id, ticket_type, count, self._bo.lease_ttl_s)
        except PlatformError as exc:
            if exc.status < 500:  # a definite answer: nothing was granted
                await self._write(lambda c: t.drop_lease_request(c, request_id))
            code = {
                "sold_out": SaleCode.SOLD_OUT,
                "unknown_ticket_type": SaleCode.UNKNOWN_TICKET_TYPE,
            }
            if exc.code in code:
                raise BoxOfficeError(code[exc.code], exc.message) from None
            if exc.status >= 500:
                raise BoxOfficeError(SaleCode.PLATFORM_UNREACHABLE, str(exc)) from None
            raise BoxOfficeError(SaleCode.PLATFORM_REFUSED, str(exc)) from None
        except ProtocolError as exc:
            raise BoxOfficeError(SaleCode.PLATFORM_REFUSED, str(exc)) from None
        except SyncError as exc:
            raise BoxOfficeError(
                SaleCode.PLATFORM_UNREACHABLE, f"platform unreachable: {exc}"
            ) from None
        ctx = ops.Context(ctx.agent_id, ctx.event_id, ctx.currency, self.clock_ms(), ctx.margin_ms)
        await self._write(
            lambda c: ops.record_lease(
                c, ctx, grant=grant, lease_request_id=request_id, entry_id=uuid7(ctx.now_ms)
            )
        )
        self._rows_added()
        self._spawn(self.retry_returns())  # online now: earlier returns can be told
        log.info(
            "lease taken",
            extra={"lease_id": grant.lease_id, "ticket_type": ticket_type, "count": grant.count},
        )
        return {
            "lease_id": grant.lease_id,
            "ticket_type": grant.ticket_type,
            "count": grant.count,
            "sold": 0,
            "returned": 0,
            "expires_at_ms": grant.expires_at_ms,
            "expired": False,
        }

    async def return_lease(self, lease_id: str) -> dict[str, Any]:
        """Close the lease here first (no sale can use it after this commit), then tell
        the platform; if it cannot be told now, it takes the seats back at expiry and
        a repeat of this call tells it again."""
        ctx = self._ctx()
        unused = await self._write(
            lambda c: ops.record_lease_return(c, ctx, lease_id=lease_id, entry_id=uuid7(ctx.now_ms))
        )
        self._rows_added()
        client = self._lease_client()
        try:
            await client.give_back(lease_id, unused)
        except SyncError as exc:
            raise BoxOfficeError(
                SaleCode.PLATFORM_UNREACHABLE,
                f"the lease is closed here ({unused} seats unused) but the platform was not"
                f" told: {exc}; it is told again once online (or frees them at expiry)",
            ) from None
        await self._note_told(lease_id)
        return {"lease_id": lease_id, "returned": unused}

    async def _note_told(self, lease_id: str) -> None:
        try:
            await self._writer.execute(lambda c: t.mark_return_told(c, lease_id))
        except LedgerError as exc:  # told all the same; a repeat is harmless
            log.warning("could not note lease %s as returned: %s", lease_id, exc)

    async def retry_returns(self) -> int:
        """Tell the platform of returns it has not confirmed (a return while offline);
        returns how many it confirmed now. Stops at the first failure."""
        client = self._hooks.leases
        if client is None or self._retrying_returns:
            return 0
        self._retrying_returns = True
        told = 0
        try:
            for lease_id, unused in t.untold_returns(self._reader, self._event_id):
                try:
                    await client.give_back(lease_id, unused)
                except SyncError as exc:
                    log.info("lease return %s still not told: %s", lease_id, exc)
                    break
                await self._note_told(lease_id)
                told += 1
        finally:
            self._retrying_returns = False
        return told

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _maybe_top_up(self, ticket_types: set[int]) -> None:
        """Online, take another lease for a type running low (only types this agent
        already leased: the first lease of a type is a supervisor's decision)."""
        bo = self._bo
        if self._hooks.leases is None or not self._hooks.online():
            return
        if t.untold_returns(self._reader, self._event_id):
            self._spawn(self.retry_returns())
        if bo.lease_size == 0:
            return
        all_leases = t.leases(self._reader, self._event_id)
        now = self.clock_ms()
        for ticket_type in ticket_types - self._topping_up:
            if not any(lease.ticket_type == ticket_type for lease in all_leases):
                continue
            if sellable(all_leases, ticket_type, now, self._margin_ms) >= bo.top_up_below:
                continue
            self._topping_up.add(ticket_type)
            self._spawn(self._top_up(ticket_type))

    async def _top_up(self, ticket_type: int) -> None:
        try:
            await self.take_lease(ticket_type, self._bo.lease_size)
        except BoxOfficeError as exc:
            log.warning("automatic lease top-up for type %d failed: %s", ticket_type, exc)
        finally:
            self._topping_up.discard(ticket_type)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def request_sha256(body: dict[str, Any]) -> str:
    """The fingerprint of a sale body that a repeated ``request_id`` must match."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["BoxOffice", "CompPayment", "Hooks", "SaleRequest", "request_sha256"]
