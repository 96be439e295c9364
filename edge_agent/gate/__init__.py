"""The gate at the edge: live state around the pure ``decide()``, the admission claim
seam, and the pipeline that turns a scanned text into a durable verdict."""
