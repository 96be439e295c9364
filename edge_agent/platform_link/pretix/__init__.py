"""The agent's side of a pretix link (``docs/pretix.md``): pretix's pages turned into the
agent's rows and gate state (``translate``, ``store``), the link's life (``service``).

The protocol itself — requests, pages, cursors, uploads — is ``sync/pretix``; it never
touches the agent. Here a ticket's identity is made from pretix's data with the pure
core's rules (``domain/pretix_sig1``), so the gate and the manifest always agree.
"""
