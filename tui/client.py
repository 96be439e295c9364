"""The TUI's only way to the agent: its HTTP API (``docs/api.md``).

``AgentApi`` is the shape the screens use; ``HttpAgentClient`` is the real one (aiohttp,
short timeouts so a dead agent shows as "unreachable" within seconds, never a frozen
screen). Every call raises ``AgentUnreachable``, ``TokenRefused`` (401) or
``AgentRefused`` (any other error body) — never a bare aiohttp exception.
"""

from __future__ import annotations

import json
import ssl
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from tui.errors import AgentRefused, AgentUnreachable, TokenRefused

JsonDoc = dict[str, Any]

#: Seconds before a call counts as "agent unreachable" (sync now and an evidence pack,
#: built from the ledger file, wait longer).
DEFAULT_TIMEOUT_S = 5.0
SYNC_NOW_TIMEOUT_S = 15.0


class AgentApi(Protocol):
    """What the screens ask of the agent (``docs/api.md``)."""

    url: str

    def set_token(self, token: str | None) -> None: ...
    async def pair(self, code: str, name: str) -> JsonDoc: ...
    async def status(self) -> JsonDoc: ...
    async def find_tickets(self, query: str) -> JsonDoc: ...
    async def ticket(self, ticket_id: str) -> JsonDoc: ...
    async def override(self, ticket_id: str, direction: str, reason: str) -> JsonDoc: ...
    async def evidence(self, ticket_id: str) -> JsonDoc: ...
    async def devices(self) -> JsonDoc: ...
    async def pairing_code(self, role: str, name: str) -> JsonDoc: ...
    async def revoke_device(self, device_id: str) -> JsonDoc: ...
    async def lift_pairing_lockout(self) -> JsonDoc: ...
    async def sync_now(self) -> JsonDoc: ...
    async def conflicts(self) -> JsonDoc: ...
    async def boxoffice(self) -> JsonDoc: ...
    async def open_session(self, operator: str, float_cents: int) -> JsonDoc: ...
    async def close_session(self, counted_cents: int) -> JsonDoc: ...
    async def sell(self, body: JsonDoc) -> JsonDoc: ...
    async def sales(self, limit: int = 20) -> JsonDoc: ...
    async def void_sale(self, sale_id: str, reason: str) -> JsonDoc: ...
    async def print_sale(self, sale_id: str) -> JsonDoc: ...
    async def take_lease(self, ticket_type: int, count: int) -> JsonDoc: ...
    async def return_lease(self, lease_id: str) -> JsonDoc: ...
    async def close(self) -> None: ...


