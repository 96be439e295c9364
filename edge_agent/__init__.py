"""Gatehouse edge agent: the process that runs on the venue box.

The pure core lives in :mod:`edge_agent.domain`; everything that touches disks, sockets
or clocks lives around it (ledger, api, runtime, cli).
"""

__version__ = "0.1.0"
