"""Domain errors: raised by services, messages already translated and safe to show."""

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """A broken business rule. ``str(err)`` is a translated message for the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(DomainError):
    """The actor may not do this to this object."""


class InvalidTransition(DomainError):
    """The object's current state does not allow the requested change."""


class NotFound(DomainError):
    """A referenced object does not exist (or is not visible to the actor)."""


class Conflict(DomainError):
    """The change collides with existing data (duplicate, still referenced...)."""


class ConcurrentChange(Conflict):
    """Someone changed the same data at the same moment, and running again did not help."""

    def __init__(self, message: str | None = None):
        super().__init__(message or _l("其他人刚刚同时修改了这项内容，您的操作没有生效。请刷新页面后重试。"))
