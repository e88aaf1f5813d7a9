"""Upload routes take files larger than an ordinary request, up to the import limit, and refuse
anything bigger with a clear French message; every other route keeps the small cap."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from events_support import create_school, running_api
from support.events_api import UAI, Api

IMPORT_LIMIT = 3_000_000


@pytest.fixture
async def api(isolation, topics) -> AsyncIterator[Api]:
    await topics()
    async with running_api(
        isolation, enable_schools_on_creation=True, import_max_bytes=IMPORT_LIMIT
    ) as running:
        await create_school(running)
        yield running


def xml_of(size: int) -> bytes:
    head = b'<?xml version="1.0" encoding="ISO-8859-15"?><BEE_ELEVES><PARAMETRES>'
    return head + b"<X/>" * ((size - len(head)) // 4)


async def test_an_export_above_the_ordinary_cap_reaches_the_import(api: Api) -> None:
    response = await api.call(
        "POST",
        f"/api/v1/schools/{UAI}/imports/siecle",
        files={"eleves": ("ElevesSansAdresses.xml", xml_of(1_500_000), "text/xml")},
    )
    # Read and judged by the import itself (a truncated document), not cut by the size guard.
    assert response.status_code != 413, response.text
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] != "payload_too_large"


async def test_a_file_above_the_import_limit_is_refused_by_name(api: Api) -> None:
    response = await api.call(
        "POST",
        f"/api/v1/schools/{UAI}/imports/siecle",
        files={"eleves": ("ElevesSansAdresses.xml", xml_of(3_500_000), "text/xml")},
    )
    assert response.status_code == 413
    error = response.json()["error"]
    assert "ElevesSansAdresses.xml" in error["message"]
    assert "trop volumineux" in error["message"]


async def test_a_50_mb_upload_is_refused_before_it_is_read(api: Api) -> None:
    response = await api.call(
        "POST",
        f"/api/v1/schools/{UAI}/imports/siecle",
        files={"eleves": ("enorme.zip", b"\0" * 50_000_000, "application/zip")},
    )
    assert response.status_code == 413
    assert response.json()["error"]["message"].startswith(
        "La requête dépasse la taille maximale autorisée"
    )


async def test_other_routes_keep_the_ordinary_cap(api: Api) -> None:
    response = await api.client.request(
        "PUT",
        f"/api/v1/schools/{UAI}",
        content=b'{"name": "' + b"x" * 1_200_000 + b'"}',
        headers={**api.academie, "content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
