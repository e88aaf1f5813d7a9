"""The SMS "à vérifier": listed for staff, resent or kept as sent once, the decision written to
sms.resolve.v1 through the outbox and to the audit trail."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

from support.events_api import UAI, Api, seed_school

from events.app.tracking import on_sms_submitted
from shared.contracts import SmsSubmittedV1
from shared.db.pool import tenant_transaction


async def unconfirmed_sms(api: Api) -> UUID:
    """One SMS diffused, which the dispatcher then reported "à vérifier"."""
    seeded = await seed_school(api)
    legal1 = seeded["pupil"]["recipients"][0]
    created = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/absences/{seeded['absence']['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1["id"]]},
    )
    [sms_id] = created["created"]
    await api.ok("POST", f"/api/v1/schools/{UAI}/sms/diffuse", json={"ids": [sms_id]})
    submitted = SmsSubmittedV1(
        producer="dispatcher",
        uai=UAI,
        sms_id=UUID(sms_id),
        state="unconfirmed",
        provider_code="SIMULATEUR",
        segments=1,
        submitted_at=datetime.now(UTC),
        absence_id=UUID(seeded["absence"]["id"]),
        action_code=seeded["action"]["code"],
        recipient_role=legal1["role_label"],
    )
    async with tenant_transaction(api.app.state.resources.pool, {UAI}) as conn:
        await on_sms_submitted(conn, [submitted])
    return UUID(sms_id)


async def resolve_messages(api: Api) -> list[dict]:
    rows = await api.app.state.resources.pool.fetch(
        "SELECT payload FROM outbox WHERE topic = 'sms.resolve.v1' ORDER BY id"
    )
    return [json.loads(r["payload"]) for r in rows]


async def test_the_sms_a_verifier_are_listed(api: Api) -> None:
    sms_id = await unconfirmed_sms(api)
    listed = await api.ok("GET", f"/api/v1/schools/{UAI}/sms/unconfirmed")
    assert listed["count"] == 1
    [item] = listed["items"]
    assert item["id"] == str(sms_id)
    assert item["last_name"] == "MARTIN" and item["resolution"] is None


async def test_resend_writes_the_decision_to_the_outbox_once(api: Api) -> None:
    sms_id = await unconfirmed_sms(api)
    body = {"sms_ids": [str(sms_id)], "decision": "resend"}
    answers = await asyncio.gather(
        *[api.ok("POST", f"/api/v1/schools/{UAI}/sms/resolve", json=body) for _ in range(3)]
    )
    assert sorted(a["resolved"] for a in answers) == [0, 0, 1]
    refused = [r for a in answers for r in a["results"] if not r["ok"]]
    assert {r["code"] for r in refused} == {"already_resolved"}
    [message] = await resolve_messages(api)
    assert message["sms_id"] == str(sms_id) and message["decision"] == "resend"
    assert message["decided_by"] == "cpe"
    listed = await api.ok("GET", f"/api/v1/schools/{UAI}/sms/unconfirmed")
    assert listed["items"][0]["resolution"] == "resend"  # still à vérifier until resent


async def test_keep_as_sent_ends_the_sms_sans_accuse(api: Api) -> None:
    sms_id = await unconfirmed_sms(api)
    body = {"sms_ids": [str(sms_id)], "decision": "keep_as_sent"}
    answer = await api.ok("POST", f"/api/v1/schools/{UAI}/sms/resolve", json=body)
    assert answer["resolved"] == 1
    listed = await api.ok("GET", f"/api/v1/schools/{UAI}/sms/unconfirmed")
    assert listed["count"] == 0
    async with tenant_transaction(api.app.state.resources.pool, {UAI}) as conn:
        state = await conn.fetchval("SELECT state FROM sms WHERE id = $1", sms_id)
    assert state == "sent_unconfirmed"
    trail = await api.ok("GET", f"/api/v1/schools/{UAI}/audit")
    assert trail["items"][0]["action"] == "sms.keep_as_sent"


async def test_an_sms_not_a_verifier_cannot_be_resolved(api: Api) -> None:
    sms_id = await unconfirmed_sms(api)
    await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/sms/resolve",
        json={"sms_ids": [str(sms_id)], "decision": "keep_as_sent"},
    )
    answer = await api.ok(
        "POST",
        f"/api/v1/schools/{UAI}/sms/resolve",
        json={"sms_ids": [str(sms_id), str(uuid4())], "decision": "resend"},
    )
    assert [r["code"] for r in answer["results"]] == ["not_unconfirmed", "unknown_sms"]
    assert len(await resolve_messages(api)) == 1


async def test_another_school_cannot_resolve_and_unknown_fields_are_refused(api: Api) -> None:
    sms_id = await unconfirmed_sms(api)
    body = {"sms_ids": [str(sms_id)], "decision": "resend"}
    response = await api.call("POST", f"/api/v1/schools/{UAI}/sms/resolve", as_="other", json=body)
    assert response.status_code == 403
    response = await api.call(
        "POST", f"/api/v1/schools/{UAI}/sms/resolve", json={**body, "force": True}
    )
    assert response.status_code == 422
    assert await resolve_messages(api) == []
