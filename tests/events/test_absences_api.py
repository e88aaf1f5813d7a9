"""Saisie d'un évènement: record, edit, justify and delete an absence; a pending SMS is cancelled
("annulé") once its absence is justified or deleted."""

from __future__ import annotations

from absences_support import (
    SCHOOL,
    add_sms,
    audit_actions,
    history,
    new_absence,
    new_pupil,
    pending,
)
from events_support import error
from support.events_api import Api, seed_school


async def test_an_absence_records_the_seed_fields_and_aucun_means_none(api: Api) -> None:
    seeded = await seed_school(api)
    absence = await new_absence(
        api, seeded["pupil"]["id"], reason="AUCUN", evidence=" aucun ", observed=False
    )
    assert absence["reason"] is None and absence["evidence"] is None
    assert absence["observed"] is False
    assert absence["justified"] is False
    assert absence["label"] == "Absence du 30/11/26 08:30 au 30/11/26 12:30"
    assert absence["history"] == []


async def test_an_absence_ending_before_it_starts_is_refused(api: Api) -> None:
    seeded = await seed_school(api)
    response = await api.call(
        "PATCH",
        f"{SCHOOL}/absences/{seeded['absence']['id']}",
        json={"ends_at": "2026-11-30T07:00:00+01:00"},
    )
    assert response.status_code == 422
    assert "précède son début" in error(response)["message"]


async def test_an_absence_for_an_unknown_pupil_is_refused(api: Api) -> None:
    await seed_school(api)
    response = await api.call(
        "POST",
        f"{SCHOOL}/absences",
        json={
            "pupil_id": "00000000-0000-0000-0000-000000000000",
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T09:30:00+01:00",
        },
    )
    assert response.status_code == 404
    assert error(response)["message"] == "Élève inconnu."


async def test_a_pupil_who_left_takes_no_new_absence(api: Api) -> None:
    seeded = await seed_school(api)
    await api.ok("DELETE", f"{SCHOOL}/pupils/{seeded['pupil']['id']}")
    response = await api.call(
        "POST",
        f"{SCHOOL}/absences",
        json={
            "pupil_id": seeded["pupil"]["id"],
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T09:30:00+01:00",
        },
    )
    assert response.status_code == 422
    assert error(response)["code"] == "pupil_retired"


async def test_changing_the_dates_renders_the_pending_sms_again(api: Api) -> None:
    seeded = await seed_school(api)
    await add_sms(api, seeded)
    await api.ok(
        "PATCH",
        f"{SCHOOL}/absences/{seeded['absence']['id']}",
        json={"starts_at": "2026-12-01T10:00:00+01:00", "ends_at": "2026-12-01T11:00:00+01:00"},
    )
    [item] = (await pending(api))["items"]
    assert "01/12/2026 à 10:00" in item["text"]
    assert item["event"] == "Absence du 01/12/26 10:00 au 01/12/26 11:00"


async def test_a_justificatif_cancels_the_pending_sms_with_the_reason(api: Api) -> None:
    seeded = await seed_school(api)
    await add_sms(api, seeded)
    absence = await api.ok(
        "PATCH",
        f"{SCHOOL}/absences/{seeded['absence']['id']}",
        json={"evidence": "Certificat médical"},
    )
    assert absence["justified"] is True
    [line] = absence["history"]
    assert line["state"] == "cancelled" and line["state_label"] == "annulé"
    assert line["reason_code"] == "absence_justified"
    assert line["line"].endswith(" - annulé")
    assert (await pending(api))["count"] == 0


async def test_a_legitimate_motif_cancels_the_pending_sms(api: Api) -> None:
    seeded = await seed_school(api)
    await add_sms(api, seeded)
    await api.ok(
        "PATCH",
        f"{SCHOOL}/absences/{seeded['absence']['id']}",
        json={"reason": "Maladie", "reason_legitimate": True},
    )
    assert [h["state"] for h in await history(api, seeded["absence"]["id"])] == ["cancelled"]


async def test_a_motif_that_is_not_legitimate_leaves_the_sms_pending(api: Api) -> None:
    seeded = await seed_school(api)
    await add_sms(api, seeded)
    absence = await api.ok(
        "PATCH", f"{SCHOOL}/absences/{seeded['absence']['id']}", json={"reason": "Retard bus"}
    )
    assert absence["justified"] is False
    assert (await pending(api))["count"] == 1


