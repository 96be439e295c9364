"""Chargeback evidence (``docs/evidence.md``).

``core/`` is pure (values in, values out: no files, no database, no clock): signed chain
checkpoints, the pack's canonical form, its builder and input types, the verifier and
the printable renderings, so the agent's exporter, the reference platform and
``edge-agent evidence verify`` share one definition of what a pack is and what it
proves (an import-linter contract keeps it pure). Beside it sit the agent's edges:
``export`` reads the agent's own ledger into a pack, ``files`` writes a pack to disk.
"""
