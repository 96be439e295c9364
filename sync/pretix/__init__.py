"""The link to a pretix server as the central platform (``docs/pretix.md``).

The agent enrols as a pretix device (``enrol``), downloads what pretix's own offline
scanner downloads — the event, its products and dates, the configured check-in list,
order positions, revoked and blocked secrets — page by page with resumable cursors
(``download``), and uploads each ledger row as a pretix check-in (``upload``). Like the
rest of ``sync`` it never touches the agent: it talks through ``store.PretixStore``.
"""
