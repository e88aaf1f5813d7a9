"""Use case of the "délai de réponse avant alerte": the absences whose family has not answered.

An absence is on the list once an SMS action's delay (in days) has passed since its first SMS
left ("Diffuser") and the absence is still not justified; justifying or deleting it takes it off.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from events.adapters import alerts as repo
from events.app.diffusion import pagination
from events.app.schools import require_school
from events.domain.texts import event_label
from shared.db.types import Connection
from shared.states import SmsState


async def alerts_page(
    conn: Connection, uai: str, now: datetime, page: int, page_size: int
) -> dict[str, Any]:
    """The overdue absences at `now`, the longest overdue first."""
    school = await require_school(conn, uai)
    zone = ZoneInfo(school["time_zone"])
    total = await repo.count_overdue(conn, uai, now)
    rows = await repo.list_overdue(conn, uai, now, page_size, (page - 1) * page_size)
    return {
        "count": total,
        "message": f"{total} absence(s) sans justification après le délai de réponse",
        "pagination": pagination(page, page_size, len(rows), total),
        "items": [
            {
                "absence_id": r["absence_id"],
                "pupil_name": f"{r['last_name']} {r['first_name']}",
                "division": r["division"],
                "event": event_label(r["starts_at"], r["ends_at"], school["time_zone"]),
                "action": r["action_label"],
                "action_code": r["action_code"],
                "response_delay_days": r["response_delay_days"],
                "diffused_at": r["diffused_at"],
                "due_at": r["due_at"],
                "line": (
                    f"{r['action_code']} diffusé le "
                    f"{r['diffused_at'].astimezone(zone):%d/%m/%Y à %H:%M}, sans réponse depuis "
                    f"le {r['due_at'].astimezone(zone):%d/%m/%Y à %H:%M}"
                ),
                "sms": [
                    {"recipient": role, "state": state, "state_label": SmsState(state).label_fr}
                    for role, state in zip(r["recipients"], r["states"], strict=True)
                ],
            }
            for r in rows
        ],
    }
