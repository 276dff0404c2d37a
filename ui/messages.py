"""What the person at the desk reads when an operation fails."""

from __future__ import annotations

from app.errors import BackdeskError


def user_message(error: BaseException) -> str:
    if isinstance(error, BackdeskError):
        return error.message
    # An unexpected failure: its text may quote data (a name, a path), so the person
    # gets its kind only; the log has the traceback without values.
    return (f"This could not be done because of an unexpected problem "
            f"({type(error).__name__}). The step it was on was not saved; try again, and "
            "tell your administrator if it happens again.")
