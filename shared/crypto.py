"""Symmetric encryption of the secrets we store and publish (operator passwords, receipt secrets).

Keys are Fernet keys given as one comma-separated string, newest first: the first key encrypts,
every key decrypts. To rotate, put a new key in front, re-encrypt at leisure (`SecretBox.rotate`),
then drop the old key once nothing uses it.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(ValueError):
    """A token could not be decrypted with any key. Its message never contains the token."""


def generate_key() -> str:
    """A new random Fernet key, as text (url-safe base64 of 32 bytes)."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    """Encrypts with the first of its keys and decrypts with any of them (key rotation)."""

    __slots__ = ("_fernet", "_key_count")

    def __init__(self, keys: str) -> None:
        """Build a box from comma-separated Fernet keys, the one to encrypt with first."""
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise ValueError("SecretBox needs at least one Fernet key")
        fernets: list[Fernet] = []
        for position, part in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(part))
            except (ValueError, TypeError):
                # from None and no value in the message: the rejected text may be a real key.
                raise ValueError(
                    f"key #{position} is not a Fernet key (32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet = MultiFernet(fernets)
        self._key_count = len(fernets)

    def __repr__(self) -> str:
        return f"SecretBox(<{self._key_count} key(s) hidden>)"

    def encrypt(self, data: str | bytes) -> str:
        """Encrypt `data` (text as UTF-8) with the first key; returns the token as text."""
        plain = data.encode("utf-8") if isinstance(data, str) else data
        return self._fernet.encrypt(plain).decode("ascii")

    def decrypt(self, token: str | bytes) -> bytes:
        """Decrypt a token made with any of the keys; raises `DecryptionError` otherwise."""
        try:
            return self._fernet.decrypt(token)
        except (InvalidToken, TypeError, ValueError):
            raise DecryptionError(
                "cannot decrypt: the token was made with a key this box does not hold, or altered"
            ) from None

    def decrypt_text(self, token: str | bytes) -> str:
        """Decrypt a token whose plaintext is UTF-8 text."""
        plain = self.decrypt(token)
        try:
            return plain.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError("decrypted value is not UTF-8 text") from None

    def rotate(self, token: str | bytes) -> str:
        """Re-encrypt a token under the first key (for rotation), keeping its original timestamp."""
        try:
            return self._fernet.rotate(token).decode("ascii")
        except (InvalidToken, TypeError, ValueError):
            raise DecryptionError(
                "cannot rotate: the token was made with a key this box does not hold, or altered"
            ) from None
