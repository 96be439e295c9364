"""The ``edge-agent`` command line: one module per command group."""
