"""The académie's routes: the green light ("feu vert") and bulk provisioning of schools."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import AfterValidator, Field

from events.app import provisioning, schools
from events.domain.errors import DomainError
from events.entrypoints.common import Body, Catalog, Res, SchoolPolicy, schools_tx
from shared.auth.http import AcademiePrincipal
from shared.contracts.envelope import Uai

router = APIRouter(prefix="/api/v1/academie")


def _distinct(uais: list[str]) -> list[str]:
    return list(dict.fromkeys(uais))


class SchoolsIn(Body):
    uais: Annotated[list[Uai], AfterValidator(_distinct)] = Field(min_length=1, max_length=5000)


@router.post("/schools/enable")
async def enable(body: SchoolsIn, principal: AcademiePrincipal, res: Res, cat: Catalog) -> Any:
    """Give the green light to the listed schools: one answer per UAI."""
    async with schools_tx(res, body.uais) as conn:
        results = await schools.set_green_light(conn, body.uais, True, cat, actor=principal.subject)
    res.relay.wake()
    return {"results": results}


@router.post("/schools/disable")
async def disable(body: SchoolsIn, principal: AcademiePrincipal, res: Res, cat: Catalog) -> Any:
    """Withdraw the green light from the listed schools: one answer per UAI."""
    async with schools_tx(res, body.uais) as conn:
        results = await schools.set_green_light(
            conn, body.uais, False, cat, actor=principal.subject
        )
    res.relay.wake()
    return {"results": results}


@router.post("/schools/import")
async def import_schools(
    request: Request, principal: AcademiePrincipal, res: Res, cat: Catalog, policy: SchoolPolicy
) -> Any:
    """The body is the CSV itself (UAI;nom;téléphone;adresse;territoire, with a header line)."""
    limit: int = request.app.state.import_max_bytes
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > limit:
            raise DomainError(
                "csv_too_large",
                f"Fichier trop volumineux : {limit // 1000} ko au plus par import.",
            )
    lines, errors = provisioning.parse(bytes(data))
    async with schools_tx(res, {line.uai for line in lines}) as conn:
        answer = await provisioning.import_schools(
            conn, lines, errors, cat, actor=principal.subject, policy=policy
        )
    res.relay.wake()
    return answer
