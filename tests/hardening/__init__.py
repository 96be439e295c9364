"""Issue 17's crash-and-fault report: each scenario runs against real agent processes.

Every scenario module has ``run(work_dir, heavy) -> Outcome``. ``make hardening``
(``python -m tests.hardening``) runs them all heavy — the counts the issue names, a few
minutes in all — and writes ``test-artifacts/hardening.json`` and a Markdown table
(``docs/hardening.md`` holds the latest); ``test_scenarios.py`` runs each one light
inside ``make test``. Everything talks to 127.0.0.1 only, and every load is bounded in
count and time.
"""
