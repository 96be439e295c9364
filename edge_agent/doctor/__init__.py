"""``edge-agent doctor``: can the doors open? One line per check, each with its fix.

Why a package of small checks: each check reads one thing (a file, the ledger
read-only, the kernel clock, a socket) and says pass / warn / fail with the fix in one
sentence, so a venue tech who has never seen the code knows what to do. The checks work
whether or not the agent runs: the ledger is opened read-only, and what only the
running agent knows (its devices' health, the mesh) comes over its control socket.
"""
