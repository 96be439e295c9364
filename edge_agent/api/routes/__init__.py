"""The LAN API's routes, one module per resource, each with a ``routes`` table.

``scans`` (+ ``scans_ws``), ``status``, ``pairing``, ``devices``, ``tickets``, ``sync``,
``boxoffice`` (+ ``boxoffice_ws``), ``pages`` (the iPad page's files) and ``openapi``
serve ``/api/v1`` and the page; ``control`` serves the operator's Unix socket only.
Handlers are thin: parse (``api/schema``), call the runtime, shape JSON (``api/views``).
"""
