"""Use cases on schools: create or change one (académie), the green light, the settings message.

Every change is written to the audit trail and publishes the school's `school.settings.v1`, in
the transaction of the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers
from pydantic import TypeAdapter, ValidationError

from events.adapters import audit
from events.adapters import schools as repo
from events.domain.errors import DomainError, NotFound
from events.domain.providers import ProviderEntry
from events.domain.territories import territory
from shared.contracts import ProviderAccountV1, QuietHoursV1, SchoolSettingsV1, SenderName
from shared.db.outbox import enqueue
from shared.db.types import Connection

PRODUCER = "events"
NOT_ENABLED = (
    "L'envoi de SMS n'est pas encore autorisé pour cet établissement : "
    "attendre le feu vert de l'académie."
)


@dataclass(frozen=True)
class Policy:
    """The académie's defaults for new schools."""

    default_territory: str
    enabled_on_creation: bool


def school_view(row: dict[str, Any]) -> dict[str, Any]:
    """A school as the API shows it (quiet hours as one object)."""
    view = {k: v for k, v in row.items() if k not in {"quiet_start", "quiet_end"}}
    view["quiet_hours"] = (
        {"start": row["quiet_start"], "end": row["quiet_end"]}
        if row["quiet_start"] is not None
        else None
    )
    return view


_SENDER = TypeAdapter(SenderName)
SENDER_RULE = (
    "Nom d'émetteur des SMS invalide : 11 caractères au plus, lettres non accentuées, chiffres "
    "ou espaces, dont au moins une lettre."
)


def _check_sender(name: str | None) -> None:
    if name is None:
        return
    try:
        _SENDER.validate_python(name)
    except ValidationError:
        raise DomainError("invalid_sender_name", SENDER_RULE) from None


def _check_phone(raw: str | None, region: str) -> None:
    if raw is None:
        return
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise DomainError(
            "invalid_school_phone", f"Numéro de téléphone de l'établissement invalide : {raw}."
        )


async def save_school(
    conn: Connection,
    uai: str,
    values: dict[str, Any],
    catalog: dict[str, ProviderEntry],
    *,
    actor: str,
    policy: Policy,
) -> tuple[str, dict[str, Any]]:
    """Create or update a school; returns ("created" | "updated" | "unchanged", the school).

    The territory sets the time zone, phone region and school-year start month unless the
    request gives them; a school keeps its overrides while its territory stays the same.
    """
    existing = await repo.get_school(conn, uai)
    given = values.get("territory")
    place = territory(given or (existing["territory"] if existing else policy.default_territory))
    moved = existing is None or place.code != existing["territory"]

    def pick(field: str, from_territory: Any) -> Any:
        if values.get(field) is not None:
            return values[field]
        return from_territory if moved or existing is None else existing[field]

    quiet = values.get("quiet_hours")
    row: dict[str, Any] = {
        "name": values["name"],
        "phone": values.get("phone"),
        "address": values.get("address"),
        "sender_name": values.get("sender_name"),
        "territory": place.code,
        "time_zone": pick("time_zone", place.time_zone),
        "phone_region": pick("phone_region", place.phone_region),
        "school_year_start_month": pick("school_year_start_month", place.school_year_start_month),
        "quiet_start": quiet["start"] if quiet else None,
        "quiet_end": quiet["end"] if quiet else None,
    }
    _check_sender(row["sender_name"])
    _check_phone(row["phone"], row["phone_region"])
    if existing is not None:
        changes = {
            f: {"before": existing[f], "after": row[f]}
            for f in repo.SCHOOL_FIELDS
            if existing[f] != row[f]
        }
        if not changes:
            return "unchanged", school_view(existing)
    else:
        changes = {f: {"before": None, "after": row[f]} for f in repo.SCHOOL_FIELDS}
    await repo.upsert_school(conn, uai, row, enabled_on_creation=policy.enabled_on_creation)
    outcome = "created" if existing is None else "updated"
    await audit.insert(conn, [(uai, actor, f"school.{outcome}", {"changes": changes})])
    await publish_settings(conn, uai, catalog)
    return outcome, school_view(await require_school(conn, uai))


async def set_green_light(
    conn: Connection,
    uais: Sequence[str],
    enabled: bool,
    catalog: dict[str, ProviderEntry],
    *,
    actor: str,
) -> list[dict[str, Any]]:
    """The académie's "feu vert" (or its withdrawal) for a list of schools; one answer per UAI."""
    changed = await repo.set_enabled(conn, uais, enabled, actor)
    action = "school.enabled" if enabled else "school.disabled"
    await audit.insert(
        conn,
        [(uai, actor, action, {"sms_enabled": enabled}) for uai, done in changed.items() if done],
    )
    answers = []
    for uai in uais:
        if uai not in changed:
            answers.append({"uai": uai, "status": "unknown", "message": "Établissement inconnu."})
            continue
        if changed[uai]:
            await publish_settings(conn, uai, catalog)
            status = "enabled" if enabled else "disabled"
            message = "Feu vert donné." if enabled else "Feu vert retiré."
        else:
            status = "already_enabled" if enabled else "already_disabled"
            message = "Feu vert déjà donné." if enabled else "Feu vert déjà retiré."
        answers.append({"uai": uai, "status": status, "message": message})
    return answers


async def require_school(conn: Connection, uai: str) -> dict[str, Any]:
    school = await repo.get_school(conn, uai)
    if school is None:
        raise NotFound("unknown_school", "Établissement inconnu.")
    return school


async def require_enabled(conn: Connection, uai: str) -> dict[str, Any]:
    """The school, when the académie has given it the green light."""
    school = await require_school(conn, uai)
    if not school["sms_enabled"]:
        raise DomainError("sms_not_enabled", NOT_ENABLED)
    return school


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
    quiet = (
        QuietHoursV1(start=school["quiet_start"], end=school["quiet_end"])
        if school["quiet_start"] is not None
        else None
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
        quiet_hours=quiet,
        provider=provider,
    )
    await enqueue(conn, [message])
