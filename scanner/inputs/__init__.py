"""Scanner inputs, one plugin module per config ``type``: USB keyboard wedge (``wedge``,
with its key translation and layouts), serial (``serial``), network scanners (``tcp``,
``websocket``), cameras (``camera``) and a fake (``fake``).

``registry`` is the one table from ``type`` to plugin and imports a plugin only when a
config names it; ``context`` is what the agent lends the inputs (verdicts for network
scanners, token checks, the evdev device source).
"""
