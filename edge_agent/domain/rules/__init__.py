"""The gate's rules as data (events, check-in lists, zones, flags) and their pure checks.

``decide()`` evaluates them; config and manifest fill them. A rule change is a change of
these values, never of code (``docs/gate.md``, "Rules").
"""
