"""The benchmark's schools and their pending SMS.

Schools, their green light, their provider account (the simulator, one account per school) and
their SMS action go through the events API, as the académie would set them up. Pupils, guardians,
absences and the pending SMS are written with COPY into the events schema: that is set-up, not the
measured path, and doing it through the API would take longer than the measurement. The rows are
the ones the API would write (staff-typed pupils and guardians, an absence per pupil, one pending
SMS per guardian with the text the action renders for it, and their audit entries).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from events.domain.texts import compose, facts_of
from shared.auth import Role, TokenService
from shared.settings import LOCAL_TOKEN_SIGNING_KEY

ACTOR = "bench-cpe"
TEMPLATE = (
    "{etablissement} : {eleve} est absent(e) depuis le {debut}. "
    "Merci de contacter la vie scolaire au {telephone}."
)
LAST_NAMES = ("MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS")
FIRST_NAMES = ("Léa", "Hugo", "Inès", "Louis", "Chloé", "Gabriel", "Zoé", "Adam", "Jade", "Noé")
GUARDIANS = ("Légal 1", "Légal 2")
_TOKENS = TokenService(LOCAL_TOKEN_SIGNING_KEY)


def school_uais(count: int) -> list[str]:
    """`count` distinct UAIs (7 digits and a letter), the same on every run."""
    return [f"{9_900_000 + i:07d}B" for i in range(count)]


def academie_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {_TOKENS.mint('bench-rectorat', Role.ACADEMIE_ADMIN)}"}


def staff_headers(uai: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {_TOKENS.mint(ACTOR, Role.STAFF, [uai])}"}


def client(base_url: str, timeout: float = 120, **kwargs: Any) -> httpx.AsyncClient:
    """An HTTP client opening a connection per request: a kept-alive connection that the server
    closes (uvicorn drops idle ones after 5 s) just as it is reused would fail the request."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits, **kwargs)


