"""Signed tokens (JWT, HS256) naming a person or a service, its role and the schools it acts on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

ISSUER = "sms-absences"


class Role(StrEnum):
    STAFF = "staff"  # CPE, assistants, direction of the schools named in the token
    ACADEMIE_ADMIN = "academie_admin"  # every school of the académie
    OPS = "ops"  # health and metrics only


class AuthError(Exception):
    """The token is missing, malformed, expired or not signed by us (the reason stays generic)."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    uais: frozenset[str]

    def can_act_on(self, uai: str) -> bool:
        """Staff act on the schools named in their token; the académie on all; ops on none."""
        if self.role is Role.ACADEMIE_ADMIN:
            return True
        return self.role is Role.STAFF and uai.upper() in self.uais


class TokenService:
    def __init__(self, signing_key: str, *, ttl: timedelta = timedelta(hours=8)) -> None:
        if len(signing_key) < 32:
            raise ValueError("the token signing key must be at least 32 characters long")
        self._key = signing_key
        self._ttl = ttl

    def __repr__(self) -> str:
        return "TokenService(key=***)"

    def mint(
        self,
        subject: str,
        role: Role,
        uais: Iterable[str] = (),
        *,
        ttl: timedelta | None = None,
    ) -> str:
        """A signed token for `subject`; staff tokens must name at least one school."""
        schools = sorted({u.upper() for u in uais})
        if role is Role.STAFF and not schools:
            raise ValueError("a staff token names the schools (UAI) it may act on")
        now = datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": subject,
            "role": role.value,
            "uais": schools,
            "iat": now,
            "exp": now + (ttl or self._ttl),
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; raises `AuthError` otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss"]},
            )
            role = Role(claims["role"])
            uais = frozenset(str(u).upper() for u in claims.get("uais", []))
        except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
            raise AuthError("invalid token") from exc
        return Principal(subject=str(claims["sub"]), role=role, uais=uais)
