"""Door sales: tills (sessions), quota leases, sales, voids, delivery, live figures.

The rules are pure (``edge_agent/domain/sale.py``); what each action writes is in
``sale_writes``, ``void_writes``, ``session_writes`` and ``lease_writes`` (one
ledger-writer transaction each, chained ``sales`` rows); the service
(``service.BoxOffice``, ``runtime.boxoffice``) is one object over ``tills``,
``selling`` (signs tickets, prints) and ``leasing`` (talks to the platform about leases,
``sync/leases.py``), which all go through one ``desk`` and tell listeners (``changes``).
For the WebSocket: ``await runtime.boxoffice.figures(device_id)`` is the
``GET /api/v1/boxoffice`` body; ``runtime.boxoffice.on_change(callback)`` (or
``changes()``, an ``asyncio.Event``-style subscription) fires after every sale, void,
lease or session change and every first admission at this agent's gates.
``docs/boxoffice.md`` has the whole picture.
"""
