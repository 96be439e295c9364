"""What the organiser and support ask for after a night: the settlement numbers (the
night report) and the raw rows (exports). Read from the ledger read-only, so they run
while the agent runs, on the box or on a copy from a backup (``docs/reports.md``)."""
