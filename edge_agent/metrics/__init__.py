"""``GET /metrics``: the agent's figures in Prometheus text format (``docs/metrics.md``).

Why this shape: the gate's hot path must not pay for being watched. Per-scan counting
is plain dictionary and list arithmetic in a ``GateStats`` listener on the event loop
(``scan_counts.py``: no locks, no prometheus-client objects touched per scan);
everything else is read when Prometheus scrapes (``collector.py``), from what the
runtime already holds and two small indexed queries. prometheus-client only formats.
"""
