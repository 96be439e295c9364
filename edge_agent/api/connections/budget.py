"""How many connections the API may hold: the config's caps, fitted to the open files.

Why: a connection is a file descriptor, and so are the ledger's files, the control
socket, scanners, the platform link and every TCP scanner input's clients. If the API's
connections could use them all, the ledger could not open its WAL and ``accept()`` would
fail with EMFILE — which is what a slowloris did before. So the API gets the process's
soft ``RLIMIT_NOFILE`` minus a reserve for everything else, or the configured
``api.max_connections`` if that is lower, and says so at start when it had to shrink.
"""

from __future__ import annotations

import logging
import os
import resource

from edge_agent.api.connections.guard import ConnectionLimits
from edge_agent.config.sections import Config

log = logging.getLogger(__name__)

#: Descriptors kept for everything that is not an API connection (ledger, WAL and
#: shared memory for two connections, evidence exports, the control socket, scanners,
#: cameras, the printer, the platform link, zeroconf, logging), beyond TCP inputs' clients.
OTHER_FILES = 64
#: The API never gets fewer than this many connections, whatever the limit says.
MIN_CONNECTIONS = 16


def file_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def open_files() -> int | None:
    """Descriptors open now (``/proc/self/fd``; None where there is no /proc)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return None


def connection_limits(config: Config, soft_limit: int | None = None) -> ConnectionLimits:
    """The API's connection caps for this config under the open-file limit."""
    api = config.api
    soft = file_limit() if soft_limit is None else soft_limit
    tcp_clients = sum(
        int(getattr(i.options, "max_clients", 0))
        for lane in config.lanes
        for i in lane.inputs
        if i.type == "tcp"
    )
    budget = max(MIN_CONNECTIONS, soft - OTHER_FILES - tcp_clients)
    total = min(api.max_connections, budget)
    if total < api.max_connections:
        log.warning(
            "api.max_connections lowered to fit the open-file limit; raise LimitNOFILE",
            extra={
                "configured": api.max_connections,
                "allowed": total,
                "open_file_limit": soft,
            },
        )
    return ConnectionLimits(
        max_total=total,
        per_address=min(api.max_connections_per_address, total),
        paired_reserve=min(api.paired_reserve, total // 2),
        header_timeout_s=api.header_timeout_s,
    )
