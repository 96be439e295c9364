"""The TUI's only way to the agent: its HTTP API (``docs/api.md``).

``AgentApi`` is the shape the screens use; ``HttpAgentClient`` is the real one (aiohttp,
short timeouts so a dead agent shows as "unreachable" within seconds, never a frozen
screen). Every answer is read into its typed document (``tui/documents``) here, so the
screens never see raw JSON. Every call raises ``AgentUnreachable``, ``TokenRefused``
(401) or ``AgentRefused`` (any other error body) — never a bare aiohttp exception.
"""

from __future__ import annotations

import json
import ssl
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp

from tui.documents.boxoffice import (
    Figures,
    LeaseTaken,
    Printed,
    Sale,
    Sales,
    SeatsReturned,
    Session,
    TillClosed,
)
from tui.documents.status import Conflicts, HaltAnswer, Pairing, Status, SyncNowAnswer
from tui.documents.tickets import (
    Devices,
    EvidenceAnswer,
    Paired,
    PairingCode,
    Revoked,
    TicketDetail,
    TicketsFound,
    Verdict,
)
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
    async def pair(self, code: str, name: str) -> Paired: ...
    async def status(self) -> Status: ...
    async def find_tickets(self, query: str) -> TicketsFound: ...
    async def ticket(self, ticket_id: str) -> TicketDetail: ...
    async def override(self, ticket_id: str, direction: str, reason: str) -> Verdict: ...
    async def evidence(self, ticket_id: str) -> EvidenceAnswer: ...
    async def devices(self) -> Devices: ...
    async def pairing_code(self, role: str, name: str) -> PairingCode: ...
    async def revoke_device(self, device_id: str) -> Revoked: ...
    async def lift_pairing_lockout(self) -> Pairing: ...
    async def sync_now(self) -> SyncNowAnswer: ...
    async def set_halt(self, halt: bool, reason: str) -> bool: ...
    async def conflicts(self) -> Conflicts: ...
    async def boxoffice(self) -> Figures: ...
    async def open_session(self, operator: str, float_cents: int) -> Session: ...
    async def close_session(self, counted_cents: int) -> TillClosed: ...
    async def sell(self, body: JsonDoc) -> Sale: ...
    async def sales(self, limit: int = 20) -> Sales: ...
    async def void_sale(self, sale_id: str, reason: str) -> Sale: ...
    async def print_sale(self, sale_id: str) -> Printed: ...
    async def take_lease(self, ticket_type: int, count: int) -> LeaseTaken: ...
    async def return_lease(self, lease_id: str) -> SeatsReturned: ...
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
        language: str | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        #: Staff messages (verdicts, reasons) come back in this language (en, de, fr, es).
        self.language = language
        self._token = token
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None
        #: The venue's other boxes (from status' ``mesh`` part, docs/mesh.md): when this
        #: one stops answering a read, the client moves to the first that answers. A
        #: device paired at one box works at all; tills and leases stay with their box.
        self.members: list[str] = []
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
        if self.language:
            headers["Accept-Language"] = self.language
        timeout = aiohttp.ClientTimeout(total=timeout_s or self._timeout_s)
        try:
            async with self._session.request(
                method, self.url + path, json=body, params=params, headers=headers,
                timeout=timeout,
            ) as resp:  # fmt: skip
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            if method == "GET" and await self._fail_over():
                return await self._call(method, path, body, params=params, timeout_s=timeout_s)
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

    async def _fail_over(self) -> bool:
        """Move to another member of the venue that answers; True if one did."""
        assert self._session is not None
        for url in [m.rstrip("/") for m in self.members if m.rstrip("/") != self.url]:
            try:
                async with self._session.get(
                    url + "/api/v1/mesh", timeout=aiohttp.ClientTimeout(total=2.0)
                ) as resp:
                    await resp.read()
            except (aiohttp.ClientError, TimeoutError, OSError, ValueError):
                continue
            self.url = url
            return True
        return False

    async def pair(self, code: str, name: str) -> Paired:
        return Paired.from_json(
            await self._call("POST", "/api/v1/pair", {"code": code, "name": name})
        )

    async def status(self) -> Status:
        status = Status.from_json(await self._call("GET", "/api/v1/status"))
        if status.mesh is not None:
            self.members = [self.url, *status.mesh.apis]
        return status

    async def find_tickets(self, query: str) -> TicketsFound:
        return TicketsFound.from_json(
            await self._call("GET", "/api/v1/tickets", params={"q": query})
        )

    async def ticket(self, ticket_id: str) -> TicketDetail:
        path = f"/api/v1/tickets/{quote(ticket_id, safe='')}"
        return TicketDetail.from_json(await self._call("GET", path))

    async def override(self, ticket_id: str, direction: str, reason: str) -> Verdict:
        path = f"/api/v1/tickets/{quote(ticket_id, safe='')}/override"
        body = {"direction": direction, "reason": reason}
        return Verdict.from_json(await self._call("POST", path, body))

    async def evidence(self, ticket_id: str) -> EvidenceAnswer:
        """This agent's evidence pack for the ticket (``docs/evidence.md``)."""
        path = f"/api/v1/tickets/{quote(ticket_id, safe='')}/evidence"
        return EvidenceAnswer.from_json(await self._call("GET", path, timeout_s=SYNC_NOW_TIMEOUT_S))

    async def devices(self) -> Devices:
        return Devices.from_json(await self._call("GET", "/api/v1/devices"))

    async def pairing_code(self, role: str, name: str) -> PairingCode:
        body = {"role": role, "name": name}
        return PairingCode.from_json(await self._call("POST", "/api/v1/pairing-codes", body))

    async def revoke_device(self, device_id: str) -> Revoked:
        path = f"/api/v1/devices/{quote(device_id, safe='')}/revoke"
        return Revoked.from_json(await self._call("POST", path))

    async def lift_pairing_lockout(self) -> Pairing:
        return Pairing.from_json(await self._call("POST", "/api/v1/pairing/lockout/lift"))

    async def sync_now(self) -> SyncNowAnswer:
        answer = await self._call("POST", "/api/v1/sync/now", timeout_s=SYNC_NOW_TIMEOUT_S)
        return SyncNowAnswer.from_json(answer)

    async def set_halt(self, halt: bool, reason: str) -> bool:
        """Stop (``halt``) or resume admissions on the agent; whether it is halted now."""
        path = "/api/v1/gate/halt" if halt else "/api/v1/gate/resume"
        return HaltAnswer.from_json(await self._call("POST", path, {"reason": reason})).halted

    async def conflicts(self) -> Conflicts:
        answer = await self._call("GET", "/api/v1/sync/conflicts", timeout_s=SYNC_NOW_TIMEOUT_S)
        return Conflicts.from_json(answer)

    # -- box office (docs/boxoffice.md) ----------------------------------------------------
    async def boxoffice(self) -> Figures:
        return Figures.from_json(await self._call("GET", "/api/v1/boxoffice"))

    async def open_session(self, operator: str, float_cents: int) -> Session:
        body = {"operator": operator, "float_cents": float_cents}
        return Session.from_json(await self._call("POST", "/api/v1/boxoffice/sessions", body))

    async def close_session(self, counted_cents: int) -> TillClosed:
        body = {"counted_cents": counted_cents}
        path = "/api/v1/boxoffice/sessions/current/close"
        return TillClosed.from_json(await self._call("POST", path, body))

    async def sell(self, body: JsonDoc) -> Sale:
        return Sale.from_json(await self._call("POST", "/api/v1/boxoffice/sales", body))

    async def sales(self, limit: int = 20) -> Sales:
        params = {"limit": str(limit)}
        return Sales.from_json(await self._call("GET", "/api/v1/boxoffice/sales", params=params))

    async def void_sale(self, sale_id: str, reason: str) -> Sale:
        path = f"/api/v1/boxoffice/sales/{quote(sale_id, safe='')}/void"
        return Sale.from_json(await self._call("POST", path, {"reason": reason}))

    async def print_sale(self, sale_id: str) -> Printed:
        path = f"/api/v1/boxoffice/sales/{quote(sale_id, safe='')}/print"
        return Printed.from_json(await self._call("POST", path, {}))

    async def take_lease(self, ticket_type: int, count: int) -> LeaseTaken:
        body = {"ticket_type": ticket_type, "count": count}
        answer = await self._call(
            "POST", "/api/v1/boxoffice/leases", body, timeout_s=SYNC_NOW_TIMEOUT_S
        )
        return LeaseTaken.from_json(answer)

    async def return_lease(self, lease_id: str) -> SeatsReturned:
        path = f"/api/v1/boxoffice/leases/{quote(lease_id, safe='')}/return"
        return SeatsReturned.from_json(await self._call("POST", path, timeout_s=SYNC_NOW_TIMEOUT_S))


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
