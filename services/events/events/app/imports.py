"""Use cases: import the directory from the SIECLE exports (pupils and/or guardians) or a CSV.

One import is one transaction: a refused file changes nothing, and a successful one writes its
changes in a few set-based statements, records the run with its summary and an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from events.adapters import audit
from events.adapters import directory_imports as repo
from events.app.schools import require_school
from events.domain import directory_csv, siecle, siecle_guardians
from events.domain.errors import DomainError
from events.domain.siecle import FILE_LABEL, GUARDIANS, PUPILS, Header, Notice
from events.domain.siecle_sync import Incoming, Plan, plan_import
from events.domain.siecle_xml import Limits, TooLarge, XmlFile, read
from shared.db.types import Connection

MAX_FILES = 2
# Past this many, a summary list says how many more there are instead of listing them.
MAX_LISTED = 500


async def import_siecle(
    conn: Connection,
    uai: str,
    uploads: Sequence[tuple[str, bytes]],
    *,
    actor: str,
    limits: Limits,
    today: date | None = None,
) -> dict[str, Any]:
    """Import one or two SIECLE exports (ElevesSansAdresses / ResponsablesAvecAdresses, as .xml
    or as the .zip holding it) and answer the summary."""
    school = await require_school(conn, uai)
    if not uploads:
        raise DomainError(
            "no_file",
            "Aucun fichier reçu : joindre l'exportation SIECLE des élèves et/ou celle des "
            "responsables (.xml ou .zip).",
        )
    if len(uploads) > MAX_FILES:
        raise DomainError(
            "too_many_files",
            f"{len(uploads)} fichiers reçus : {MAX_FILES} au plus (élèves et responsables).",
        )
    region = school["phone_region"]
    today = today or datetime.now(UTC).astimezone(ZoneInfo(school["time_zone"])).date()
    files: dict[str, tuple[Header, XmlFile]] = {}
    for name, data in uploads:
        xml = read(name, data, limits)
        header = siecle.read_header(xml, uai)
        if header.kind in files:
            raise DomainError(
                "same_export_twice",
                f"Deux exportations des {FILE_LABEL[header.kind]} reçues "
                f"({files[header.kind][0].file} et {name}) : une seule par import.",
            )
        files[header.kind] = (header, xml)
    years = {h.school_year for h, _x in files.values() if h.school_year is not None}
    if len(years) > 1:
        raise DomainError(
            "school_year_mismatch",
            "Les deux fichiers ne sont pas de la même année scolaire ("
            + " et ".join(f"{h.file} : {h.school_year}" for h, _x in files.values())
            + ") : exporter les deux le même jour.",
        )
    pupils = guardians = None
    if PUPILS in files:
        pupils = siecle.parse_pupils(files[PUPILS][1], files[PUPILS][0], region, today)
    if GUARDIANS in files:
        guardians = siecle_guardians.parse_guardians(
            files[GUARDIANS][1], files[GUARDIANS][0], region
        )
    incoming = Incoming(
        source="siecle",
        pupils=pupils.pupils if pupils else None,
        links=guardians.links if guardians else None,
        persons=guardians.persons if guardians else {},
        pupils_file=pupils.header.file if pupils else None,
        guardians_file=guardians.header.file if guardians else None,
    )
    stored_pupils, stored_recipients = await repo.directory_of_source(conn, uai, "siecle")
    if pupils is None and not any(p["retired_at"] is None for p in stored_pupils):
        raise DomainError(
            "pupils_first",
            "Aucun élève importé de SIECLE pour l'instant : joindre l'exportation des élèves "
            "(ElevesSansAdresses) avec celle des responsables.",
        )
    plan = plan_import(incoming, stored_pupils, stored_recipients, uuid4)
    notices = [*(pupils.anomalies if pupils else []), *(guardians.anomalies if guardians else [])]
    notices += await _older_exports(conn, uai, [h for h, _x in files.values()])
    skipped = [*(pupils.skipped if pupils else []), *(guardians.skipped if guardians else [])]
    headers = [h for h, _x in files.values()]
    run = {
        "format": "siecle",
        "school_year": next(iter(years), None),
        "pupils_exported_on": pupils.header.exported_on if pupils else None,
        "guardians_exported_on": guardians.header.exported_on if guardians else None,
        "files": [_file_view(h) for h in headers],
    }
    return await _apply(conn, uai, "siecle", plan, notices, skipped, run, actor=actor)


async def import_csv(
    conn: Connection, uai: str, name: str, data: bytes, *, actor: str, max_bytes: int
) -> dict[str, Any]:
    """Import the directory from a CSV (see events.domain.directory_csv for its header)."""
    school = await require_school(conn, uai)
    if len(data) > max_bytes:
        raise TooLarge(
            name,
            "file_too_large",
            f"trop volumineux ({len(data) // 1000} ko) : {max_bytes // 1000} ko au plus.",
        )
    parsed = directory_csv.parse(name, data, school["phone_region"])
    incoming = Incoming(
        source="csv",
        pupils=parsed.pupils,
        links=parsed.links,
        pupils_file=name,
        guardians_file=name,
    )
    stored_pupils, stored_recipients = await repo.directory_of_source(conn, uai, "csv")
    plan = plan_import(incoming, stored_pupils, stored_recipients, uuid4)
    run = {"format": "csv", "files": [{"name": name, "kind": "annuaire (CSV)"}]}
    return await _apply(conn, uai, "csv", plan, [], [], run, actor=actor)


async def _older_exports(conn: Connection, uai: str, headers: list[Header]) -> list[Notice]:
    latest = await repo.latest_exports(conn, uai)
    notices = []
    for header in headers:
        before = latest.get(header.kind)
        if header.exported_on and before and header.exported_on < before:
            notices.append(
                Notice(
                    "older_export",
                    f"Exportation du {header.exported_on:%d/%m/%Y}, plus ancienne que celle déjà "
                    f"importée ({before:%d/%m/%Y}) : vérifier qu'il s'agit du bon fichier.",
                    header.file,
                )
            )
    return notices


def _file_view(header: Header) -> dict[str, Any]:
    return {
        "name": header.file,
        "kind": FILE_LABEL[header.kind],
        "uaj": header.uai,
        "school_year": header.school_year,
        "exported_on": header.exported_on,
    }


async def _apply(
    conn: Connection,
    uai: str,
    source: str,
    plan: Plan,
    notices: list[Notice],
    skipped: list[Notice],
    run: dict[str, Any],
    *,
    actor: str,
) -> dict[str, Any]:
    await repo.retire_pupils(conn, uai, plan.pupil_retirements)
    await repo.insert_imported_pupils(conn, uai, source, plan.pupil_inserts)
    await repo.update_imported_pupils(conn, uai, plan.pupil_updates)
    await repo.retire_recipients(conn, uai, plan.recipient_retirements)
    await repo.insert_imported_recipients(conn, uai, plan.recipient_inserts)
    await repo.update_imported_recipients(conn, uai, plan.recipient_updates)
    import_id = uuid4()
    summary = _summary(import_id, plan, [*notices, *plan.anomalies], skipped, run)
    await repo.insert_import_run(
        conn, uai, {**run, "id": import_id, "actor": actor, "summary": _jsonable(summary)}
    )
    await audit.insert(
        conn,
        [
            (
                uai,
                actor,
                "directory.imported",
                {
                    "import_id": import_id,
                    "format": run["format"],
                    "files": [f["name"] for f in run["files"]],
                    "pupils": summary["pupils"],
                    "guardians": summary["guardians"],
                    "anomalies": summary["totals"]["anomalies"],
                    "conflicts": summary["totals"]["conflicts"],
                },
            )
        ],
    )
    return summary


def _summary(
    import_id: UUID,
    plan: Plan,
    anomalies: list[Notice],
    skipped: list[Notice],
    run: dict[str, Any],
) -> dict[str, Any]:
    def notice(n: Notice) -> dict[str, Any]:
        pupil = plan.pupil_names.get(n.pupil_key) if n.pupil_key else None
        if n.pupil_key and pupil is None:
            pupil = f"élève {n.pupil_key} (absent de l'établissement)"
        return {
            "code": n.code,
            "message": n.message,
            "file": n.file,
            "line": n.line,
            "pupil": pupil,
        }

    conflicts = [
        {
            **{k: v for k, v in c.items() if k != "pupil_key"},
            "pupil": plan.pupil_names[c["pupil_key"]],
        }
        for c in plan.conflicts
    ]
    return {
        "import_id": import_id,
        "format": run["format"],
        "files": run["files"],
        "changed": plan.changes_anything,
        "pupils": asdict(plan.pupils),
        "guardians": asdict(plan.guardians),
        "anomalies": [notice(n) for n in anomalies[:MAX_LISTED]],
        "skipped": [notice(n) for n in skipped[:MAX_LISTED]],
        "conflicts": conflicts[:MAX_LISTED],
        "totals": {
            "anomalies": len(anomalies),
            "skipped": len(skipped),
            "conflicts": len(conflicts),
        },
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, UUID | date):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value


async def import_history(conn: Connection, uai: str, limit: int = 20) -> list[dict[str, Any]]:
    """The latest imports of the school with who ran them and their summaries."""
    await require_school(conn, uai)
    return await repo.import_runs(conn, uai, limit)
