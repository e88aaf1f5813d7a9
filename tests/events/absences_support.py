"""Helpers of the absence, diffusion and alert tests: SMS to make, rows to change, what was
written to the outbox and the audit trail."""

from __future__ import annotations

from typing import Any

from events_support import outbox
from support.events_api import UAI, Api

SCHOOL = f"/api/v1/schools/{UAI}"


async def add_sms(
    api: Api, seeded: dict[str, Any], *recipient_indexes: int, **extra: Any
) -> dict[str, Any]:
    """The seeded action for these recipients of the seeded pupil (Légal 1 by default)."""
    recipients = seeded["pupil"]["recipients"]
    chosen = [recipients[i]["id"] for i in recipient_indexes or (0,)]
    created: dict[str, Any] = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{seeded['absence']['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": chosen, **extra},
    )
    return created


async def new_pupil(api: Api, *recipients: dict[str, Any], name: str = "PETIT") -> dict[str, Any]:
    pupil: dict[str, Any] = await api.ok(
        "POST",
        f"{SCHOOL}/pupils",
        json={
            "last_name": name,
            "first_name": "Jules",
            "division": "3B",
            "recipients": list(recipients),
        },
    )
    return pupil


async def new_absence(api: Api, pupil_id: str, **fields: Any) -> dict[str, Any]:
    absence: dict[str, Any] = await api.ok(
        "POST",
        f"{SCHOOL}/absences",
        json={
            "pupil_id": pupil_id,
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T12:30:00+01:00",
            **fields,
        },
    )
    return absence


async def update_recipient(api: Api, pupil_id: str, recipient_id: str, **fields: Any) -> None:
    """Change a recipient in the directory (an opt-out, a new number)."""
    await api.ok("PATCH", f"{SCHOOL}/pupils/{pupil_id}/recipients/{recipient_id}", json=fields)


async def requests(api: Api) -> list[dict[str, Any]]:
    return await outbox(api, "sms.requested.v1")


async def pending(api: Api, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = await api.ok("GET", f"{SCHOOL}/sms/pending", params=params)
    return page


async def history(api: Api, absence_id: str) -> list[dict[str, Any]]:
    absence = await api.ok("GET", f"{SCHOOL}/absences/{absence_id}")
    found: list[dict[str, Any]] = absence["history"]
    return found


async def audit_actions(api: Api) -> list[tuple[str, str]]:
    """(actor, action) of every audit entry, oldest first."""
    trail = await api.ok("GET", f"{SCHOOL}/audit", params={"page_size": 200})
    return [(e["actor"], e["action"]) for e in reversed(trail["items"])]
