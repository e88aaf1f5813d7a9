"""The académie's green light ("feu vert"): refusals before, success after, publication."""

from __future__ import annotations

from events_support import CERTIFIED, create_school, enable, error, settings_of
from support.events_api import OTHER_UAI, UAI, Api

NOT_ENABLED = (
    "L'envoi de SMS n'est pas encore autorisé pour cet établissement : "
    "attendre le feu vert de l'académie."
)


async def test_a_new_school_waits_for_the_green_light(strict_api: Api) -> None:
    school = await create_school(strict_api)
    assert school["sms_enabled"] is False
    [published] = await settings_of(strict_api)
    assert published["sms_enabled"] is False


async def test_before_the_green_light_the_provider_is_refused_with_the_reason(
    strict_api: Api,
) -> None:
    await create_school(strict_api)
    response = await strict_api.call("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    assert response.status_code == 422
    assert error(response) == {"code": "sms_not_enabled", "message": NOT_ENABLED}


async def test_before_the_green_light_diffusion_is_refused_with_the_reason(
    strict_api: Api,
) -> None:
    await create_school(strict_api)
    response = await strict_api.call(
        "POST", f"/api/v1/schools/{UAI}/sms/diffuse", json={"all": True}
    )
    assert response.status_code == 422
    assert error(response)["message"] == NOT_ENABLED


async def test_after_the_green_light_the_provider_is_accepted(strict_api: Api) -> None:
    await create_school(strict_api)
    await enable(strict_api, UAI)
    provider = await strict_api.ok("PUT", f"/api/v1/schools/{UAI}/provider", json=CERTIFIED)
    assert provider["provider_code"] == "DIGITALEO"
    assert provider["password_set"] is True


async def test_enabling_answers_per_uai(strict_api: Api) -> None:
    await create_school(strict_api)
    await create_school(strict_api, OTHER_UAI)
    await enable(strict_api, OTHER_UAI)
    answer = await enable(strict_api, UAI, OTHER_UAI, "0999999Z")
    assert answer["results"] == [
        {"uai": UAI, "status": "enabled", "message": "Feu vert donné."},
        {"uai": OTHER_UAI, "status": "already_enabled", "message": "Feu vert déjà donné."},
        {"uai": "0999999Z", "status": "unknown", "message": "Établissement inconnu."},
    ]


async def test_each_change_of_the_green_light_publishes_the_settings(strict_api: Api) -> None:
    await create_school(strict_api)
    await enable(strict_api, UAI)
    await enable(strict_api, UAI)  # no change: nothing published
    await strict_api.ok(
        "POST", "/api/v1/academie/schools/disable", as_="academie", json={"uais": [UAI]}
    )
    published = await settings_of(strict_api)
    assert [(m["version"], m["sms_enabled"]) for m in published] == [
        (1, False),
        (2, True),
        (3, False),
    ]


async def test_only_the_academie_gives_the_green_light(strict_api: Api) -> None:
    await create_school(strict_api)
    response = await strict_api.call(
        "POST", "/api/v1/academie/schools/enable", json={"uais": [UAI]}
    )
    assert response.status_code == 403
    assert (await strict_api.ok("GET", f"/api/v1/schools/{UAI}"))["sms_enabled"] is False


async def test_a_malformed_uai_in_the_list_is_refused(strict_api: Api) -> None:
    response = await strict_api.call(
        "POST", "/api/v1/academie/schools/enable", as_="academie", json={"uais": ["nope"]}
    )
    assert response.status_code == 422
