"""What an import changes in the directory: a pure comparison of what is stored with what came.

Pupils are matched by their id in the source (SIECLE's ELEVE_ID, the CSV's identifiant), then by
national id (INE) since SIECLE ids may change between years; pupils of the same source absent
from a pupils list are retired (kept, since absences and SMS reference them). Recipients are
matched by their key in the source (the person id; "E" for the pupil), then by role and name.
Staff-made pupils and recipients are never touched by an import.

What SMS use (`mobile`, `accepts_sms`, `mobile_problem`) is derived from the imported values and
the values staff set: the staff's number wins (a differing imported number is a conflict the
summary shows), and an opt-out from either side wins.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from events.domain.directory_phones import NOT_A_MOBILE, mask_mobile
from events.domain.siecle import IncomingPupil, IncomingRecipient, Link, Notice

PUPIL_FIELDS = ("external_id", "national_id", "last_name", "first_name", "division")
RECIPIENT_FIELDS = (
    "external_id",
    "kind",
    "position",
    "role_label",
    "name",
    "imported_mobile",
    "imported_problem",
    "imported_phone_raw",
    "imported_accepts_sms",
    "mobile",
    "accepts_sms",
    "mobile_problem",
)
PROBLEM_TEXT = {
    NOT_A_MOBILE: "le numéro de mobile est un fixe, il ne peut pas recevoir de SMS",
    "invalid_number": "le numéro de mobile est invalide",
}


def effective(
    *,
    imported_mobile: str | None,
    imported_problem: str | None,
    imported_accepts_sms: bool | None,
    staff_mobile_set: bool,
    staff_mobile: str | None,
    staff_accepts_sms: bool | None,
) -> dict[str, Any]:
    """The values SMS use: the staff's number over the imported one; an opt-out wins."""
    said = [v for v in (imported_accepts_sms, staff_accepts_sms) if v is not None]
    return {
        "mobile": staff_mobile if staff_mobile_set else imported_mobile,
        "mobile_problem": None if staff_mobile_set else imported_problem,
        "accepts_sms": bool(said) and all(said),
    }


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    retired: int = 0
    unchanged: int = 0


@dataclass
class Plan:
    pupil_inserts: list[dict[str, Any]] = field(default_factory=list)
    pupil_updates: list[dict[str, Any]] = field(default_factory=list)
    pupil_retirements: list[UUID] = field(default_factory=list)
    recipient_inserts: list[dict[str, Any]] = field(default_factory=list)
    recipient_updates: list[dict[str, Any]] = field(default_factory=list)
    recipient_retirements: list[UUID] = field(default_factory=list)
    pupils: Counts = field(default_factory=Counts)
    guardians: Counts = field(default_factory=Counts)
    anomalies: list[Notice] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # Source id → "NOM Prénom (division)", to name pupils in notices.
    pupil_names: dict[str, str] = field(default_factory=dict)

    @property
    def changes_anything(self) -> bool:
        return any(
            (
                self.pupil_inserts,
                self.pupil_updates,
                self.pupil_retirements,
                self.recipient_inserts,
                self.recipient_updates,
                self.recipient_retirements,
            )
        )


@dataclass(frozen=True)
class Incoming:
    """One import: the pupils list (None: not given) and the guardian links (None: not given)."""

    source: str
    pupils: Sequence[IncomingPupil] | None
    links: Sequence[Link] | None
    # Person key ("P<id>") → (name, line), to report guardians linked to no current pupil.
    persons: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    pupils_file: str | None = None
    guardians_file: str | None = None


def _display(row: Mapping[str, Any]) -> str:
    where = f" ({row['division']})" if row.get("division") else ""
    return f"{row['last_name']} {row['first_name']}{where}"


def plan_import(
    incoming: Incoming,
    pupils: Sequence[Mapping[str, Any]],
    recipients: Sequence[Mapping[str, Any]],
    new_id: Callable[[], UUID],
) -> Plan:
    """Compare the stored directory (`pupils`, current `recipients`) with an import."""
    plan = Plan()
    own = [p for p in pupils if p["source"] == incoming.source and p["external_id"]]
    plan.pupil_names = {p["external_id"]: _display(p) for p in own}
    if incoming.pupils is not None:
        current = _plan_pupils(plan, incoming.pupils, own, new_id, incoming.source)
    else:
        current = {p["external_id"]: p["id"] for p in own if p["retired_at"] is None}
    _plan_recipients(plan, incoming, current, recipients, new_id)
    return plan


