"""One exception tree for the agent, so callers can catch ``GatehouseError`` and still
tell a bad config from a corrupt ledger by type."""

from __future__ import annotations

import os

from edge_agent.domain.sale_codes import SaleCode


class GatehouseError(Exception):
    """Root of every error the agent raises on purpose."""


class ConfigError(GatehouseError):
    """A config file is missing, unreadable, or has an unknown or ill-typed key.

    The message always names the file and, where there is one, the key and what was
    expected, so a venue tech can fix it without reading code.
    """

    def __init__(self, file: str, key: str | None, problem: str) -> None:
        self.file = file
        self.key = key
        self.problem = problem
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem}")


class FileAccessError(GatehouseError):
    """A file the agent reads or writes is missing, unreadable, unwritable or not what it
    claims; the message names the file and the problem."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class LedgerError(GatehouseError):
    """The ledger cannot be opened, written, or failed its checks."""


class LedgerCorrupt(LedgerError):
    """``PRAGMA integrity_check`` failed, the file is not a database, or the chain broke."""


class LedgerBusy(LedgerError):
    """Another agent process holds the data directory."""


class LedgerWriteFailed(LedgerError):
    """A batch could not be made durable (disk full, I/O error); nothing of it was kept."""


class BoxOfficeError(GatehouseError):
    """A door sale, void, session or lease request that cannot be done.

    ``code`` is a stable ``SaleCode`` (the API's ``error.code``); the message is for
    the person at the counter and never repeats a card number. Nothing was recorded.
    """

    def __init__(self, code: SaleCode, message: str, **detail: object) -> None:
        self.code = code
        self.message = message
        self.detail = detail
        super().__init__(f"{code.value}: {message}")
