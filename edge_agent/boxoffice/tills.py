"""``Tills``: opening and closing a device's session (its cash drawer).

Kept apart from selling because a till's life is short and self-contained: one write
each way (``session_writes``), and closing answers the expected cash and the
difference the operator counted.
"""

from __future__ import annotations

from typing import Any

from edge_agent.boxoffice import session_writes
from edge_agent.boxoffice.desk import Desk
from edge_agent.boxoffice.figures import session_json
from edge_agent.domain.sale import refuse_card_numbers
from edge_agent.ids import uuid7


class Tills:
    def __init__(self, desk: Desk) -> None:
        self._desk = desk

    async def open_session(self, device_id: str, operator: str, float_cents: int) -> dict[str, Any]:
        refuse_card_numbers({"operator": operator})
        ctx = self._desk.ctx()
        row = await self._desk.write(
            lambda c: session_writes.open_session(
                c,
                ctx,
                session_id=uuid7(ctx.now_ms),
                entry_id=uuid7(ctx.now_ms),
                device_id=device_id,
                operator=operator,
                float_cents=float_cents,
            )
        )
        self._desk.rows_added()
        return session_json(row)

    async def close_session(self, device_id: str, counted_cents: int) -> dict[str, Any]:
        ctx = self._desk.ctx()
        row, expected = await self._desk.write(
            lambda c: session_writes.close_session(
                c, ctx, entry_id=uuid7(ctx.now_ms), device_id=device_id, counted_cents=counted_cents
            )
        )
        self._desk.rows_added()
        return {
            "session": session_json(row),
            "expected_cents": expected,
            "counted_cents": counted_cents,
            "difference_cents": counted_cents - expected,
        }
