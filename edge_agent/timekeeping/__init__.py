"""What time it is, as far as the agent can know: the wall clock checked against a
build-time floor, the monotonic clock and the platform's measured offset."""
