"""What the agent lends its inputs (``InputContext``), as plain callables and sources.

A handheld or phone must see its verdict, so these inputs answer each code with the
verdict's JSON instead of only emitting it; and every LAN endpoint needs a paired device
token. Both live in the agent (``edge_agent``), which ``scanner`` may not import, so the
agent lends them as callables through the input context.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from scanner.inputs.evdev_source import EvdevSource
from scanner.reads import CodeRead

#: ``(read, device_id) -> verdict JSON`` (the shape of ``POST /api/v1/scans``'s answer). The
#: agent debounces, judges, records and signals the lane's outputs before it returns.
Judge = Callable[[CodeRead, str], Awaitable[Mapping[str, object]]]

#: ``token -> device_id`` of an active paired device whose role may submit scans, else None.
#: Implementations compare hashes only; the token itself is never logged.
Authenticate = Callable[[str], str | None]


@dataclass(frozen=True)
class InputContext:
    """What the agent lends its inputs: network inputs answer with the verdict, so they get
    ``judge`` and ``authenticate`` (and ``server_tls``); tests swap the evdev device source
    for a fake bus."""

    judge: Judge | None = None
    authenticate: Authenticate | None = None
    #: ``None`` = the real ``/dev/input`` (python-evdev).
    evdev_source: EvdevSource | None = None
    #: The agent's TLS server context (its API certificate), for network inputs that
    #: speak TLS on the LAN; ``None`` where the agent has none (then they may not).
    server_tls: Callable[[], ssl.SSLContext] | None = None
