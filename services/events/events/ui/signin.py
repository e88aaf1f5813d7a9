"""Who is signing in: one seam (`Authenticator`) behind the sign-in page.

The local accounts (login + password) are the first implementation; the académie's single
sign-on (OpenID Connect) will be another one, answering with the same `SignInResult`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from events.ui import accounts
from events.ui.passwords import DECOY_HASH, verify_password
from shared.auth import Principal, Role
from shared.db.types import Connection

WRONG_CREDENTIALS = (
    "Identifiant ou mot de passe incorrect. Vérifier la saisie (majuscules, pavé numérique) : "
    "après {limit} échecs, le compte est verrouillé {minutes} minutes."
)
LOCKED = (
    "Trop de tentatives infructueuses : ce compte est verrouillé jusqu'à {until}. "
    "Réessayer ensuite, ou demander à l'administrateur de l'établissement de réinitialiser "
    "le mot de passe."
)
MISSING = "Saisir l'identifiant et le mot de passe."


@dataclass(frozen=True)
class SignInResult:
    principal: Principal | None
    error: str | None = None
    field: str | None = None  # the form field the error belongs to


class Authenticator(Protocol):
    """Checks credentials; never says whether a login exists."""

    async def authenticate(self, login: str, password: str) -> SignInResult: ...


@dataclass(frozen=True)
class Lockout:
    max_failures: int
    minutes: int


UNKNOWN_LOGINS_KEPT = 10_000


class LocalAuthenticator:
    """Accounts of `staff_accounts`, with a lockout after repeated failures."""

    def __init__(self, pool: Any, lockout: Lockout, *, display_zone: str = "Europe/Paris") -> None:
        self._pool = pool
        self._lockout = lockout
        self._zone = ZoneInfo(display_zone)
        # Logins that do not exist go through the same failures and lockout, kept in memory, so
        # that the lockout message does not tell an existing login from an unknown one.
        self._unknown: OrderedDict[str, tuple[int, datetime | None]] = OrderedDict()

    async def authenticate(self, login: str, password: str) -> SignInResult:
        login = login.strip().lower()
        if not login or not password:
            return SignInResult(None, MISSING, "login" if not login else "password")
        async with self._pool.acquire() as conn, conn.transaction():
            return await self._check(conn, login, password)

    async def _check(self, conn: Connection, login: str, password: str) -> SignInResult:
        now = datetime.now(UTC)
        account = await accounts.get_for_sign_in(conn, login)
        wrong = SignInResult(
            None,
            WRONG_CREDENTIALS.format(
                limit=self._lockout.max_failures, minutes=self._lockout.minutes
            ),
            "password",
        )
        if account is None:
            await asyncio.to_thread(verify_password, password, DECOY_HASH)
            return self._unknown_login_failed(login, now) or wrong
        locked_until = account["locked_until"]
        if locked_until is not None and locked_until > now:
            return self._locked(locked_until)
        if not await asyncio.to_thread(verify_password, password, account["password_hash"]):
            failures = account["failed_attempts"] + 1
            until = None
            if failures >= self._lockout.max_failures:
                until = now + timedelta(minutes=self._lockout.minutes)
                failures = 0
            await accounts.record_failure(conn, login, failures, until)
            return self._locked(until) if until else wrong
        await accounts.record_success(conn, login, now)
        role = Role(account["role"])
        uais = frozenset({account["uai"]}) if account["uai"] else frozenset()
        return SignInResult(Principal(subject=login, role=role, uais=uais))

    def _unknown_login_failed(self, login: str, now: datetime) -> SignInResult | None:
        failures, until = self._unknown.pop(login, (0, None))
        if until is not None and until > now:
            self._unknown[login] = (failures, until)
            return self._locked(until)
        failures, until = failures + 1, None
        if failures >= self._lockout.max_failures:
            failures, until = 0, now + timedelta(minutes=self._lockout.minutes)
        self._unknown[login] = (failures, until)
        while len(self._unknown) > UNKNOWN_LOGINS_KEPT:
            self._unknown.popitem(last=False)
        return self._locked(until) if until else None

    def _locked(self, until: datetime) -> SignInResult:
        local = until.astimezone(self._zone)
        return SignInResult(None, LOCKED.format(until=f"{local:%H:%M}"), "password")


class SourceThrottle:
    """Failed sign-ins per client address in a sliding window, in this process's memory: it
    slows down one machine trying many logins (the per-account lockout cannot see that)."""

    def __init__(self, max_failures: int, window_s: float) -> None:
        self._max = max_failures
        self._window = window_s
        self._failures: dict[str, list[float]] = {}

    def _recent(self, source: str, now: float) -> list[float]:
        kept = [t for t in self._failures.get(source, []) if now - t < self._window]
        if kept:
            self._failures[source] = kept
        else:
            self._failures.pop(source, None)
        return kept

    def blocked_for(self, source: str, now: float) -> float:
        """Seconds before `source` may try again (0 when it may now)."""
        recent = self._recent(source, now)
        if len(recent) < self._max:
            return 0.0
        return self._window - (now - recent[0])

    def failed(self, source: str, now: float) -> None:
        self._recent(source, now)
        self._failures.setdefault(source, []).append(now)
        if len(self._failures) > 10_000:  # a flood of addresses must not grow memory forever
            oldest = min(self._failures, key=lambda s: self._failures[s][-1])
            self._failures.pop(oldest)


THROTTLED = "Trop de tentatives de connexion depuis ce poste : réessayer dans {minutes} minute(s)."
