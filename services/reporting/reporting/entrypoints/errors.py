"""422 answers in French, naming the parameter or field at fault and never echoing its value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Starlette renamed the constant (…_CONTENT); the number is what clients see.
HTTP_422 = 422


def _french(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    simple = {
        "extra_forbidden": "inconnu",
        "missing": "obligatoire",
        "int_parsing": "doit être un nombre entier",
        "int_type": "doit être un nombre entier",
        "int_from_float": "doit être un nombre entier",
        "uuid_parsing": "doit être un identifiant de SMS (UUID)",
        "uuid_type": "doit être un identifiant de SMS (UUID)",
        "list_type": "doit être une liste",
        "json_invalid": "le corps n'est pas du JSON valide",
        "model_attributes_type": "doit être un objet JSON",
        "dict_type": "doit être un objet JSON",
        "string_type": "doit être un texte",
        "string_pattern_mismatch": "format non reconnu",
    }
    if kind in simple:
        return simple[kind]
    if kind == "enum":
        return f"valeur non reconnue (valeurs possibles : {ctx.get('expected', '?')})"
    if kind == "greater_than_equal":
        return f"doit valoir au moins {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"doit valoir au plus {ctx.get('le')}"
    if kind.startswith("date"):
        return "doit être une date au format AAAA-MM-JJ"
    if kind == "string_too_short":
        return "ne doit pas être vide"
    if kind == "string_too_long":
        return f"trop long (au plus {ctx.get('max_length')} caractères)"
    if kind == "too_long":
        return f"au plus {ctx.get('max_length')} éléments"
    if kind == "value_error" and ctx.get("error") is not None:
        return str(ctx["error"])
    return str(error.get("msg", "valeur invalide"))


def _describe(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> list[dict[str, str]]:
    described = []
    for error in errors:
        loc = [str(part) for part in tuple(error.get("loc", ()))[skip:]]
        described.append({"field": ".".join(loc), "message": _french(error)})
    return described


def _detail(code: str, what: str, described: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    parts = [
        f"{d.get('what', what)} « {d['field']} » : {d['message']}" if d["field"] else d["message"]
        for d in described
    ]
    return {
        "code": code,
        "message": "Requête invalide : " + " ; ".join(parts) + ".",
        "errors": list(described),
    }


def parse_query(request: Request, model: type[M], *, blank_is_absent: frozenset[str]) -> M:
    """The query string as `model` (which forbids unknown parameters), or a French 422.

    A parameter given twice is an error; an empty optional filter (`division=`) counts as absent.
    """
    values: dict[str, str] = {}
    repeated: list[dict[str, str]] = []
    for key, value in request.query_params.multi_items():
        if key in values:
            repeated.append({"field": key, "message": "donné plusieurs fois"})
            continue
        values[key] = value
    for key in blank_is_absent:
        if key in values and not values[key].strip():
            del values[key]
    if repeated:
        raise _invalid_query(repeated, model)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        described = _describe(exc.errors(include_url=False, include_input=False))
        raise _invalid_query(described, model) from None


def _invalid_query(described: list[dict[str, str]], model: type[BaseModel]) -> HTTPException:
    detail = _detail("invalid_query", "Paramètre", described)
    accepted = [f.alias or name for name, f in model.model_fields.items()]
    detail["accepted"] = accepted
    detail["message"] += f" Paramètres acceptés : {', '.join(accepted)}."
    return HTTPException(HTTP_422, detail=detail)


async def request_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own validation errors (JSON bodies, path) in the same French shape."""
    assert isinstance(exc, RequestValidationError)
    errors = [dict(e) for e in exc.errors()]
    described = []
    for error, d in zip(errors, _describe(errors, skip=1), strict=True):
        where = str(next(iter(error.get("loc", ("",)))))
        d["in"] = where
        described.append({**d, "what": "Champ" if where == "body" else "Paramètre"})
    return JSONResponse(
        {"detail": _detail("invalid_request", "Champ", described)},
        status_code=HTTP_422,
    )
