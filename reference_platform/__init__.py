"""The reference platform: the central side of ``sync-v1`` (``docs/sync.md``), for real.

A small aiohttp + SQLite service that the demo, the tests and the benchmarks run beside
door agents, and that shows the production platform team the protocol by example:
events, ticket issuance (GH1 and plain codes), orders with the purchase data an evidence
pack needs, revocations, agent enrolment, the paged manifest feed, door-sale leases and
idempotent, chain-checked ingestion of scans and sales.

Layout: ``schema`` (tables), ``database`` (one writer thread, one reader thread),
``catalog`` / ``orders`` / ``enrolment`` / ``manifest`` / ``leases`` / ``ingest`` (the
platform's rules, each a set of functions on a connection), ``http_app`` and the two
route modules (thin handlers), ``cli`` (``gatehouse-platform``).
"""