def _plan_pupils(
    plan: Plan,
    incoming: Sequence[IncomingPupil],
    own: Sequence[Mapping[str, Any]],
    new_id: Callable[[], UUID],
    source: str,
) -> dict[str, UUID]:
    by_key = {p["external_id"]: p for p in own}
    keys = {p.key for p in incoming}
    by_national: dict[str, Mapping[str, Any]] = {}
    for p in own:
        if p["national_id"] and p["external_id"] not in keys:
            by_national.setdefault(p["national_id"], p)
    matched: set[UUID] = set()
    current: dict[str, UUID] = {}
    for pupil in incoming:
        plan.pupil_names[pupil.key] = pupil.display
        values = {
            "external_id": pupil.key,
            "national_id": pupil.national_id,
            "last_name": pupil.last_name,
            "first_name": pupil.first_name,
            "division": pupil.division,
        }
        found = by_key.get(pupil.key) or (
            by_national.get(pupil.national_id) if pupil.national_id else None
        )
        if found is None or found["id"] in matched:
            row_id = new_id()
            plan.pupil_inserts.append({"id": row_id, "source": source, **values})
            plan.pupils.created += 1
        else:
            row_id = found["id"]
            matched.add(row_id)
            if found["retired_at"] is not None or any(found[f] != values[f] for f in PUPIL_FIELDS):
                plan.pupil_updates.append({"id": row_id, **values})
                plan.pupils.updated += 1
            else:
                plan.pupils.unchanged += 1
        current[pupil.key] = row_id
    for p in own:
        if p["id"] not in matched and p["retired_at"] is None:
            plan.pupil_retirements.append(p["id"])
            plan.pupils.retired += 1
    return current


def _plan_recipients(
    plan: Plan,
    incoming: Incoming,
    current: Mapping[str, UUID],
    recipients: Sequence[Mapping[str, Any]],
    new_id: Callable[[], UUID],
) -> None:
    kinds: set[str] = set()
    wanted: dict[UUID, list[IncomingRecipient]] = defaultdict(list)
    where: dict[UUID, str] = {pupil_id: key for key, pupil_id in current.items()}
    if incoming.pupils is not None:
        kinds.add("pupil")
        for pupil in incoming.pupils:
            if pupil.own is not None:
                wanted[current[pupil.key]].append(pupil.own)
    if incoming.links is not None:
        kinds.update(("guardian", "pupil") if incoming.source == "csv" else ("guardian",))
        linked: set[str] = set()
        for link in incoming.links:
            pupil_id = current.get(link.pupil_key)
            if pupil_id is not None:
                wanted[pupil_id].append(link.recipient)
                linked.add(link.recipient.key)
        _orphans(plan, incoming, linked)
    if not kinds:
        return
    stored: dict[UUID, list[Mapping[str, Any]]] = defaultdict(list)
    for r in recipients:
        if r["external_id"] is not None and r["kind"] in kinds and r["pupil_id"] in where:
            stored[r["pupil_id"]].append(r)
    reported: set[str] = set()
    touched: set[UUID] = set()
    for pupil_id, pupil_key in where.items():
        pairs = _match(wanted[pupil_id], stored[pupil_id])
        for came, found in pairs:
            if _plan_recipient(plan, incoming, pupil_id, pupil_key, came, found, new_id):
                touched.add(pupil_id)
            if came.phone.problem and came.key + pupil_key not in reported:
                reported.add(came.key + pupil_key)
                plan.anomalies.append(
                    Notice(
                        came.phone.problem,
                        f"{came.name} ({came.role_label}) : {PROBLEM_TEXT[came.phone.problem]}.",
                        _file(incoming, came),
                        came.line,
                        pupil_key,
                    )
                )
        kept = {id(found) for _came, found in pairs}
        for r in stored[pupil_id]:
            if id(r) not in kept:
                plan.recipient_retirements.append(r["id"])
                if r["kind"] == "guardian":
                    plan.guardians.retired += 1
                else:
                    touched.add(pupil_id)
    # A pupil whose own number or opt-in changed is an updated pupil.
    if incoming.pupils is not None:
        changed = {p["id"] for p in plan.pupil_inserts} | {p["id"] for p in plan.pupil_updates}
        moved = len(touched - changed)
        plan.pupils.updated += moved
        plan.pupils.unchanged -= moved


def _file(incoming: Incoming, came: IncomingRecipient) -> str | None:
    if came.kind == "pupil" and incoming.source == "siecle":
        return incoming.pupils_file
    return incoming.guardians_file or incoming.pupils_file


