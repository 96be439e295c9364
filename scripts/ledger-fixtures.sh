#!/usr/bin/env bash
# Regenerates tests/edge_agent/ledger/fixtures/ledger-v<N>.sql: a small ledger written by
# the code of the commit that shipped schema version N, dumped as SQL text (the upgrade
# tests load each and migrate it to today's version). Run only when a version is added:
# append "N COMMIT" below for the commit that first shipped it on main, then run
# `scripts/ledger-fixtures.sh N` (only the versions named; none named: every version).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$PWD/.venv/bin/python"
OUT="$PWD/tests/edge_agent/ledger/fixtures"
ONLY="$*"
versions=(
  "1 b9e94d1"   # Foundation: the gate's tables
  "2 a5063a6"   # sync: manifest tickets, sync state, upload cursors
  "3 8b303d1"   # box office: sales chain (shipped as v3 by the issue-6 merge, 306d54f)
  "4 306d54f"   # chain checkpoints (renumbered from v3 by that merge)
  "5 67b6918"   # scan-row extensions (scans.ext)
  "6 2d9e113"   # pretix link tables (issue-15 merge)
  "7 d8115a9"   # ticket flags (gate rules; built as "6" beside the pretix link, renumbered
                #   by the issue-16 merge)
  "8 b17bf55"   # the venue mesh (built as "6", renumbered by the issue-14 merge)
  "9 b02cba7"   # client request ids (built as "6", renumbered by the issue-17 network merge)
  "10 7e04312"  # admission halts (built as "6", renumbered by the issue-17 faults merge,
                #   which shipped 10 and 11 at once: version 10's file is that code
                #   migrating only up to 10, make_ledger_fixture.py's second argument)
  "11 7e04312"  # the manifest lookup table (built as "7", renumbered by the same merge)
)
for entry in "${versions[@]}"; do
  set -- $entry
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $1 "* ]]; then continue; fi
  tree=$(mktemp -d)
  git archive "$2" edge_agent sync scanner hardware | tar -x -C "$tree"
  PYTHONPATH="$tree" "$PY" "$OUT/make_ledger_fixture.py" "$OUT/ledger-v$1.sql" "$1"
  rm -rf "$tree"
  echo "ledger-v$1.sql from $2"
done
