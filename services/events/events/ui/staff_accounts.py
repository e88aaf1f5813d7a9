"""Creating or resetting a local staff account (the `users add` command)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from events.ui import accounts
from events.ui.passwords import hash_password, password_problem
from shared.auth import Role

LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@+-]{2,199}$")
UAI = re.compile(r"^\d{7}[A-Z]$")


class AccountError(ValueError):
    """The account cannot be saved as asked (the message says why, in French)."""


async def save_account(
    pool: Any, login: str, role: Role, uai: str | None, password: str, name: str | None = None
) -> bool:
    """Create the account, or reset its role, school, name and password; True when created."""
    login = login.strip().lower()
    if not LOGIN.match(login):
        raise AccountError(
            "Identifiant invalide : 3 à 200 caractères, lettres minuscules, chiffres, . _ @ + -."
        )
    if role is Role.STAFF:
        uai = (uai or "").strip().upper()
        if not UAI.match(uai):
            raise AccountError(
                "Un compte d'établissement demande son UAI (7 chiffres et 1 lettre)."
            )
    elif role is Role.ACADEMIE_ADMIN:
        if uai:
            raise AccountError(
                "Un compte académique ne porte pas d'UAI : il voit tous les établissements."
            )
        uai = None
    else:
        raise AccountError("Rôle invalide : staff ou academie_admin.")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    hashed = await asyncio.to_thread(hash_password, password)
    async with pool.acquire() as conn, conn.transaction():
        return await accounts.upsert(
            conn,
            {
                "login": login,
                "uai": uai,
                "role": role.value,
                "display_name": name,
                "password_hash": hashed,
            },
        )