async def test_justifying_does_not_touch_an_sms_already_diffused(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    await api.ok("POST", f"{SCHOOL}/sms/diffuse", json={"ids": created["created"]})
    await api.ok("PATCH", f"{SCHOOL}/absences/{seeded['absence']['id']}", json={"evidence": "Mot"})
    assert [h["state"] for h in await history(api, seeded["absence"]["id"])] == ["queued"]


async def test_deleting_the_absence_cancels_its_pending_sms(api: Api) -> None:
    seeded = await seed_school(api)
    created = await add_sms(api, seeded)
    absence_id = seeded["absence"]["id"]
    deleted = await api.ok("DELETE", f"{SCHOOL}/absences/{absence_id}")
    assert deleted["cancelled_sms"] == created["created"]
    assert (await pending(api))["count"] == 0
    assert (await api.call("GET", f"{SCHOOL}/absences/{absence_id}")).status_code == 404
    assert await api.ok("GET", f"{SCHOOL}/absences") == []
    again = await api.call("DELETE", f"{SCHOOL}/absences/{absence_id}")
    assert again.status_code == 404


async def test_a_justified_absence_takes_no_new_sms(api: Api) -> None:
    seeded = await seed_school(api)
    await api.ok("PATCH", f"{SCHOOL}/absences/{seeded['absence']['id']}", json={"evidence": "Mot"})
    response = await api.call(
        "POST",
        f"{SCHOOL}/absences/{seeded['absence']['id']}/sms",
        json={
            "action_id": seeded["action"]["id"],
            "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
        },
    )
    assert response.status_code == 422
    assert error(response)["code"] == "absence_justified"


async def test_two_recipients_sharing_a_mobile_get_one_sms_and_the_answer_says_so(
    api: Api,
) -> None:
    seeded = await seed_school(api)
    pupil = await new_pupil(
        api,
        {"role_label": "Légal 1", "mobile": "+33600000009", "accepts_sms": True},
        {"role_label": "Légal 2", "mobile": "06 00 00 00 09", "accepts_sms": True},
    )
    absence = await new_absence(api, pupil["id"])
    legal1, legal2 = (r["id"] for r in pupil["recipients"])
    created = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{absence['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal1, legal2]},
    )
    assert len(created["created"]) == 1
    assert [(r["role"], r["status"]) for r in created["recipients"]] == [
        ("Légal 1", "sms"),
        ("Légal 2", "merged"),
    ]
    # Choosing the other guardian later does not queue the same number a second time.
    again = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{absence['id']}/sms",
        json={"action_id": seeded["action"]["id"], "recipient_ids": [legal2]},
    )
    assert again["created"] == [] and again["already_pending"] == 1
    assert (await pending(api))["count"] == 1


async def test_creation_diffusion_deletion_and_cancellation_are_in_the_audit_trail(
    api: Api,
) -> None:
    seeded = await seed_school(api)
    first = await add_sms(api, seeded)
    await api.ok("POST", f"{SCHOOL}/sms/diffuse", json={"ids": first["created"]})
    second = await new_absence(api, seeded["pupil"]["id"])
    await api.ok(
        "POST",
        f"{SCHOOL}/absences/{second['id']}/sms",
        json={
            "action_id": seeded["action"]["id"],
            "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
        },
    )
    await api.ok("DELETE", f"{SCHOOL}/absences/{second['id']}")
    third = await new_absence(api, seeded["pupil"]["id"])
    made = await api.ok(
        "POST",
        f"{SCHOOL}/absences/{third['id']}/sms",
        json={
            "action_id": seeded["action"]["id"],
            "recipient_ids": [seeded["pupil"]["recipients"][0]["id"]],
        },
    )
    await api.ok("POST", f"{SCHOOL}/sms/delete", json={"ids": made["created"]})
    trail = [entry for entry in await audit_actions(api) if entry[1].split(".")[0] != "school"]
    assert [a for _, a in trail if a.startswith(("absence.", "sms."))] == [
        "absence.created",
        "sms.created",
        "sms.diffused",
        "absence.created",
        "sms.created",
        "absence.deleted",
        "sms.cancelled",
        "absence.created",
        "sms.created",
        "sms.deleted",
    ]
    assert ("cpe", "sms.diffused") in trail
