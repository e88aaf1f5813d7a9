"""Use cases on schools and their provider settings; each change publishes the school's settings."""

from __future__ import annotations

import secrets
from typing import Any

from events.adapters import schools as repo
from events.domain.errors import DomainError, NotFound
from events.domain.providers import ProviderEntry
from shared.contracts import ProviderAccountV1, SchoolSettingsV1
from shared.crypto import SecretBox
from shared.db.outbox import enqueue
from shared.db.types import Connection

PRODUCER = "events"


async def save_school(
    conn: Connection, uai: str, values: dict[str, Any], catalog: dict[str, ProviderEntry]
) -> dict[str, Any]:
    """Create or update a school (académie role), then publish its settings."""
    await repo.upsert_school(conn, uai, values)
    await publish_settings(conn, uai, catalog)
    school = await repo.get_school(conn, uai)
    assert school is not None
    return school


async def require_school(conn: Connection, uai: str) -> dict[str, Any]:
    school = await repo.get_school(conn, uai)
    if school is None:
        raise NotFound("unknown_school", "Établissement inconnu.")
    return school


async def save_provider(
    conn: Connection,
    uai: str,
    values: dict[str, Any],
    catalog: dict[str, ProviderEntry],
    box: SecretBox,
) -> dict[str, Any]:
    """Store the school's provider account (password encrypted), then publish the settings.

    "Aucun" (no provider) removes the account. An omitted password keeps the stored one, so
    that a form shown without the password (it is never sent back) can be saved again.
    """
    school = await require_school(conn, uai)
    if not school["sms_enabled"]:
        raise DomainError(
            "sms_not_enabled",
            "L'envoi de SMS n'est pas encore autorisé pour cet établissement : "
            "attendre le feu vert de l'académie.",
        )
    code = values["provider_code"]
    if code is None:
        await repo.delete_provider(conn, uai)
        await publish_settings(conn, uai, catalog)
        return await provider_view(conn, uai)
    if code not in catalog:
        raise DomainError("unknown_provider", "Fournisseur de service inconnu.", provider=code)
    current = await repo.get_provider(conn, uai) or {}
    password: str | None = values.get("password")
    same_provider = current.get("provider_code") == code
    password_encrypted: str | None
    if password is not None:
        password_encrypted = box.encrypt(password)
    elif same_provider:
        password_encrypted = current.get("password_encrypted")
    else:
        raise DomainError("password_required", "Le mot de passe du fournisseur est obligatoire.")
    await repo.upsert_provider(
        conn,
        uai,
        {
            "provider_code": code,
            "account_key": values.get("key"),
            "password_encrypted": password_encrypted,
            "option1": values.get("option1"),
            "option2": values.get("option2"),
            "receipt_secret_encrypted": current.get("receipt_secret_encrypted")
            or box.encrypt(secrets.token_urlsafe(24)),
        },
    )
    await publish_settings(conn, uai, catalog)
    return await provider_view(conn, uai)


async def provider_view(conn: Connection, uai: str) -> dict[str, Any]:
    """The provider form's values as the API shows them: never the password."""
    row = await repo.get_provider(conn, uai)
    if row is None:
        return {
            "provider_code": None,
            "key": None,
            "password_set": False,
            "option1": None,
            "option2": None,
            "updated_at": None,
        }
    return {
        "provider_code": row["provider_code"],
        "key": row["account_key"],
        "password_set": row["password_encrypted"] is not None,
        "option1": row["option1"],
        "option2": row["option2"],
        "updated_at": row["updated_at"],
    }


async def publish_settings(conn: Connection, uai: str, catalog: dict[str, ProviderEntry]) -> None:
    """Write the school's `school.settings.v1` to the outbox with a new version."""
    version = await repo.lock_school_for_settings(conn, uai)
    school = await require_school(conn, uai)
    provider_row = await repo.get_provider(conn, uai)
    provider = None
    if provider_row is not None:
        entry = catalog.get(provider_row["provider_code"])
        if entry is not None:
            provider = ProviderAccountV1(
                provider_code=entry.code,
                dialect=entry.dialect,
                base_url=entry.base_url,
                key=provider_row["account_key"],
                password_encrypted=provider_row["password_encrypted"],
                option1=provider_row["option1"],
                option2=provider_row["option2"],
                receipt_secret_encrypted=provider_row["receipt_secret_encrypted"],
            )
    message = SchoolSettingsV1(
        producer=PRODUCER,
        uai=uai,
        version=version,
        name=school["name"],
        sms_enabled=school["sms_enabled"],
        sender_name=school["sender_name"],
        phone=school["phone"],
        time_zone=school["time_zone"],
        school_year_start_month=school["school_year_start_month"],
        provider=provider,
    )
    await enqueue(conn, [message])
