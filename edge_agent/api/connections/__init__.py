"""The LAN API's connections, bounded: the guard (who may hold one, who is closed first),
the listener that counts them from ``accept()`` on, and the open-file budget they share.
"""
