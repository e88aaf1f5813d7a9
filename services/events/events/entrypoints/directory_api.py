"""HTTP routes of the school's directory: SIECLE and CSV imports, pupils and their recipients."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field, model_validator
from starlette.datastructures import UploadFile

from events.app import directory, imports
from events.domain.errors import DomainError
from events.domain.siecle_xml import Limits, TooLarge
from events.entrypoints.common import Body, Page, PageSize, Res, school_tx
from shared.auth.http import SchoolPrincipal

router = APIRouter(prefix="/api/v1", tags=["directory"])


class RecipientIn(Body):
    role_label: str = Field(min_length=1, max_length=60)
    name: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=30)
    accepts_sms: bool = False


class PupilIn(Body):
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    division: str | None = Field(default=None, max_length=30)
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=10)


def _not_null(model: Body, fields: tuple[str, ...]) -> None:
    nulls = [f for f in fields if f in model.model_fields_set and getattr(model, f) is None]
    if nulls:
        raise ValueError(f"{', '.join(nulls)} cannot be null")


class PupilChange(Body):
    """Only the fields sent change."""

    last_name: str | None = Field(default=None, min_length=1, max_length=100)
    first_name: str | None = Field(default=None, min_length=1, max_length=100)
    division: str | None = Field(default=None, max_length=30)

    @model_validator(mode="after")
    def _names_not_null(self) -> PupilChange:
        _not_null(self, ("last_name", "first_name"))
        return self


class RecipientChange(Body):
    """Only the fields sent change; `mobile: null` means "no number"."""

    role_label: str | None = Field(default=None, min_length=1, max_length=60)
    name: str | None = Field(default=None, max_length=200)
    mobile: str | None = Field(default=None, max_length=30)
    accepts_sms: bool | None = None
    reset_to_import: bool = False

    @model_validator(mode="after")
    def _flags_not_null(self) -> RecipientChange:
        _not_null(self, ("role_label", "accepts_sms"))
        return self


Division = Annotated[str | None, Query(max_length=30)]
Search = Annotated[str | None, Query(max_length=100)]


async def _uploads(request: Request, limit: int, max_files: int) -> list[tuple[str, bytes]]:
    """The files of a multipart form (any field name), each read up to `limit` bytes."""
    found: list[tuple[str, bytes]] = []
    # The form parser stops past these counts; up to them, the use case refuses in French.
    async with request.form(max_files=max_files + 8, max_fields=max_files + 8) as form:
        for _field, value in form.multi_items():
            if not isinstance(value, UploadFile):
                continue
            name = value.filename or "fichier sans nom"
            data = await value.read(limit + 1)
            if len(data) > limit:
                raise TooLarge(
                    name, "file_too_large", f"trop volumineux : {limit // 1000} ko au plus."
                )
            found.append((name, data))
    return found


@router.post("/schools/{uai}/imports/siecle")
async def post_siecle_import(
    request: Request, uai: str, principal: SchoolPrincipal, res: Res
) -> Any:
    """Multipart: the pupils and/or guardians exports of SIECLE (.xml or the .zip holding it)."""
    limit: int = request.app.state.import_max_bytes
    uploads = await _uploads(request, limit, imports.MAX_FILES)
    async with school_tx(res, uai.upper()) as conn:
        return await imports.import_siecle(
            conn, uai.upper(), uploads, actor=principal.subject, limits=Limits(limit)
        )


@router.post("/schools/{uai}/imports/csv")
async def post_csv_import(request: Request, uai: str, principal: SchoolPrincipal, res: Res) -> Any:
    """Multipart: one CSV; its header is in events.domain.directory_csv."""
    limit: int = request.app.state.import_max_bytes
    uploads = await _uploads(request, limit, 1)
    if len(uploads) != 1:
        raise DomainError("one_csv_file", "Joindre exactement un fichier CSV.")
    [(name, data)] = uploads
    async with school_tx(res, uai.upper()) as conn:
        return await imports.import_csv(
            conn, uai.upper(), name, data, actor=principal.subject, max_bytes=limit
        )


@router.get("/schools/{uai}/imports")
async def get_imports(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await imports.import_history(conn, uai.upper())


@router.get("/schools/{uai}/divisions")
async def get_divisions(uai: str, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.list_divisions(conn, uai.upper())


@router.get("/schools/{uai}/pupils")
async def get_pupils(
    uai: str,
    _p: SchoolPrincipal,
    res: Res,
    response: Response,
    division: Division = None,
    q: Search = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> Any:
    """Current pupils by division then name; `division` filters, `q` searches the name.
    The total is in the `X-Total-Count` header."""
    async with school_tx(res, uai.upper()) as conn:
        found = await directory.pupils_page(
            conn, uai.upper(), page, page_size, division=division, search=q
        )
    response.headers["X-Total-Count"] = str(found["count"])
    return found["items"]


@router.post("/schools/{uai}/pupils", status_code=201)
async def post_pupil(uai: str, body: PupilIn, principal: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.create_pupil(
            conn, uai.upper(), body.model_dump(), actor=principal.subject
        )


@router.get("/schools/{uai}/pupils/{pupil_id}")
async def get_pupil(uai: str, pupil_id: UUID, _p: SchoolPrincipal, res: Res) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.get_pupil(conn, uai.upper(), pupil_id)


@router.patch("/schools/{uai}/pupils/{pupil_id}")
async def patch_pupil(
    uai: str, pupil_id: UUID, body: PupilChange, principal: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.update_pupil(
            conn,
            uai.upper(),
            pupil_id,
            body.model_dump(exclude_unset=True),
            actor=principal.subject,
        )


@router.delete("/schools/{uai}/pupils/{pupil_id}", status_code=204)
async def delete_pupil(uai: str, pupil_id: UUID, principal: SchoolPrincipal, res: Res) -> None:
    async with school_tx(res, uai.upper()) as conn:
        await directory.retire_pupil(conn, uai.upper(), pupil_id, actor=principal.subject)


@router.post("/schools/{uai}/pupils/{pupil_id}/recipients", status_code=201)
async def post_recipient(
    uai: str, pupil_id: UUID, body: RecipientIn, principal: SchoolPrincipal, res: Res
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.add_recipient(
            conn, uai.upper(), pupil_id, body.model_dump(), actor=principal.subject
        )


@router.patch("/schools/{uai}/pupils/{pupil_id}/recipients/{recipient_id}")
async def patch_recipient(
    uai: str,
    pupil_id: UUID,
    recipient_id: UUID,
    body: RecipientChange,
    principal: SchoolPrincipal,
    res: Res,
) -> Any:
    async with school_tx(res, uai.upper()) as conn:
        return await directory.update_recipient(
            conn,
            uai.upper(),
            pupil_id,
            recipient_id,
            body.model_dump(exclude_unset=True),
            actor=principal.subject,
        )


@router.delete("/schools/{uai}/pupils/{pupil_id}/recipients/{recipient_id}", status_code=204)
async def delete_recipient(
    uai: str, pupil_id: UUID, recipient_id: UUID, principal: SchoolPrincipal, res: Res
) -> None:
    async with school_tx(res, uai.upper()) as conn:
        await directory.retire_recipient(
            conn, uai.upper(), pupil_id, recipient_id, actor=principal.subject
        )
