"""HTTP client for the platform's agent API (``docs/sync.md``).

Every request carries the bearer token and ``X-Agent-Time-Ms``; every answer's
``X-Platform-Time-Ms`` becomes a clock sample. Large bodies are gzip-compressed, and
the JSON work for them (encode, compress, decode) runs in a worker thread so a big
upload or manifest page never stalls the gate's event loop. Error answers become the
exception tree of ``sync/errors.py``; the token never appears in any message.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from sync.clock import ClockSample, sample_from_exchange
from sync.errors import (
    BadRow,
    ChainMismatch,
    CursorUnknown,
    Forbidden,
    PlatformError,
    ProtocolError,
    ServerError,
    TransportError,
    Unauthorized,
    UploadGap,
)

#: Bodies at least this large are sent gzip-compressed.
GZIP_MIN_BYTES = 1024
#: Encoding/decoding bodies this large happens off the event loop.
_THREAD_MIN_BYTES = 64 * 1024


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def redact_url(url: str) -> str:
    """The URL without user:password@ (safe for status and logs)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class PlatformClient:
    """One platform, one agent token. The session belongs to the caller."""

    def __init__(
        self,
        base_url: str,
        token: str,
        session: aiohttp.ClientSession,
        *,
        timeout_s: float,
        clock_ms: Callable[[], int] = wall_clock_ms,
        on_clock: Callable[[ClockSample], object] | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clock_ms = clock_ms
        self._on_clock = on_clock

    async def get_manifest(self, event_id: int, since: str, limit: int) -> Any:
        """One manifest page as decoded JSON (checked by the caller)."""
        query = f"limit={limit}" + (f"&since={quote(since, safe='')}" if since else "")
        return await self._request("GET", f"/v1/events/{event_id}/manifest?{query}", None)

    async def get_conflicts(self, event_id: int) -> Any:
        """The platform's cross-agent conflicts report for the event (decoded JSON)."""
        return await self._request("GET", f"/v1/events/{event_id}/conflicts", None)

    async def post_rows(self, agent_id: str, stream: str, body: dict[str, Any]) -> Any:
        """Upload a batch to ``/v1/agents/{agent_id}/{stream}`` (stream: scans, sales)."""
        return await self._request("POST", f"/v1/agents/{quote(agent_id, safe='')}/{stream}", body)

    async def post_lease(self, event_id: int, body: dict[str, Any]) -> Any:
        """Ask for a door-sale quota lease (``sync/leases.py`` checks the answer)."""
        return await self._request("POST", f"/v1/events/{event_id}/leases", body)

    async def post_lease_return(self, lease_id: str, unused: int) -> Any:
        """Give a lease's unused seats back."""
        path = f"/v1/leases/{quote(lease_id, safe='')}/return"
        return await self._request("POST", path, {"unused": unused})

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        headers = {"Authorization": f"Bearer {self._token}", "Accept-Encoding": "gzip"}
        data: bytes | None = None
        if body is not None:
            data, gzipped = await _encode(body)
            headers["Content-Type"] = "application/json"
            if gzipped:
                headers["Content-Encoding"] = "gzip"
        t_sent = self._clock_ms()
        headers["X-Agent-Time-Ms"] = str(t_sent)
        try:
            async with self._session.request(
                method, self._base + path, data=data, headers=headers, timeout=self._timeout
            ) as resp:
                t_received = self._clock_ms()
                self._note_clock(resp.headers.get("X-Platform-Time-Ms"), t_sent, t_received)
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransportError(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        doc = await _decode(raw, status, path)
        if status >= 400:
            raise _error_for(status, doc)
        return doc

    def _note_clock(self, header: str | None, t_sent: int, t_received: int) -> None:
        if header is None or self._on_clock is None:
            return
        try:
            platform_ms = int(header)
        except ValueError:
            return
        self._on_clock(sample_from_exchange(t_sent, t_received, platform_ms))


async def _encode(body: dict[str, Any]) -> tuple[bytes, bool]:
    def work() -> tuple[bytes, bool]:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(raw) >= GZIP_MIN_BYTES:
            return gzip.compress(raw, compresslevel=5), True
        return raw, False

    rows = body.get("rows")
    if isinstance(rows, list) and len(rows) > 50:
        return await asyncio.to_thread(work)
    return work()


async def _decode(raw: bytes, status: int, path: str) -> Any:
    def work() -> Any:
        return json.loads(raw.decode("utf-8")) if raw else None

    try:
        if len(raw) >= _THREAD_MIN_BYTES:
            return await asyncio.to_thread(work)
        return work()
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        if status >= 500:
            raise ServerError(status, "http_error", f"unreadable {status} answer", {}) from None
        raise ProtocolError(f"{path}: answer {status} is not JSON") from None


_BY_CODE: dict[tuple[int, str], type[PlatformError]] = {
    (409, "cursor_unknown"): CursorUnknown,
    (409, "gap"): UploadGap,
    (409, "chain_mismatch"): ChainMismatch,
    (422, "bad_row"): BadRow,
}


def _error_for(status: int, doc: Any) -> PlatformError:
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        err = {}
    code = str(err.get("code", "http_error"))
    message = str(err.get("message", f"HTTP {status}"))
    cls = _BY_CODE.get((status, code))
    if cls is None:
        if status >= 500:
            cls = ServerError
        elif status == 401:
            cls = Unauthorized
        elif status == 403:
            cls = Forbidden
        else:
            cls = PlatformError
    return cls(status, code, message, dict(err))
