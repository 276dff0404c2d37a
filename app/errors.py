"""Typed errors the services raise. Each carries a message a clerk can read as is."""

from __future__ import annotations


class BackdeskError(Exception):
    """Base of every error meant to be shown to the person at the desk."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongPassword(BackdeskError):
    def __init__(self) -> None:
        super().__init__("The password is not correct for this workspace. Nothing was changed.")


class WorkspaceNotFound(BackdeskError):
    pass


class WorkspaceExists(BackdeskError):
    pass


class WorkspaceTooNew(BackdeskError):
    pass


class WorkspaceDamaged(BackdeskError):
    pass


class WorkspaceLocked(BackdeskError):
    pass


class PermissionDenied(BackdeskError):
    pass


class ValidationFailed(BackdeskError):
    """Input that a service refuses; `field` names the offending field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(BackdeskError):
    pass


class StaleRecord(BackdeskError):
    """Someone else changed the record since it was read; the edit was not applied."""
