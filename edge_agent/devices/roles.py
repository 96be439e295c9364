"""Roles a paired device can hold. Every API route names the roles it accepts."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SCANNER = "scanner"  # handhelds, wifi scanners, phones: may submit scans
    BOX_OFFICE = "box_office"  # iPads and the TUI at the counter
    SUPERVISOR = "supervisor"  # may do everything, incl. overrides and device admin
    PEER = "peer"  # another gate box of the same venue
    METRICS = "metrics"  # a Prometheus scraper: GET /metrics and nothing else


#: Every role that works the gate (``GET /api/v1/status`` and the like). Not ``metrics``:
#: a scraper's token sits in a Prometheus config file, so it reads only the figures.
ANY_ROLE: frozenset[Role] = frozenset(Role) - {Role.METRICS}
