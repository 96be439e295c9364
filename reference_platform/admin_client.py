"""A small async client for the admin API, used by the CLI, the demo and the tests.

It speaks only HTTP, so it works against any platform that implements the admin
routes of ``docs/sync.md``; errors come back as ``AdminApiError`` carrying the
platform's status, code and message.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any
from urllib.parse import quote

import aiohttp

from edge_agent.errors import GatehouseError


class AdminApiError(GatehouseError):
    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body


class AdminClient:
    """``async with AdminClient(url, token) as admin: await admin.refund(ticket_id)``."""

    def __init__(self, base_url: str, admin_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {admin_token}"}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AdminClient:
        self._session = aiohttp.ClientSession(
            headers=self._headers, timeout=aiohttp.ClientTimeout(total=60)
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers, timeout=aiohttp.ClientTimeout(total=60)
            )
        url = f"{self.base_url}/admin/v1/{path.lstrip('/')}"
        async with self._session.request(method, url, json=body) as resp:
            doc = await resp.json(content_type=None)
            if resp.status >= 400:
                error = doc.get("error", {}) if isinstance(doc, dict) else {}
                raise AdminApiError(
                    resp.status,
                    str(error.get("code", "http_error")),
                    str(error.get("message", resp.reason)),
                    doc if isinstance(doc, dict) else {},
                )
            return doc

    # One method per admin route, named for what it does.

    async def create_event(
        self, event_id: int, name: str, venue: str, starts_at_ms: int
    ) -> dict[str, Any]:
        body = {"event_id": event_id, "name": name, "venue": venue, "starts_at_ms": starts_at_ms}
        result: dict[str, Any] = await self.call("POST", "events", body)
        return result

    async def event(self, event_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"events/{event_id}")
        return result

    async def put_ticket_type(
        self,
        event_id: int,
        ticket_type: int,
        name: str,
        capacity: int,
        price_cents: int = 0,
        *,
        flags: list[str] | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ticket_type": ticket_type,
            "name": name,
            "capacity": capacity,
            "price_cents": price_cents,
        }
        if flags or note:
            body["flags"] = flags or []
            if note:
                body["note"] = note
        result: dict[str, Any] = await self.call("POST", f"events/{event_id}/ticket-types", body)
        return result

    async def create_order(self, event_id: int, order: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"events/{event_id}/orders", order)
        return result

    async def order(self, order_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"orders/{order_id}")
        return result

    async def revoke(self, ticket_id: str, action: str, reason: str = "operator") -> dict[str, Any]:
        """``action``: refund, cancel, chargeback, reissue, suspend or unsuspend."""
        result: dict[str, Any] = await self.call(
            "POST", f"tickets/{ticket_id}/{action}", {"reason": reason}
        )
        return result

    async def refund(self, ticket_id: str, reason: str = "operator") -> dict[str, Any]:
        return await self.revoke(ticket_id, "refund", reason)

    async def cancel(self, ticket_id: str, reason: str = "operator") -> dict[str, Any]:
        return await self.revoke(ticket_id, "cancel", reason)

    async def chargeback(self, ticket_id: str, reason: str = "operator") -> dict[str, Any]:
        return await self.revoke(ticket_id, "chargeback", reason)

    async def reissue(self, ticket_id: str, reason: str = "operator") -> dict[str, Any]:
        return await self.revoke(ticket_id, "reissue", reason)

    async def suspend(self, ticket_id: str, reason: str = "operator") -> dict[str, Any]:
        return await self.revoke(ticket_id, "suspend", reason)

    async def unsuspend(self, ticket_id: str) -> dict[str, Any]:
        return await self.revoke(ticket_id, "unsuspend")

    async def postpone_event(self, event_id: int, to: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"events/{event_id}/postpone", {"to": to})
        return result

    async def cancel_event(self, event_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("POST", f"events/{event_id}/cancel", {})
        return result

    async def enrol(self, event_id: int, agent_id: str, public_key_b64url: str) -> dict[str, Any]:
        body = {"agent_id": agent_id, "public_key": public_key_b64url}
        result: dict[str, Any] = await self.call("POST", f"events/{event_id}/agents", body)
        return result

    async def stored_rows(
        self, agent_id: str, stream: str = "scans", after_seq: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        doc = await self.call(
            "GET", f"agents/{agent_id}/{stream}?after_seq={after_seq}&limit={limit}"
        )
        rows: list[dict[str, Any]] = doc["rows"]
        return rows

    async def evidence(self, order_id: str, ticket_id: str | None = None) -> dict[str, Any]:
        """``{"evidence_json": text, "signature": {...}}`` (``docs/evidence.md``)."""
        query = "" if ticket_id is None else f"?ticket={quote(ticket_id, safe='')}"
        doc: dict[str, Any] = await self.call(
            "GET", f"orders/{quote(order_id, safe='')}/evidence{query}"
        )
        return doc

    async def email_queue(self, event_id: int) -> list[dict[str, Any]]:
        """The e-mails the platform owes for the event (door sales by e-mail)."""
        doc = await self.call("GET", f"events/{event_id}/email-queue")
        result: list[dict[str, Any]] = doc["emails"]
        return result

    async def conflicts(self, event_id: int) -> list[dict[str, Any]]:
        doc = await self.call("GET", f"events/{event_id}/conflicts")
        result: list[dict[str, Any]] = doc["conflicts"]
        return result
