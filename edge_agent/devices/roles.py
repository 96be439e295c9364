"""Roles a paired device can hold. Every API route names the roles it accepts."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SCANNER = "scanner"  # handhelds, wifi scanners, phones: may submit scans
    BOX_OFFICE = "box_office"  # iPads and the TUI at the counter
    SUPERVISOR = "supervisor"  # may do everything, incl. overrides and device admin
    PEER = "peer"  # another gate box of the same venue


ANY_ROLE: frozenset[Role] = frozenset(Role)
