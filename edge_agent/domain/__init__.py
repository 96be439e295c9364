"""The pure core: ticket codec, keyring, reason codes and ``decide()``.

Nothing here does I/O, reads a clock or keeps global state: values in, values out.
"""