def split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` as evenly as possible (the first ones get the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


async def _ok(response: httpx.Response) -> Any:
    if response.status_code >= 300:
        raise RuntimeError(
            f"set-up failed: {response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else None


async def create_schools(
    events_url: str, simulator_url: str, uais: Sequence[str], *, concurrency: int = 16
) -> dict[str, UUID]:
    """Every school through the events API: created, given the green light, provider = the
    simulator with an account of its own, one SMS action. Returns each school's action id."""
    limit = asyncio.Semaphore(concurrency)
    passwords = {uai: secrets.token_urlsafe(12) for uai in uais}
    async with (
        client(events_url, headers=academie_headers()) as api,
        client(simulator_url) as sim,
    ):

        async def school(uai: str) -> None:
            async with limit:
                await _ok(
                    await sim.put(
                        f"/_control/accounts/bench-{uai}", json={"password": passwords[uai]}
                    )
                )
                await _ok(
                    await api.put(
                        f"/api/v1/schools/{uai}",
                        json={
                            "name": f"Collège {uai}",
                            "phone": "01 40 00 00 00",
                            "sender_name": "COLLEGE",
                        },
                    )
                )

        await asyncio.gather(*(school(u) for u in uais))
        for start in range(0, len(uais), 1000):
            await _ok(
                await api.post(
                    "/api/v1/academie/schools/enable",
                    json={"uais": list(uais[start : start + 1000])},
                )
            )
        actions: dict[str, UUID] = {}

        async def provider(uai: str) -> None:
            async with limit:
                await _ok(
                    await api.put(
                        f"/api/v1/schools/{uai}/provider",
                        json={
                            "provider_code": "SIMULATEUR",
                            "key": f"bench-{uai}",
                            "password": passwords[uai],
                        },
                    )
                )
                action = await _ok(
                    await api.post(
                        f"/api/v1/schools/{uai}/actions",
                        json={"code": "SMS", "label": "Envoi de SMS", "template": TEMPLATE},
                    )
                )
                actions[uai] = UUID(action["id"])

        await asyncio.gather(*(provider(u) for u in uais))
    return actions


async def wait_for_accounts(
    conn: asyncpg.Connection[Any], schemas: dict[str, str], count: int, timeout: float = 300
) -> None:
    """Wait until the dispatcher and the status-poller know every school's provider account
    (school.settings.v1 travels on its own topic)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        known = [
            await conn.fetchval(
                f"SELECT count(*) FROM {schemas[s]}.provider_accounts"
                " WHERE provider_code = 'SIMULATEUR'"
            )
            for s in ("dispatcher", "status-poller")
        ]
        if all(k >= count for k in known):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"provider accounts known after {timeout}s: {known} of {count}")
        await asyncio.sleep(0.5)


@dataclass
class Pupil:
    id: UUID
    absence_id: UUID
    last_name: str
    first_name: str
    division: str
    recipients: list[tuple[UUID, str, str]] = field(default_factory=list)  # id, role, mobile


@dataclass
class School:
    uai: str
    action_id: UUID
    facts: dict[str, Any]  # name, phone, time_zone as the events service stores them
    pupils: list[Pupil] = field(default_factory=list)


@dataclass
class Directory:
    """What set-up wrote: the schools, their pupils, one absence each, two guardians each."""

    schools: list[School]
    starts_at: datetime
    ends_at: datetime


def _mobile(serial: int) -> str:
    # +33 6 1x xx xx xx: valid French mobiles, one per guardian.
    return f"+3361{serial:07d}"


async def write_directory(
    conn: asyncpg.Connection[Any],
    schema: str,
    actions: dict[str, UUID],
    sms_per_school: dict[str, int],
) -> Directory:
    """Pupils (two guardians with a mobile each, accepting SMS) and one absence per pupil: enough
    for each school's share of the SMS."""
    rows = await conn.fetch(
        f"SELECT uai, name, phone, time_zone FROM {schema}.schools WHERE uai = ANY($1::text[])",
        list(actions),
    )
    facts = {r["uai"]: dict(r) for r in rows}
    zone = ZoneInfo("Europe/Paris")
    morning = datetime.now(zone).replace(hour=8, minute=0, second=0, microsecond=0)
    starts_at, ends_at = morning.astimezone(UTC), (morning + timedelta(hours=4)).astimezone(UTC)
    schools: list[School] = []
    pupils: list[tuple[Any, ...]] = []
    recipients: list[tuple[Any, ...]] = []
    absences: list[tuple[Any, ...]] = []
    audit: list[tuple[Any, ...]] = []
    serial = 0
    for uai, action_id in actions.items():
        school = School(uai, action_id, facts[uai])
        for index in range(-(-sms_per_school[uai] // len(GUARDIANS))):
            pupil = Pupil(
                uuid4(),
                uuid4(),
                f"{LAST_NAMES[index % len(LAST_NAMES)]}{index // len(LAST_NAMES) or ''}",
                FIRST_NAMES[index % len(FIRST_NAMES)],
                f"{3 + index % 4}{'ABCD'[index % 4]}",
            )
            pupils.append(
                (pupil.id, uai, pupil.last_name, pupil.first_name, pupil.division, "staff")
            )
            for position, role in enumerate(GUARDIANS):
                serial += 1
                rid, mobile = uuid4(), _mobile(serial)
                pupil.recipients.append((rid, role, mobile))
                recipients.append(
                    (
                        rid,
                        uai,
                        pupil.id,
                        position,
                        role,
                        "guardian",
                        f"Parent {role}",
                        mobile,
                        True,
                        True,
                        mobile,
                        True,
                    )
                )
            absences.append(
                (pupil.absence_id, uai, pupil.id, starts_at, ends_at, True, False, ACTOR)
            )
            audit.append(
                (
                    uai,
                    ACTOR,
                    "absence.created",
                    json.dumps(
                        {
                            "id": str(pupil.absence_id),
                            "pupil_id": str(pupil.id),
                            "starts_at": str(starts_at),
                            "ends_at": str(ends_at),
                            "reason": None,
                            "evidence": None,
                            "reason_legitimate": False,
                            "observed": True,
                        }
                    ),
                )
            )
            school.pupils.append(pupil)
        schools.append(school)
    async with conn.transaction():
        await conn.copy_records_to_table(
            "pupils",
            schema_name=schema,
            records=pupils,
            columns=["id", "uai", "last_name", "first_name", "division", "source"],
        )
        await conn.copy_records_to_table(
            "recipients",
            schema_name=schema,
            records=recipients,
            columns=[
                "id",
                "uai",
                "pupil_id",
                "position",
                "role_label",
                "kind",
                "name",
                "mobile",
                "accepts_sms",
                "staff_mobile_set",
                "staff_mobile",
                "staff_accepts_sms",
            ],
        )
        await conn.copy_records_to_table(
            "absences",
            schema_name=schema,
            records=absences,
            columns=[
                "id",
                "uai",
                "pupil_id",
                "starts_at",
                "ends_at",
                "observed",
                "reason_legitimate",
                "created_by",
            ],
        )
        await conn.copy_records_to_table(
            "audit_log",
            schema_name=schema,
            records=audit,
            columns=["uai", "actor", "action", "details"],
        )
    return Directory(schools, starts_at, ends_at)


async def write_pending_sms(
    conn: asyncpg.Connection[Any],
    schema: str,
    directory: Directory,
    sms_per_school: dict[str, int],
) -> list[UUID]:
    """The pending SMS of each school's share ("Ajouter une action" for its guardians), with
    the text the action renders; returns their ids."""
    sms: list[tuple[Any, ...]] = []
    audit: list[tuple[Any, ...]] = []
    for school in directory.schools:
        wanted = sms_per_school[school.uai]
        for pupil in school.pupils:
            absence = {
                "first_name": pupil.first_name,
                "last_name": pupil.last_name,
                "division": pupil.division,
                "starts_at": directory.starts_at,
                "ends_at": directory.ends_at,
            }
            composed = compose(TEMPLATE, facts_of(school.facts, absence), None, transliterate=False)
            for rid, role, mobile in pupil.recipients:
                if wanted == 0:
                    break
                wanted -= 1
                sms_id = uuid4()
                sms.append(
                    (
                        sms_id,
                        school.uai,
                        pupil.absence_id,
                        school.action_id,
                        rid,
                        role,
                        mobile,
                        composed.text,
                        composed.info.encoding,
                        composed.info.segments,
                        False,
                        ACTOR,
                    )
                )
                audit.append(
                    (
                        school.uai,
                        ACTOR,
                        "sms.created",
                        json.dumps(
                            {
                                "id": str(sms_id),
                                "absence_id": str(pupil.absence_id),
                                "action": "SMS",
                                "recipient": role,
                            }
                        ),
                    )
                )
    async with conn.transaction():
        await conn.copy_records_to_table(
            "sms",
            schema_name=schema,
            records=sms,
            columns=[
                "id",
                "uai",
                "absence_id",
                "action_id",
                "recipient_id",
                "recipient_role",
                "recipient_phone",
                "text",
                "encoding",
                "segments",
                "transliterated",
                "created_by",
            ],
        )
        await conn.copy_records_to_table(
            "audit_log",
            schema_name=schema,
            records=audit,
            columns=["uai", "actor", "action", "details"],
        )
    return [row[0] for row in sms]
