"""What an administration operation refuses with (placeholder until the admin-api branch lands;
the merge takes theirs)."""


class AdminError(Exception):
    def __init__(self, detail: str, errors: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class Invalid(AdminError):
    """The input is wrong; errors names each wrong field."""


class NotFound(AdminError):
    pass


class Duplicate(AdminError):
    pass


class PreconditionFailed(AdminError):
    """The object changed since the caller read it (If-Match)."""
