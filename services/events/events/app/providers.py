"""Use cases on a school's provider account ("Paramétrages › Fournisseur de services")."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from events.adapters import audit, health
from events.adapters import schools as repo
from events.app.operators import require_choosable
from events.app.schools import publish_settings, require_enabled, require_school
from events.domain.errors import DomainError
from events.domain.providers import ProviderEntry
from shared.crypto import SecretBox
from shared.db.types import Connection

CA_REQUIRED = (
    "Le choix de l'opérateur et le contrat établi avec lui doivent être soumis au Conseil "
    "d'Administration : indiquer la date et la référence de son approbation."
)
# What the audit trail records of a provider change (never the password nor a secret).
AUDITED = ("provider_code", "account_key", "option1", "option2", "ca_approved_on", "ca_reference")


async def save_provider(
    conn: Connection,
    uai: str,
    values: dict[str, Any],
    catalog: dict[str, ProviderEntry],
    box: SecretBox,
    *,
    actor: str,
) -> dict[str, Any]:
    """Store the school's provider account (password encrypted), then publish the settings.

    "Aucun" (no provider) removes the account. An omitted password keeps the stored one, so
    that a form shown without the password (it is never sent back) can be saved again. A
    certified operator needs the Conseil d'Administration's approval of its contract; the
    simulator (offered outside production only) binds the school to no contract.
    """
    await require_enabled(conn, uai)
    code = values["provider_code"]
    current = await repo.get_provider(conn, uai) or {}
    if code is None:
        if current:
            await repo.delete_provider(conn, uai)
            await audit.insert(conn, [(uai, actor, "provider.removed", {"provider_code": None})])
            await publish_settings(conn, uai, catalog)
        return await provider_view(conn, uai)
    entry = require_choosable(catalog, code, current.get("provider_code"))
    approved_on, reference = values.get("ca_approved_on"), values.get("ca_reference")
    if entry.dialect != "simulator" and (approved_on is None or not reference):
        raise DomainError("ca_approval_required", CA_REQUIRED)
    if approved_on is not None and approved_on > datetime.now(UTC).date():
        raise DomainError(
            "ca_approval_in_future",
            "La date d'approbation du Conseil d'Administration ne peut pas être dans le futur.",
        )
    password: str | None = values.get("password")
    password_encrypted: str | None
    if password is not None:
        password_encrypted = box.encrypt(password)
    elif current.get("provider_code") == code:
        password_encrypted = current.get("password_encrypted")
    else:
        raise DomainError("password_required", "Le mot de passe du fournisseur est obligatoire.")
    row = {
        "provider_code": code,
        "account_key": values.get("key"),
        "password_encrypted": password_encrypted,
        "option1": values.get("option1"),
        "option2": values.get("option2"),
        "ca_approved_on": approved_on,
        "ca_reference": reference,
        "receipt_secret_encrypted": current.get("receipt_secret_encrypted")
        or box.encrypt(secrets.token_urlsafe(24)),
    }
    changes = {
        f: {"before": current.get(f), "after": row[f]} for f in AUDITED if current.get(f) != row[f]
    }
    if changes or password is not None:
        await repo.upsert_provider(conn, uai, row)
        details: dict[str, Any] = {"changes": changes, "password_changed": password is not None}
        await audit.insert(conn, [(uai, actor, "provider.saved", details)])
        await publish_settings(conn, uai, catalog)
    return await provider_view(conn, uai)


async def provider_view(conn: Connection, uai: str) -> dict[str, Any]:
    """The provider form's values as the API shows them: never the password."""
    await require_school(conn, uai)
    row = await repo.get_provider(conn, uai)
    if row is None:
        return {
            "provider_code": None,
            "key": None,
            "password_set": False,
            "option1": None,
            "option2": None,
            "ca_approved_on": None,
            "ca_reference": None,
            "updated_at": None,
        }
    return {
        "provider_code": row["provider_code"],
        "key": row["account_key"],
        "password_set": row["password_encrypted"] is not None,
        "option1": row["option1"],
        "option2": row["option2"],
        "ca_approved_on": row["ca_approved_on"],
        "ca_reference": row["ca_reference"],
        "updated_at": row["updated_at"],
    }


async def receipt_url(
    conn: Connection, uai: str, catalog: dict[str, ProviderEntry], box: SecretBox, base_url: str
) -> str | None:
    """Where the school's operator pushes delivery receipts: the status-poller's webhook for the
    operator's dialect, authenticated by the account's own secret (to give the operator only)."""
    row = await repo.get_provider(conn, uai)
    if row is None or not row["receipt_secret_encrypted"]:
        return None
    chosen = catalog.get(row["provider_code"])
    if chosen is None:
        return None
    secret = box.decrypt_text(row["receipt_secret_encrypted"])
    return f"{base_url.rstrip('/')}/api/v1/receipts/{chosen.dialect}/{uai}/{secret}"


async def provider_health(conn: Connection, uai: str) -> dict[str, Any]:
    """The operator's reachability, the SMS waiting and, when unreachable, the banner text."""
    await require_school(conn, uai)
    report = await health.get(conn, uai)
    if report is None:
        return {"known": False, "reachable": None, "waiting_sms": 0, "banner": None}
    banner = None
    if not report["reachable"]:
        banner = (
            "Le service d'envoi de SMS est injoignable ou ne répond pas : Vérifier les "
            f"paramètres du fournisseur de service. {report['waiting_sms']} SMS en attente."
        )
    return {"known": True, **report, "banner": banner}
