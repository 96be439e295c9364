#!/usr/bin/env bash
# Regenerates tests/edge_agent/ledger/fixtures/ledger-v<N>.sql: a small ledger written by
# the code of the commit that shipped schema version N, dumped as SQL text (the upgrade
# tests load each and migrate it to today's version). Run only when a version is added:
# append "N COMMIT" below for the commit that first shipped it on main.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
OUT="$PWD/tests/edge_agent/ledger/fixtures"
versions=(
  "1 b9e94d1"   # Foundation: the gate's tables
  "2 a5063a6"   # sync: manifest tickets, sync state, upload cursors
  "3 8b303d1"   # box office: sales chain (shipped as v3 by the issue-6 merge, 306d54f)
  "4 306d54f"   # chain checkpoints (renumbered from v3 by that merge)
  "5 67b6918"   # scan-row extensions (scans.ext)
  "6 008129e"   # admission halts (issue 17, branch i17-faults; renumber at its merge)
)
for entry in "${versions[@]}"; do
  set -- $entry
  tree=$(mktemp -d)
  git archive "$2" edge_agent sync scanner hardware | tar -x -C "$tree"
  PYTHONPATH="$tree" "$PY" "$OUT/make_ledger_fixture.py" "$OUT/ledger-v$1.sql"
  rm -rf "$tree"
  echo "ledger-v$1.sql from $2"
done
