"""Paired devices: roles, one-time pairing codes, bearer tokens."""
