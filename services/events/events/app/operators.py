"""Use cases on the académie's operator catalog: list, add, change, retire and restore operators.

A school's published settings carry its operator's dialect and base URL, so a change to an
operator in use republishes the settings of every school that chose it, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events.adapters import operators as repo
from events.app.schools import publish_settings
from events.domain.errors import Conflict, DomainError, NotFound
from events.domain.providers import ProviderEntry, check_operator, entry, simulator_entry
from shared.db.types import Connection


@dataclass(frozen=True)
class CatalogOptions:
    """What the deployment allows: the simulator (outside production) and plain-HTTP URLs."""

    allow_simulator: bool
    simulator_base_url: str
    require_https: bool


async def load_catalog(conn: Connection, options: CatalogOptions) -> dict[str, ProviderEntry]:
    """Every operator by code, retired ones included (schools may still use them)."""
    found = {row["code"]: entry(row) for row in await repo.list_all(conn)}
    if options.allow_simulator:
        sim = simulator_entry(options.simulator_base_url)
        found[sim.code] = sim
    return found


def offered(catalog: dict[str, ProviderEntry]) -> list[ProviderEntry]:
    """The operators a school may choose now ("Aucun" is the absence of a choice)."""
    return [e for e in catalog.values() if not e.retired]


async def list_operators(conn: Connection, options: CatalogOptions) -> list[dict[str, Any]]:
    """The académie's view: every operator, retired or not, with how many schools use it."""
    usage = await repo.count_schools_using(conn)
    catalog = await load_catalog(conn, options)
    return [operator_view(e, usage.get(e.code, 0)) for e in catalog.values()]


def operator_view(e: ProviderEntry, schools: int | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "code": e.code,
        "name": e.name,
        "dialect": e.dialect,
        "base_url": e.base_url,
        "email": e.email,
        "phone": e.phone,
        "website": e.website,
        "fields": e.fields,
        "retired": e.retired,
    }
    if schools is not None:
        view["schools"] = schools
    return view


async def create_operator(
    conn: Connection, values: dict[str, Any], options: CatalogOptions, *, actor: str
) -> dict[str, Any]:
    checked = check_operator(
        values, allow_simulator=options.allow_simulator, require_https=options.require_https
    )
    if not await repo.insert(conn, checked):
        raise Conflict(
            "operator_exists", "Un opérateur porte déjà ce code.", operator=checked["code"]
        )
    await repo.audit(conn, actor, "operator.created", checked)
    return operator_view(entry({**checked, "retired_at": None}), 0)


async def update_operator(
    conn: Connection, code: str, values: dict[str, Any], options: CatalogOptions, *, actor: str
) -> dict[str, Any]:
    """Change an operator's entry; schools using it get their settings republished.

    `conn` must be in a transaction declared for all schools.
    """
    before = await _require(conn, code)
    checked = check_operator(
        {**values, "code": code},
        allow_simulator=options.allow_simulator,
        require_https=options.require_https,
    )
    changes = {f: {"before": before[f], "after": v} for f, v in checked.items() if before[f] != v}
    if not changes:
        return operator_view(entry(before), len(await repo.schools_using(conn, code)))
    await repo.update(conn, checked)
    schools = await repo.schools_using(conn, code)
    if "dialect" in changes or "base_url" in changes:
        catalog = await load_catalog(conn, options)
        for uai in schools:
            await publish_settings(conn, uai, catalog)
    await repo.audit(
        conn, actor, "operator.updated", {"code": code, "changes": changes, "schools": len(schools)}
    )
    return operator_view(entry({**checked, "retired_at": before["retired_at"]}), len(schools))


async def set_retired(conn: Connection, code: str, retired: bool, *, actor: str) -> dict[str, Any]:
    """Retire an operator: schools may no longer choose it; those that did keep sending through
    it until they choose another (their contract does not end with the catalog entry)."""
    await _require(conn, code)
    await repo.set_retired(conn, code, retired, actor)
    schools = await repo.schools_using(conn, code)
    await repo.audit(
        conn,
        actor,
        "operator.retired" if retired else "operator.restored",
        {"code": code, "schools": len(schools)},
    )
    row = await _require(conn, code)
    return operator_view(entry(row), len(schools))


async def _require(conn: Connection, code: str) -> dict[str, Any]:
    row = await repo.get(conn, code.upper())
    if row is None:
        raise NotFound("unknown_operator", "Opérateur inconnu.", operator=code)
    return row


def require_choosable(
    catalog: dict[str, ProviderEntry], code: str, current_code: str | None
) -> ProviderEntry:
    """The operator a school asks for: known, and not retired unless it is already the school's."""
    chosen = catalog.get(code)
    if chosen is None:
        raise DomainError("unknown_provider", "Fournisseur de service inconnu.", provider=code)
    if chosen.retired and code != current_code:
        raise DomainError(
            "provider_retired",
            "Ce fournisseur de service n'est plus proposé par l'académie : en choisir un autre.",
            provider=code,
        )
    return chosen