class HttpAgentClient:
    """``https://`` agents are always verified: against ``ca_file`` (the venue CA,
    ``/trust/venue-ca.crt``) when given, else the system's trusted CAs — never not at all."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        ca_file: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._ssl = ssl.create_default_context(cafile=ca_file or None)

    def set_token(self, token: str | None) -> None:
        self._token = token

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(
        self,
        method: str,
        path: str,
        body: JsonDoc | None = None,
        *,
        params: dict[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> JsonDoc:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=self._ssl))
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        timeout = aiohttp.ClientTimeout(total=timeout_s or self._timeout_s)
        try:
            async with self._session.request(
                method, self.url + path, json=body, params=params, headers=headers,
                timeout=timeout,
            ) as resp:  # fmt: skip
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            raise AgentUnreachable(_unreachable_text(self.url, exc)) from None
        try:
            doc = json.loads(raw.decode("utf-8")) if raw else {}
        except (UnicodeDecodeError, ValueError):
            raise AgentUnreachable(f"{self.url} answered {status} but not with JSON") from None
        if status >= 400:
            err = doc.get("error") if isinstance(doc, dict) else None
            code = str(err.get("code", "error")) if isinstance(err, dict) else "error"
            message = str(err.get("message", "")) if isinstance(err, dict) else ""
            cls = TokenRefused if status == 401 else AgentRefused
            raise cls(status, code, message or f"HTTP {status}")
        if not isinstance(doc, dict):
            raise AgentUnreachable(f"{self.url} answered with unexpected JSON")
        return doc

    async def pair(self, code: str, name: str) -> JsonDoc:
        return await self._call("POST", "/api/v1/pair", {"code": code, "name": name})

    async def status(self) -> JsonDoc:
        return await self._call("GET", "/api/v1/status")

    async def find_tickets(self, query: str) -> JsonDoc:
        return await self._call("GET", "/api/v1/tickets", params={"q": query})

    async def ticket(self, ticket_id: str) -> JsonDoc:
        return await self._call("GET", f"/api/v1/tickets/{quote(ticket_id, safe='')}")

    async def override(self, ticket_id: str, direction: str, reason: str) -> JsonDoc:
        return await self._call(
            "POST",
            f"/api/v1/tickets/{quote(ticket_id, safe='')}/override",
            {"direction": direction, "reason": reason},
        )

    async def evidence(self, ticket_id: str) -> JsonDoc:
        """This agent's evidence pack for the ticket: ``evidence_json`` (the exact
        signed text), ``signature``, ``html``, ``conclusion`` (``docs/evidence.md``)."""
        path = f"/api/v1/tickets/{quote(ticket_id, safe='')}/evidence"
        return await self._call("GET", path, timeout_s=SYNC_NOW_TIMEOUT_S)

    async def devices(self) -> JsonDoc:
        return await self._call("GET", "/api/v1/devices")

    async def pairing_code(self, role: str, name: str) -> JsonDoc:
        return await self._call("POST", "/api/v1/pairing-codes", {"role": role, "name": name})

    async def revoke_device(self, device_id: str) -> JsonDoc:
        return await self._call("POST", f"/api/v1/devices/{quote(device_id, safe='')}/revoke")

    async def lift_pairing_lockout(self) -> JsonDoc:
        return await self._call("POST", "/api/v1/pairing/lockout/lift")

    async def sync_now(self) -> JsonDoc:
        return await self._call("POST", "/api/v1/sync/now", timeout_s=SYNC_NOW_TIMEOUT_S)

    async def conflicts(self) -> JsonDoc:
        return await self._call("GET", "/api/v1/sync/conflicts", timeout_s=SYNC_NOW_TIMEOUT_S)

    # -- box office (docs/boxoffice.md) ----------------------------------------------------
    async def boxoffice(self) -> JsonDoc:
        return await self._call("GET", "/api/v1/boxoffice")

    async def open_session(self, operator: str, float_cents: int) -> JsonDoc:
        body = {"operator": operator, "float_cents": float_cents}
        return await self._call("POST", "/api/v1/boxoffice/sessions", body)

    async def close_session(self, counted_cents: int) -> JsonDoc:
        body = {"counted_cents": counted_cents}
        return await self._call("POST", "/api/v1/boxoffice/sessions/current/close", body)

    async def sell(self, body: JsonDoc) -> JsonDoc:
        return await self._call("POST", "/api/v1/boxoffice/sales", body)

    async def sales(self, limit: int = 20) -> JsonDoc:
        return await self._call("GET", "/api/v1/boxoffice/sales", params={"limit": str(limit)})

    async def void_sale(self, sale_id: str, reason: str) -> JsonDoc:
        path = f"/api/v1/boxoffice/sales/{quote(sale_id, safe='')}/void"
        return await self._call("POST", path, {"reason": reason})

    async def print_sale(self, sale_id: str) -> JsonDoc:
        return await self._call(
            "POST", f"/api/v1/boxoffice/sales/{quote(sale_id, safe='')}/print", {}
        )

    async def take_lease(self, ticket_type: int, count: int) -> JsonDoc:
        body = {"ticket_type": ticket_type, "count": count}
        return await self._call(
            "POST", "/api/v1/boxoffice/leases", body, timeout_s=SYNC_NOW_TIMEOUT_S
        )

    async def return_lease(self, lease_id: str) -> JsonDoc:
        path = f"/api/v1/boxoffice/leases/{quote(lease_id, safe='')}/return"
        return await self._call("POST", path, timeout_s=SYNC_NOW_TIMEOUT_S)


def _unreachable_text(url: str, exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer from {url} within the timeout"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (
            f"{url} presented a certificate this machine does not trust: start the TUI with "
            f"--ca-file (the venue CA from {url}/trust/, after comparing its fingerprint)"
        )
    detail = str(exc) or type(exc).__name__
    return f"cannot reach the agent at {url}: {detail}"
