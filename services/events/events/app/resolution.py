"""The SMS "à vérifier": the dispatcher could not know whether the operator received them, and
never resends on its own. Staff decide, per SMS: resend it ("Renvoyer", the same SMS id, explicitly
authorised) or keep it as sent without confirmation ("Considérer comme envoyé")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from events.adapters import audit
from events.adapters import resolutions as repo
from events.app.schools import PRODUCER, require_school
from shared.contracts import SmsResolveV1
from shared.db.outbox import enqueue
from shared.db.types import Connection
from shared.states import SmsState

Decision = Literal["resend", "keep_as_sent"]

REFUSALS = {
    "unknown_sms": "SMS inconnu.",
    "not_unconfirmed": "Ce SMS n'est pas « à vérifier » : rien à décider.",
    "already_resolved": "Une décision a déjà été prise pour ce SMS.",
}


async def unconfirmed_page(conn: Connection, uai: str, limit: int, offset: int) -> dict[str, Any]:
    """The SMS "à vérifier" of the school, oldest first, with the decision already taken."""
    await require_school(conn, uai)
    total = await repo.count_unconfirmed(conn, uai)
    items = await repo.list_unconfirmed(conn, uai, limit, offset)
    return {"count": total, "items": items}


async def resolve(
    conn: Connection, uai: str, ids: Sequence[UUID], decision: Decision, *, actor: str
) -> dict[str, Any]:
    """Decide for each named SMS; one answer per SMS. Only an SMS still "à vérifier" and not yet
    decided gets the decision (so a double click or two staff at once decide once), written with
    its sms.resolve.v1 message in this transaction."""
    await require_school(conn, uai)
    now = datetime.now(UTC)
    rows = {r["id"]: r for r in await repo.lock(conn, uai, ids)}
    accepted: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for sms_id in dict.fromkeys(ids):
        row = rows.get(sms_id)
        refusal = None
        if row is None:
            refusal = "unknown_sms"
        elif row["state"] != SmsState.UNCONFIRMED.value:
            refusal = "not_unconfirmed"
        elif row["resolution"] is not None:
            refusal = "already_resolved"
        if refusal is not None:
            results.append(
                {"sms_id": sms_id, "ok": False, "code": refusal, "message": REFUSALS[refusal]}
            )
            continue
        assert row is not None
        accepted.append(row)
        results.append({"sms_id": sms_id, "ok": True, "decision": decision})
    if accepted:
        ids_done = [r["id"] for r in accepted]
        new_state = SmsState.SENT_UNCONFIRMED.value if decision == "keep_as_sent" else None
        await repo.record(conn, uai, ids_done, decision, actor, now, new_state=new_state)
        await enqueue(
            conn,
            [
                SmsResolveV1(
                    producer=PRODUCER,
                    uai=uai,
                    sms_id=r["id"],
                    decision=decision,
                    decided_by=actor,
                    decided_at=now,
                )
                for r in accepted
            ],
        )
        await audit.insert(
            conn,
            [
                (uai, actor, f"sms.{decision}", {"sms_id": r["id"], "action": r["action_code"]})
                for r in accepted
            ],
        )
    return {"resolved": len(accepted), "results": results}
