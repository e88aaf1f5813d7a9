"""Bulk provisioning: the académie's CSV of schools, each line created or updated on its own."""

from __future__ import annotations

from typing import Any

from events.adapters import schools as repo
from events.app.schools import Policy, save_school
from events.domain import school_csv
from events.domain.errors import DomainError
from events.domain.providers import ProviderEntry
from shared.db.types import Connection


def parse(data: bytes) -> tuple[list[school_csv.SchoolLine], list[school_csv.LineError]]:
    return school_csv.parse(data)


async def import_schools(
    conn: Connection,
    lines: list[school_csv.SchoolLine],
    errors: list[school_csv.LineError],
    catalog: dict[str, ProviderEntry],
    *,
    actor: str,
    policy: Policy,
) -> dict[str, Any]:
    """Create or update each line's school, each in its own savepoint: a faulty line is reported
    and the others stand. Re-importing the same file changes nothing (nothing is published).

    A column absent from the file leaves the school's value; the settings the file does not
    carry (sender name, quiet hours, overrides of the territory's values) are kept.
    """
    answer: dict[str, list[Any]] = {"created": [], "updated": [], "unchanged": []}
    failures: list[dict[str, Any]] = [
        {"line": e.line, "uai": e.uai, "reason": e.reason} for e in errors
    ]
    for line in lines:
        existing = await repo.get_school(conn, line.uai) or {}
        values: dict[str, Any] = {
            "name": line.name,
            "phone": (line.phone or None) if "telephone" in line.columns else existing.get("phone"),
            "address": (line.address or None)
            if "adresse" in line.columns
            else existing.get("address"),
            "territory": line.territory or None,
            "sender_name": existing.get("sender_name"),
            "quiet_hours": {"start": existing["quiet_start"], "end": existing["quiet_end"]}
            if existing.get("quiet_start") is not None
            else None,
        }
        try:
            async with conn.transaction():
                outcome, _ = await save_school(
                    conn, line.uai, values, catalog, actor=actor, policy=policy
                )
        except DomainError as exc:
            failures.append({"line": line.line, "uai": line.uai, "reason": exc.message})
            continue
        answer[outcome].append(line.uai)
    failures.sort(key=lambda f: f["line"])
    return {**answer, "errors": failures}
