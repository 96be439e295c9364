"""Backups of a box and restoring them onto the same or a new box (``docs/backup.md``).

Why it matters: the ledger is the evidence. A box that dies mid-season must come back
with every row, the same ``seq`` numbers and the same hash chain, so the platform's
copy continues without a gap and old evidence packs still verify. SQLite's online
backup API copies a consistent snapshot while the writer keeps committing; restore
re-verifies both chains before anything is put in place.
"""
