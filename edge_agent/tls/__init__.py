"""TLS on the venue LAN: one venue certificate authority, certificates issued from it.

``venue_ca`` makes the venue CA on a box's first start (or loads it; a box that joins a
mesh receives the venue's instead) and issues server certificates for the box's
addresses and ``.local`` name; ``contexts`` turns them into ``ssl.SSLContext`` objects
for the LAN API, the NATS mesh and the clients that must verify them. Staff devices trust
the CA once; nothing here ever talks to the internet.
"""
