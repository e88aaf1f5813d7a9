"""Password hashes of local staff accounts: scrypt with a random salt, parameters in the hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# 16 MiB of memory and a few tens of milliseconds per check: slow enough for a stolen table.
_N, _R, _P, _LEN = 2**14, 8, 1, 32
MIN_LENGTH = 12


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash` for `password`."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_LEN, maxmem=64 * 1024 * 1024
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `password` matches `encoded` (constant-time comparison; False on a bad hash)."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(base64.b64decode(expected)),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, base64.b64decode(expected))


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in French; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_LENGTH} caractères."
    if password.strip() != password:
        return "Le mot de passe ne doit pas commencer ni finir par un espace."
    return None


# Checked against when the login is unknown, so that an unknown login costs the same time.
DECOY_HASH = hash_password(secrets.token_urlsafe(16))
