"""Typed keys for objects shared through the aiohttp application."""

from __future__ import annotations

from aiohttp import web

from edge_agent.devices.registry import Device
from edge_agent.runtime import AgentRuntime

RUNTIME_KEY = web.AppKey("runtime", AgentRuntime)
#: On the control app: the LAN app whose runtime it administers.
RUNTIME_APP_KEY = web.AppKey("runtime_app", web.Application)
#: On the control app: the URLs the LAN API is bound to, as bound (a configured port 0
#: is the port the system chose), for ``edge-agent pair`` to print.
LAN_URLS_KEY = web.AppKey("lan_urls", list[str])
#: Set on each authenticated request by the auth middleware.
DEVICE_KEY = web.RequestKey("device", Device)


def runtime_of(request: web.Request) -> AgentRuntime:
    return request.app[RUNTIME_KEY]


def device_of(request: web.Request) -> Device:
    return request[DEVICE_KEY]  # KeyError here means a route skipped the auth middleware
