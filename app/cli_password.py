"""Where the CLI gets passwords: a prompt, or BACKDESK_PASSWORD for automation."""

from __future__ import annotations

import getpass
import os
import sys

from app.errors import ValidationFailed


def ask(prompt: str, env: str = "BACKDESK_PASSWORD", *, confirm: bool = False) -> str:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise ValidationFailed(f"No terminal to ask for the password: set {env} to run "
                               "this command unattended.")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat it: ") != first:
        raise ValidationFailed("The two passwords were not the same. Nothing was changed.")
    return first