def _orphans(plan: Plan, incoming: Incoming, linked: set[str]) -> None:
    for key, (name, line) in incoming.persons.items():
        if key not in linked:
            plan.anomalies.append(
                Notice(
                    "guardian_without_pupil",
                    f"{name} : rattaché(e) à aucun élève présent dans l'établissement.",
                    incoming.guardians_file,
                    line,
                )
            )


def _match(
    came: Sequence[IncomingRecipient], stored: Sequence[Mapping[str, Any]]
) -> list[tuple[IncomingRecipient, Mapping[str, Any] | None]]:
    """Pair each incoming recipient with its stored row: by key, then by role and name."""
    free = list(stored)
    pairs: list[tuple[IncomingRecipient, Mapping[str, Any] | None]] = []
    later: list[IncomingRecipient] = []
    for c in came:
        found = next((r for r in free if r["external_id"] == c.key and r["kind"] == c.kind), None)
        if found is None:
            later.append(c)
            continue
        free.remove(found)
        pairs.append((c, found))
    for c in later:
        found = next(
            (
                r
                for r in free
                if r["kind"] == c.kind and r["role_label"] == c.role_label and r["name"] == c.name
            ),
            None,
        )
        if found is not None:
            free.remove(found)
        pairs.append((c, found))
    return pairs


def _plan_recipient(
    plan: Plan,
    incoming: Incoming,
    pupil_id: UUID,
    pupil_key: str,
    came: IncomingRecipient,
    found: Mapping[str, Any] | None,
    new_id: Callable[[], UUID],
) -> bool:
    """Plan one recipient's insert or update; True when a pupil's own row changes."""
    counts = plan.guardians if came.kind == "guardian" else None
    imported: dict[str, Any] = {
        "imported_mobile": came.phone.mobile,
        "imported_problem": came.phone.problem,
        "imported_phone_raw": came.phone.raw if came.phone.problem else None,
        "imported_accepts_sms": came.accepts_sms,
    }
    values: dict[str, Any] = {
        "external_id": came.key,
        "kind": came.kind,
        "position": came.position,
        "role_label": came.role_label,
        "name": came.name,
        **imported,
    }
    staff: dict[str, Any] = {
        "staff_mobile_set": found["staff_mobile_set"] if found else False,
        "staff_mobile": found["staff_mobile"] if found else None,
        "staff_accepts_sms": found["staff_accepts_sms"] if found else None,
    }
    values.update(
        effective(
            imported_mobile=came.phone.mobile,
            imported_problem=came.phone.problem,
            imported_accepts_sms=came.accepts_sms,
            **staff,
        )
    )
    if found is None:
        plan.recipient_inserts.append({"id": new_id(), "pupil_id": pupil_id, **values})
        if counts is not None:
            counts.created += 1
        return counts is None
    _conflicts(plan, pupil_key, came, found)
    if all(found[f] == values[f] for f in RECIPIENT_FIELDS):
        if counts is not None:
            counts.unchanged += 1
        return False
    plan.recipient_updates.append({"id": found["id"], **values})
    if counts is not None:
        counts.updated += 1
    return counts is None


def _conflicts(
    plan: Plan,
    pupil_key: str,
    came: IncomingRecipient,
    found: Mapping[str, Any],
) -> None:
    base = {"pupil_key": pupil_key, "role_label": came.role_label, "name": came.name}
    if found["staff_mobile_set"] and came.phone.raw and came.phone.mobile != found["staff_mobile"]:
        plan.conflicts.append(
            {
                **base,
                "field": "mobile",
                "kept": mask_mobile(found["staff_mobile"]) or "aucun numéro",
                "imported": mask_mobile(came.phone.mobile)
                or f"numéro inutilisable ({PROBLEM_TEXT[came.phone.problem or 'invalid_number']})",
                "message": "Numéro modifié dans l'application : il est gardé ; l'exportation "
                "en donne un autre, à vérifier avec la famille puis à corriger d'un côté.",
            }
        )
    staff_says = found["staff_accepts_sms"]
    if staff_says is not None and staff_says != came.accepts_sms:
        plan.conflicts.append(
            {
                **base,
                "field": "accepts_sms",
                "kept": False,
                "imported": came.accepts_sms,
                "message": "« Accepte les SMS » diffère entre l'application et l'exportation : "
                "le refus l'emporte, aucun SMS n'est proposé pour ce destinataire.",
            }
        )
