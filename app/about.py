"""What the About dialog and `backdesk selfcheck` say about this copy of Backdesk:
product, version, licence, and the versions of the libraries a support ticket needs.

Qt-free like the rest of app/: the desktop adds Qt's own runtime version.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from app.version import __version__

PRODUCT = "Backdesk"
# pyproject.toml's `license` (LicenseRef-Proprietary) as people read it; a test keeps
# the two in step, since a frozen build has no pyproject to read it from.
LICENCE = "Proprietary"
COPYRIGHT = "Copyright © 2026 Backdesk"
# Beside the other data files, so it resolves the same way from a checkout and from a
# frozen build (which keeps the tree's layout under its own folder).
ICON = Path(__file__).resolve().parents[1] / "resources" / "icons" / "backdesk.svg"

# Read from installed metadata rather than imported: app/ must not import the network
# libraries, and asking for a version should not load Qt. installer/backdesk.spec copies
# exactly these distributions' metadata into the frozen build.
DISTRIBUTIONS = ("PySide6", "SQLAlchemy", "reportlab", "requests", "websocket-client")
NOT_FOUND = "not found"


@dataclass(frozen=True)
class About:
    product: str
    version: str
    licence: str
    copyright: str
    libraries: tuple[tuple[str, str], ...]  # (name, version) in the order shown

    def text(self) -> str:
        """The whole of it as plain text, for pasting into a support ticket."""
        lines = [f"{self.product} {self.version}", f"Licence: {self.licence}", self.copyright]
        lines += [f"{name}: {version}" for name, version in self.libraries]
        return "\n".join(lines)


def sqlcipher_versions() -> tuple[str, str]:
    """(SQLCipher, SQLite) as linked into the driver the workspace uses.

    The stdlib's sqlite3 may be another SQLite entirely, so both come from sqlcipher3.
    An in-memory connection answers the PRAGMA without a key or a file.
    """
    import sqlcipher3

    conn = sqlcipher3.connect(":memory:")
    try:
        row = conn.execute("PRAGMA cipher_version").fetchone()
    finally:
        conn.close()
    return (str(row[0]) if row else NOT_FOUND), str(sqlcipher3.sqlite_version)


def installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return NOT_FOUND


def about(runtime: Sequence[tuple[str, str]] = ()) -> About:
    """`runtime`: versions only the caller can ask for (the desktop passes Qt's);
    shown right after Python's."""
    cipher, sqlite = sqlcipher_versions()
    binding, *others = DISTRIBUTIONS
    libraries = [("Python", platform.python_version()), *runtime,
                 (binding, installed_version(binding)), ("SQLCipher", cipher),
                 ("SQLite", sqlite), *((name, installed_version(name)) for name in others)]
    return About(PRODUCT, __version__, LICENCE, COPYRIGHT, tuple(libraries))
