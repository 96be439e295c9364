"""Door sales: tills (sessions), quota leases, sales, voids, delivery, live figures.

The rules are pure (``edge_agent/domain/sale.py``); what each action writes is in
``ledger_ops`` (one ledger-writer transaction each, chained ``sales`` rows); the service
(``service.BoxOffice``, ``runtime.boxoffice``) signs tickets, talks to the platform
about leases (``sync/leases.py``), prints and tells listeners. For the WebSocket:
``await runtime.boxoffice.figures(device_id)`` is the ``GET /api/v1/boxoffice`` body;
``runtime.boxoffice.on_change(callback)`` (or ``changes()``, an ``asyncio.Event``-style
subscription) fires after every sale, void, lease or session change and every first
admission at this agent's gates. ``docs/boxoffice.md`` has the whole picture.
"""
