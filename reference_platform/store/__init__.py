"""The platform's SQLite: its tables (``schema``) and the one-writer/one-reader access
(``database``)."""
