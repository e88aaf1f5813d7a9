"""Driving the events API in tests: a client with tokens, and a seeded school."""

from __future__ import annotations

from typing import Any

import httpx

from shared.auth import Role, TokenService

UAI = "0750001A"
OTHER_UAI = "0750002B"


class Api:
    """An HTTP client of the events app with tokens for one school, another one and the académie."""

    def __init__(self, client: httpx.AsyncClient, tokens: TokenService, app: Any) -> None:
        self.client = client
        self.app = app
        self.staff = {"Authorization": f"Bearer {tokens.mint('cpe', Role.STAFF, [UAI])}"}
        self.other = {"Authorization": f"Bearer {tokens.mint('cpe2', Role.STAFF, [OTHER_UAI])}"}
        self.academie = {"Authorization": f"Bearer {tokens.mint('rectorat', Role.ACADEMIE_ADMIN)}"}
        self.ops = {"Authorization": f"Bearer {tokens.mint('ops', Role.OPS)}"}

    async def call(
        self, method: str, path: str, *, as_: str = "staff", **kwargs: Any
    ) -> httpx.Response:
        return await self.client.request(method, path, headers=getattr(self, as_), **kwargs)

    async def ok(self, method: str, path: str, *, as_: str = "staff", **kwargs: Any) -> Any:
        response = await self.call(method, path, as_=as_, **kwargs)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None


async def seed_school(
    api: Api, uai: str = UAI, *, mobile: str = "06 00 00 00 01"
) -> dict[str, Any]:
    """A school with the simulator as provider, an SMS action and a pupil with two guardians."""
    await api.ok(
        "PUT",
        f"/api/v1/schools/{uai}",
        as_="academie",
        json={
            "name": "Collège Victor Hugo",
            "phone": "01 40 00 00 00",
            "sender_name": "COLLEGE VH",
        },
    )
    await api.ok("POST", "/api/v1/academie/schools/enable", as_="academie", json={"uais": [uai]})
    await api.ok(
        "PUT",
        f"/api/v1/schools/{uai}/provider",
        as_="academie",
        json={"provider_code": "SIMULATEUR", "key": f"acct-{uai}", "password": "s3cret-pw"},
    )
    action = await api.ok(
        "POST",
        f"/api/v1/schools/{uai}/actions",
        as_="academie",
        json={
            "code": "SMS",
            "label": "ENVOI SMS",
            "template": "{etablissement} : absence de {eleve} le {debut}. "
            "Contactez la vie scolaire au {telephone}.",
        },
    )
    pupil = await api.ok(
        "POST",
        f"/api/v1/schools/{uai}/pupils",
        as_="academie",
        json={
            "last_name": "MARTIN",
            "first_name": "Léa",
            "division": "4A",
            "recipients": [
                {
                    "role_label": "Légal 1 - Financier",
                    "name": "Mme MARTIN",
                    "mobile": mobile,
                    "accepts_sms": True,
                },
                {
                    "role_label": "Légal 2",
                    "name": "M. MARTIN",
                    "mobile": "06 00 00 00 02",
                    "accepts_sms": False,
                },
                {
                    "role_label": "Correspondant n°1",
                    "name": "Mme DURAND",
                    "mobile": None,
                    "accepts_sms": True,
                },
            ],
        },
    )
    absence = await api.ok(
        "POST",
        f"/api/v1/schools/{uai}/absences",
        as_="academie",
        json={
            "pupil_id": pupil["id"],
            "starts_at": "2026-11-30T08:30:00+01:00",
            "ends_at": "2026-11-30T12:30:00+01:00",
        },
    )
    return {"action": action, "pupil": pupil, "absence": absence}
