"""The venue mesh: several boxes on one LAN act as one gate (``docs/mesh.md``).

Each box runs a NATS server with JetStream as a supervised child (``server``), with a
config rendered from the venue's roster (``roster``, ``server_config``): mutual TLS with
the venue CA and pinned member certificates on routes and clients, one NKEY user per
member agent. Admissions are claimed in a replicated key-value bucket (``claimer``,
``claim_values``) behind the gate's ``AdmissionClaimer`` seam; claims that could not
reach a quorum are recorded ``unconfirmed`` and replayed when the cluster heals
(``replay``), where two admissions of one ticket become a flagged conflict. Venue state
(revocations, manifest pages, door sales, voids, device pairings, membership) travels
in one stream that every member applies through its ledger writer (``venue_events``,
``event_apply``, ``event_feed``). Boxes join with a one-time code (``join``) and leave
by command (``membership``); ``service`` holds it all together for the runtime.

Nothing here is imported by the pure core (``edge_agent.domain``) or by the ledger; a
box without ``[mesh]`` never imports this package beyond its config section.
"""
