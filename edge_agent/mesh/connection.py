"""Connecting to the venue's NATS servers as a member (TLS first, mutual, NKEY).

nats-py's first ``connect`` retries forever when nothing answers, so every connect is
bounded here; after that the client reconnects by itself (preferring this box's own
server: the list is not shuffled), which is what a box wants when its server restarts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.client import Client as NATS

from edge_agent.mesh.errors import MeshUnavailable
from edge_agent.tls.contexts import client_context

log = logging.getLogger(__name__)


class _SslEofNoise(logging.Filter):
    """asyncio logs this on every TLS connection's close (nothing is wrong)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "eof_received() has no effect when using ssl" not in record.getMessage()


logging.getLogger("asyncio").addFilter(_SslEofNoise())


@dataclass(frozen=True)
class ClientCredentials:
    ca: Path
    cert: Path
    key: Path
    seed: bytes


async def connect(
    servers: Sequence[str],
    creds: ClientCredentials,
    *,
    name: str,
    timeout_s: float = 5.0,
    on_disconnected: Callable[[], Awaitable[None]] | None = None,
    on_reconnected: Callable[[], Awaitable[None]] | None = None,
) -> NATS:
    """A connection to the first server that answers (``tls://host:port`` each)."""
    ctx = client_context(creds.ca, cert=creds.cert, key=creds.key)

    async def quiet(exc: Exception) -> None:  # reconnect noise; the status shows the state
        log.debug("mesh: nats client: %s", exc)

    async def noop() -> None:
        return None

    try:
        return await asyncio.wait_for(
            nats.connect(
                servers=list(servers),
                name=name,
                tls=ctx,
                tls_handshake_first=True,
                nkeys_seed_str=creds.seed.decode("ascii"),
                connect_timeout=2,
                reconnect_time_wait=0.25,
                max_reconnect_attempts=-1,
                dont_randomize=True,
                ping_interval=5,
                max_outstanding_pings=2,
                error_cb=quiet,
                disconnected_cb=on_disconnected or noop,
                reconnected_cb=on_reconnected or noop,
            ),
            timeout_s,
        )
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise MeshUnavailable(
            f"cannot reach the mesh's NATS server: {exc or type(exc).__name__}"
        ) from None
