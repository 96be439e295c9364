"""What the box is told: the TOML config, and the key, keyring and token files it names.

``sections`` declares every key (frozen dataclasses), ``loading`` reads and checks a file
(``load_config``), ``lanes`` holds the ``[[lanes]]`` and ``[printer]`` tables, ``tables``
the strict TOML-to-dataclass builder, and ``key_files`` the key, keyring and token files
on disk. Nothing is re-exported here, so importing ``key_files`` (the reference platform
and the evidence writer do) never loads the config machinery and its device backends.
"""
