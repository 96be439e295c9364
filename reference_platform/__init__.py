"""The reference platform: the central side of ``sync-v1`` (``docs/sync.md``), for real.

A small aiohttp + SQLite service that the demo, the tests and the benchmarks run beside
door agents, and that shows the production platform team the protocol by example:
events, ticket issuance (GH1 and plain codes), orders with the purchase data an evidence
pack needs, revocations, agent enrolment, the paged manifest feed, door-sale leases and
idempotent, chain-checked ingestion of scans and sales.

Layout: ``store/`` (tables; one writer thread, one reader thread), ``services/`` (the
platform's rules, each a set of functions on a connection: catalog, orders, enrolment,
manifest, leases, ingest, evidence data), ``web/`` (the aiohttp app and its thin route
modules), and at the top ``server`` (start/stop), ``cli`` (``gatehouse-platform``) with
its ``admin_client``, ``data_dir``, ``seed`` and ``errors``.
"""
