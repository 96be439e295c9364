"""The evidence pack's pure core: values in, values out (no files, database or clock).

Reading the ledger or the platform's tables happens at the edges
(``edge_agent/evidence/export.py``, ``edge_agent/ledger/chain_checkpoints.py``,
``reference_platform/services/evidence_data.py``); this package only builds, signs, verifies and
renders packs from the values they hand in.
"""
