"""``gatehouse-demo``: a whole venue in one command, for a newcomer's first minute.

Its own package because it drives everything: a real reference platform
(``reference_platform``) and real agents (``edge_agent``) on loopback, with simulated
scanners and cameras. Nothing else imports it, so neither the agent nor the platform
depends on the other through it. ``event`` builds the demo event on disk (also used by
the tests and benchmarks), ``cli`` runs the tour, ``platform_stack`` / ``boxoffice`` /
``camera`` / ``printing`` are its parts.
"""
