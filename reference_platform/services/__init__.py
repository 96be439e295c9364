"""The platform's rules, each a set of functions on a database connection: events and
ticket types (``catalog``), ``orders`` and their revocations, agent ``enrolment``, the
``manifest`` feed, door-sale ``leases`` and ``door_sales``, chain-checked ``ingest`` of
uploads, signed ``checkpoints`` and the data of evidence packs (``evidence_data``)."""
