"""Chargeback evidence (``docs/evidence.md``): signed chain checkpoints, the evidence
pack's canonical form, its builder, verifier and printable renderings.

Everything in this package is pure (values in, values out: no files, no database, no
clock), so the agent's exporter, the reference platform and ``edge-agent evidence
verify`` share one definition of what a pack is and what it proves. Reading the ledger
or the platform's tables happens at the edges (``edge_agent/ledger/chain_checkpoints.py``,
``sync/reference_platform/evidence_data.py``, ``edge_agent/cli/evidence_cmd.py``).
"""
