"""Page tokens encrypted at rest with Fernet, under a list of keys (newest first)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class TokenDecryptionError(Exception):
    """No configured key opens this ciphertext (a key was removed too early)."""


def key_id(key: str) -> str:
    """A short, stable, non-secret name for a key: 16 hex of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


class TokenCipher:
    """Encrypts with the first key; decrypts with any; re-encrypts old ciphertexts."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("PARLEY_ENCRYPTION_KEYS holds no key")
        try:
            fernets = [Fernet(key.encode()) for key in keys]
        except ValueError:
            raise ValueError(
                "PARLEY_ENCRYPTION_KEYS: each key must be 32 url-safe base64-encoded bytes "
                "(Fernet.generate_key())"
            ) from None
        self._fernet = MultiFernet(fernets)
        self.current_key_id = key_id(keys[0])
        self.key_ids = tuple(key_id(key) for key in keys)

    def encrypt(self, token: str) -> bytes:
        """The ciphertext of a token, under the newest key."""
        return self._fernet.encrypt(token.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        """The token; TokenDecryptionError if no key opens it."""
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken:
            raise TokenDecryptionError("no configured key decrypts this Page token") from None

    def rotate(self, ciphertext: bytes) -> bytes:
        """The same token re-encrypted under the newest key."""
        try:
            return self._fernet.rotate(ciphertext)
        except InvalidToken:
            raise TokenDecryptionError("no configured key decrypts this Page token") from None
