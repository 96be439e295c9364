"""Pictures to codes: the two-pass decode path (``decoder``) over pluggable backends.

``interface`` is what a backend is, ``registry`` the table of backends by config name
(imported only when named), ``zxing`` and ``zbar`` the plugins, ``images`` turns files
and frames into the gray the backends read, and ``render`` draws camera-like pictures of
codes for the demo, the tests and the benchmarks.
"""
