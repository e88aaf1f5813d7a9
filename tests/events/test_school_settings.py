"""A school's territory, sender name, phone and quiet hours: stored, shown and published."""

from __future__ import annotations

import phonenumbers
import pytest
from events_support import create_school, error, settings_of
from support.events_api import UAI, Api

from events.domain.territories import TERRITORIES


@pytest.mark.parametrize("code", sorted(TERRITORIES))
def test_each_territory_names_a_phone_region_and_a_zone_that_exist(code: str) -> None:
    from zoneinfo import ZoneInfo

    place = TERRITORIES[code]
    assert place.phone_region in phonenumbers.SUPPORTED_REGIONS
    ZoneInfo(place.time_zone)
    assert 1 <= place.school_year_start_month <= 12


async def test_a_school_follows_the_academies_territory_by_default(api: Api) -> None:
    school = await create_school(api)
    assert school["territory"] == "metropole"
    assert (school["time_zone"], school["phone_region"], school["school_year_start_month"]) == (
        "Europe/Paris",
        "FR",
        9,
    )


async def test_the_territory_sets_zone_region_and_school_year(api: Api) -> None:
    school = await create_school(api, territory="Reunion", phone="0262 16 12 34")
    assert school["territory"] == "reunion"
    assert (school["time_zone"], school["phone_region"], school["school_year_start_month"]) == (
        "Indian/Reunion",
        "RE",
        8,
    )
    [published] = await settings_of(api)
    assert published["time_zone"] == "Indian/Reunion"


async def test_the_academie_may_override_the_territorys_values(api: Api) -> None:
    await create_school(api, territory="polynesie", phone="40 41 23 45")
    school = await create_school(
        api, territory="polynesie", phone="40 41 23 45", time_zone="Pacific/Marquesas"
    )
    assert school["time_zone"] == "Pacific/Marquesas"
    again = await create_school(api, territory="polynesie", phone="40 41 23 45")
    assert again["time_zone"] == "Pacific/Marquesas"  # kept while the territory stays
    assert again["school_year_start_month"] == 8


async def test_an_unknown_territory_is_refused_with_the_list(api: Api) -> None:
    response = await api.call(
        "PUT", f"/api/v1/schools/{UAI}", as_="academie", json={"name": "X", "territory": "mars"}
    )
    assert response.status_code == 422
    assert error(response)["message"].startswith("Territoire inconnu : « mars ». Territoires")
    assert "nouvelle-caledonie" in error(response)["message"]


async def test_an_invalid_school_phone_is_refused(api: Api) -> None:
    response = await api.call(
        "PUT", f"/api/v1/schools/{UAI}", as_="academie", json={"name": "X", "phone": "12"}
    )
    assert error(response) == {
        "code": "invalid_school_phone",
        "message": "Numéro de téléphone de l'établissement invalide : 12.",
    }


@pytest.mark.parametrize("sender", ["COLLEGE VH 12", "12345", "COLLÈGE", "A-B"])
async def test_a_sender_name_out_of_the_rules_is_refused(api: Api, sender: str) -> None:
    response = await api.call(
        "PUT", f"/api/v1/schools/{UAI}", as_="academie", json={"name": "X", "sender_name": sender}
    )
    assert error(response) == {
        "code": "invalid_sender_name",
        "message": "Nom d'émetteur des SMS invalide : 11 caractères au plus, lettres non "
        "accentuées, chiffres ou espaces, dont au moins une lettre.",
    }


async def test_quiet_hours_are_stored_and_published(api: Api) -> None:
    school = await create_school(api, quiet_hours={"start": "20:00", "end": "07:30"})
    assert school["quiet_hours"] == {"start": "20:00:00", "end": "07:30:00"}
    published = (await settings_of(api))[-1]
    assert published["quiet_hours"] == {"start": "20:00:00", "end": "07:30:00"}
    assert published["sender_name"] == "COLLEGE VH"
    assert published["phone"] == "01 40 00 00 00"


async def test_saving_the_same_school_again_publishes_nothing(api: Api) -> None:
    await create_school(api)
    await create_school(api)
    assert len(await settings_of(api)) == 1
