"""Staff messages in the device's language: gettext catalogues (Babel) for the edge.

``decide()`` stays pure and returns codes and parameters; this package turns them into
words for a gate, an iPad or the TUI in English, German, French or Spanish.
"""
