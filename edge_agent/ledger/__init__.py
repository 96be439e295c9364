"""The durable, hash-chained SQLite ledger: migrations, the single writer, queries.

Only the agent's runtime imports this package; the TUI, hardware and scanners never do
(enforced by import-linter).
"""
