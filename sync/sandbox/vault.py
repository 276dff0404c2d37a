"""The sandbox gateway's secrets at rest: one key file (mode 0600) beside the database,
a stand-in for the key service a production gateway would use. It keys the SQLCipher
database and seals document files with AES-256-GCM, binding each document's id in as
associated data so ciphertexts cannot be swapped between ids."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 64  # 32 for the database, 32 for document files


class Vault:
    def __init__(self, key_file: Path) -> None:
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(KEY_BYTES))
        key = key_file.read_bytes()
        if len(key) != KEY_BYTES:
            raise ValueError(f"{key_file} is damaged (wrong length)")
        self.database_key = key[:32]
        self._aead = AESGCM(key[32:])

    def seal(self, doc_id: str, data: bytes) -> tuple[bytes, bytes]:
        nonce = secrets.token_bytes(12)
        return nonce, self._aead.encrypt(nonce, data, doc_id.encode())

    def open(self, doc_id: str, nonce: bytes, ciphertext: bytes) -> bytes:
        return self._aead.decrypt(nonce, ciphertext, doc_id.encode())
