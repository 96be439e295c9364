"""One exception tree for the platform; every error reaches a client as
``{"error": {"code": …, "message": …, …}}`` with the status it carries.

The codes are the stable strings ``docs/sync.md`` lists per endpoint; agents act on them
(``gap`` rewinds the upload cursor, ``chain_mismatch`` stops a stream), so they never
change meaning.
"""

from __future__ import annotations

from typing import Any

from edge_agent.errors import GatehouseError


class PlatformError(GatehouseError):
    """Something the platform refuses, with its HTTP status and stable code.

    ``extra`` goes into the error object next to code and message (``seq``, ``field``,
    ``stored_through_seq``), so a client can act without parsing the message.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class BadRequest(PlatformError):
    status = 400
    code = "bad_request"


class Unauthorized(PlatformError):
    status = 401
    code = "unauthorized"


class Forbidden(PlatformError):
    status = 403
    code = "forbidden"


class NotFound(PlatformError):
    status = 404
    code = "not_found"


class Conflict(PlatformError):
    """409: the request is well-formed but the platform's state says no (``sold_out``,
    ``gap``, ``chain_mismatch``, ``cursor_unknown``, ``already_exists``)."""

    status = 409
    code = "conflict"


class TooLarge(PlatformError):
    status = 413
    code = "too_large"


class Invalid(PlatformError):
    """422: a field is missing, ill-typed or out of range (``invalid``, ``bad_row``,
    ``pan_refused``)."""

    status = 422
    code = "invalid"


class SetupError(GatehouseError):
    """The data directory is missing, not initialised, or unusable (CLI-level)."""
