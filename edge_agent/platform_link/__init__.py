"""The agent's side of the link to a central platform, as the running agent wires it.

The protocol itself (client, manifest pages, outbox, clock, backoff, worker) is the
``sync`` package, which never touches the ledger; here the agent hands it the
ledger-backed store (``store``), owns its life (``service``: built from ``[sync]``,
started and stopped with the runtime) and reads a local manifest file
(``manifest_file``) for a box with no platform at all.
"""
