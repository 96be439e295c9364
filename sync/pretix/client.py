"""HTTP client for pretix's REST API as an enrolled device (``Authorization: Device …``).

One organizer, one event, one device token. Answers become the exception tree of
``sync/errors.py`` (transport and 5xx/429 are ``Retryable``, 401 ``Unauthorized`` — a
rolled or revoked device —, 403 ``Forbidden``) except where a caller must read pretix's
verdict from a 4xx body (check-in uploads: ``post`` returns status and body). pretix
sends no millisecond clock header; its ``Date`` header (1 s resolution) gives the clock
sample, with that second's uncertainty added to the round trip. The token never appears
in any message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp

from sync.clock import ClockSample, sample_from_exchange
from sync.errors import (
    Forbidden,
    PlatformError,
    ProtocolError,
    ServerError,
    TransportError,
    Unauthorized,
)

#: pretix's largest page (``pretix/api/pagination.py``).
PAGE_SIZE = 50
_MAX_BODY = 16 * 1024 * 1024


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class PretixClient:
    """Requests under ``/api/v1/organizers/{organizer}/``; the session belongs to the caller."""

    def __init__(
        self,
        base_url: str,
        organizer: str,
        token: str,
        session: aiohttp.ClientSession,
        *,
        timeout_s: float,
        clock_ms: Callable[[], int] = wall_clock_ms,
        on_clock: Callable[[ClockSample], object] | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self.organizer = organizer
        self._token = token
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clock_ms = clock_ms
        self._on_clock = on_clock

    def organizer_path(self, path: str) -> str:
        return f"/api/v1/organizers/{quote(self.organizer, safe='')}/{path.lstrip('/')}"

    def event_path(self, event: str, path: str) -> str:
        return self.organizer_path(f"events/{quote(event, safe='')}/{path.lstrip('/')}")

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> tuple[Any, Mapping[str, str]]:
        """A 2xx JSON answer and its headers; any other answer raises. A list value in
        ``params`` repeats its parameter (``exclude=a&exclude=b``)."""
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        status, doc, headers = await self.request("GET", path + query, None)
        if status >= 300:
            raise error_for(status, doc, f"GET {path}")
        return doc, headers

    async def post(self, path: str, body: Mapping[str, Any]) -> tuple[int, Any]:
        """Status and JSON body; raises only for transport, 5xx/429, 401 and 403."""
        status, doc, _ = await self.request("POST", path, body)
        return status, doc

    async def request(
        self, method: str, path: str, body: Mapping[str, Any] | None
    ) -> tuple[int, Any, Mapping[str, str]]:
        headers = {"Authorization": f"Device {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        t_sent = self._clock_ms()
        try:
            async with self._session.request(
                method, self._base + path, data=data, headers=headers, timeout=self._timeout
            ) as resp:
                raw = await resp.content.read(_MAX_BODY + 1)
                t_received = self._clock_ms()
                status = resp.status
                answer_headers = dict(resp.headers)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TransportError(f"{method} {_short(path)}: {type(exc).__name__}: {exc}") from None
        self._note_clock(answer_headers.get("Date"), t_sent, t_received)
        if len(raw) > _MAX_BODY:
            raise ProtocolError(f"{method} {_short(path)}: answer larger than {_MAX_BODY} bytes")
        doc = _decode(raw, status, f"{method} {_short(path)}")
        if status >= 500 or status == 429 or status in (401, 403):
            raise error_for(status, doc, f"{method} {_short(path)}")
        return status, doc, answer_headers

    def _note_clock(self, header: str | None, t_sent: int, t_received: int) -> None:
        """The ``Date`` header says the second pretix answered in: the midpoint of that
        second is the estimate, and half a second each way joins the rtt's error."""
        if header is None or self._on_clock is None:
            return
        try:
            at_ms = int(parsedate_to_datetime(header).timestamp() * 1000) + 500
        except (TypeError, ValueError, IndexError, OverflowError):
            return
        sample = sample_from_exchange(t_sent, t_received, at_ms)
        self._on_clock(ClockSample(sample.offset_ms, sample.rtt_ms + 1000, sample.measured_at_ms))


def _short(path: str) -> str:
    """A path without its query (secrets never travel in paths, but queries get long)."""
    return urlsplit(path).path


def _decode(raw: bytes, status: int, where: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        if status >= 500 or status == 429:
            raise ServerError(status, "http_error", f"{where}: unreadable {status}", {}) from None
        raise ProtocolError(f"{where}: answer {status} is not JSON") from None


def error_for(status: int, doc: Any, where: str) -> PlatformError:
    """pretix's error body (``{"detail": …}`` or field errors) as the sync exception tree."""
    if isinstance(doc, dict) and isinstance(doc.get("detail"), str):
        message = doc["detail"]
    else:
        message = json.dumps(doc)[:300] if doc is not None else f"HTTP {status}"
    detail = dict(doc) if isinstance(doc, dict) else {}
    code = f"pretix_{status}"
    text = f"{where}: {message}"
    if status >= 500 or status == 429:
        return ServerError(status, code, text, detail)
    if status == 401:
        return Unauthorized(status, code, text, detail)
    if status == 403:
        return Forbidden(status, code, text, detail)
    return PlatformError(status, code, text, detail)
