"""Password → raw database key. The password text never reaches SQLCipher.

The workspace folder keeps `workspace.json` with the KDF parameters and the salt;
neither is secret. The derived 32-byte key is handed to SQLCipher as a raw hex key,
so opening a connection costs no second key derivation.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from app.errors import WorkspaceDamaged, WorkspaceTooNew

META_NAME = "workspace.json"
DB_NAME = "backdesk.db"
FORMAT = 1

# scrypt N=2^15, r=8, p=1: ~32 MiB and ~0.1 s per unlock on this class of machine,
# OWASP's recommended floor for interactive logins.
DEFAULT_N = 2**15
DEFAULT_R = 8
DEFAULT_P = 1


@dataclass(frozen=True)
class KdfParams:
    salt: bytes
    n: int = DEFAULT_N
    r: int = DEFAULT_R
    p: int = DEFAULT_P

    @classmethod
    def fresh(cls) -> KdfParams:
        return cls(salt=secrets.token_bytes(16))

    def derive(self, password: str) -> bytes:
        return hashlib.scrypt(
            password.encode("utf-8"),
            salt=self.salt,
            n=self.n,
            r=self.r,
            p=self.p,
            maxmem=256 * self.n * self.r + (1 << 20),
            dklen=32,
        )


def sqlcipher_key(raw: bytes) -> str:
    """The form SQLCipher reads as a raw key rather than a passphrase."""
    return f"x'{raw.hex()}'"


def write_meta(folder: Path, params: KdfParams) -> None:
    data = {
        "format": FORMAT,
        "kdf": "scrypt",
        "n": params.n,
        "r": params.r,
        "p": params.p,
        "salt": params.salt.hex(),
        "database": DB_NAME,
    }
    tmp = folder / (META_NAME + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / META_NAME)


def read_meta(folder: Path) -> KdfParams:
    path = folder / META_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkspaceDamaged(
            f"The workspace at {folder} is missing its {META_NAME} file, so it cannot be "
            "unlocked. Restore the folder from a backup."
        ) from None
    except (OSError, ValueError) as exc:
        raise WorkspaceDamaged(
            f"The workspace settings file {path} cannot be read ({exc}). "
            "Restore the folder from a backup."
        ) from None
    if not isinstance(data, dict) or data.get("kdf") != "scrypt":
        raise WorkspaceDamaged(f"The workspace settings file {path} is not one Backdesk wrote.")
    if int(data.get("format", 0)) > FORMAT:
        raise WorkspaceTooNew(
            "This workspace was written by a newer version of Backdesk. "
            "Update Backdesk on this computer to open it."
        )
    try:
        return KdfParams(
            salt=bytes.fromhex(data["salt"]), n=int(data["n"]), r=int(data["r"]), p=int(data["p"])
        )
    except (KeyError, ValueError, TypeError):
        raise WorkspaceDamaged(f"The workspace settings file {path} is damaged.") from None


def workspace_exists(folder: Path) -> bool:
    return (folder / DB_NAME).exists()
