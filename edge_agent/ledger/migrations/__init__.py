"""The ledger's migrations, one module per topic (listed in order in ``ledger/schema.py``).

Why a package: the schema grew past what one module should hold, and a migration is
never edited once shipped, so its body can sit apart from the list and ``migrate`` that
run it. Add a migration as a new function (here, in its topic's module or a new one)
and append it to ``schema.MIGRATIONS``; never change one that has shipped.
"""
