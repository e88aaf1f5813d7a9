""" "Tester": a real authenticated call to the school's operator, answered in French.

The form's values may be tested before they are saved: what the request gives overrides what is
stored (an omitted password means the stored one). No database connection is held during the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.adapters import audit
from events.adapters import schools as repo
from events.app.operators import require_choosable
from events.app.schools import require_enabled
from events.domain.errors import DomainError
from events.domain.providers import ProviderEntry
from shared.crypto import SecretBox
from shared.db.types import Connection
from shared.operators.base import (
    AccountConfig,
    AdapterRegistry,
    OperatorError,
    OperatorTimeoutError,
    OutcomeUnknownError,
    PermanentOperatorError,
    TransientOperatorError,
)

UNREACHABLE = (
    "Le service d'envoi de SMS est injoignable ou ne répond pas : Vérifier les paramètres du "
    "fournisseur de service."
)
MESSAGES = {
    "success": "Connexion réussie : le fournisseur de service a accepté les identifiants.",
    "bad_credentials": (
        "Identifiants refusés par le fournisseur de service : vérifier la clé d'identification "
        "et le mot de passe."
    ),
    "unreachable": UNREACHABLE,
    "timeout": (
        "Le fournisseur de service n'a pas répondu dans le délai imparti : réessayer plus tard "
        "ou vérifier les paramètres du fournisseur de service."
    ),
    "no_credit": "Identifiants acceptés, mais le compte n'a plus de crédit SMS.",
    "refused": "Le fournisseur de service a refusé la demande : vérifier les paramètres du compte.",
}


@dataclass(frozen=True)
class PreparedCheck:
    account: AccountConfig
    provider_code: str


async def prepare_check(
    conn: Connection,
    uai: str,
    values: dict[str, Any],
    catalog: dict[str, ProviderEntry],
    box: SecretBox,
) -> PreparedCheck:
    """The account to test: the stored one with the form's values over it."""
    school = await require_enabled(conn, uai)
    stored = await repo.get_provider(conn, uai) or {}
    code = values.get("provider_code") or stored.get("provider_code")
    if not code:
        raise DomainError(
            "no_provider", "Aucun fournisseur de service n'est choisi : rien à tester."
        )
    chosen = require_choosable(catalog, code, stored.get("provider_code"))
    password = values.get("password")
    if password is None:
        if stored.get("provider_code") != code or not stored.get("password_encrypted"):
            raise DomainError(
                "password_required", "Le mot de passe du fournisseur est obligatoire."
            )
        password = box.decrypt_text(stored["password_encrypted"])

    def pick(field: str, column: str) -> str | None:
        given = values.get(field)
        return given if given is not None else stored.get(column)

    account = AccountConfig(
        uai=uai,
        provider_code=chosen.code,
        dialect=chosen.dialect,
        base_url=chosen.base_url,
        key=pick("key", "account_key") or "",
        password=password,
        option1=pick("option1", "option1"),
        option2=pick("option2", "option2"),
        sender_name=school["sender_name"],
    )
    return PreparedCheck(account=account, provider_code=chosen.code)


async def run_check(prepared: PreparedCheck, adapters: AdapterRegistry) -> dict[str, Any]:
    """Call the operator; the outcome is one of MESSAGES' keys, never an exception."""
    credit: int | None = None
    try:
        adapter = adapters.get(prepared.account.dialect)
        check = await adapter.check_credentials(prepared.account)
        outcome, credit = "success", check.credit_remaining
    except (OutcomeUnknownError, OperatorTimeoutError):
        outcome = "timeout"
    except TransientOperatorError:
        outcome = "unreachable"
    except PermanentOperatorError as exc:
        outcome = {"bad_credentials": "bad_credentials", "no_credit": "no_credit"}.get(
            exc.reason_code, "refused"
        )
    except OperatorError:
        outcome = "refused"
    message = MESSAGES[outcome]
    if outcome == "success" and credit is not None:
        message += f" Crédit restant : {credit} SMS."
    return {
        "ok": outcome == "success",
        "outcome": outcome,
        "message": message,
        "provider_code": prepared.provider_code,
        "credit_remaining": credit,
    }


async def record_check(conn: Connection, uai: str, result: dict[str, Any], *, actor: str) -> None:
    details = {"provider_code": result["provider_code"], "outcome": result["outcome"]}
    await audit.insert(conn, [(uai, actor, "provider.tested", details)])
