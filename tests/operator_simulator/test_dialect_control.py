"""What the dialects add to the native API and the control API: landlines, malformed answers,
the token lifetime setting and the journal of requests received."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

NUMBER = "+33639980001"


def configure(client: httpx.Client, account: str, **config: Any) -> httpx.Response:
    return client.put(f"/_control/accounts/{account}", json=config)


def native_send(client: httpx.Client, to: str = NUMBER) -> httpx.Response:
    body = {"messages": [{"to": to, "text": "Absence.", "client_ref": "r1"}]}
    return client.post("/api/v1/messages", auth=("acme", "pw"), json=body)


def token_request(client: httpx.Client, account: str = "acme") -> httpx.Response:
    return client.post(
        "/digitaleo/token",
        data={"grant_type": "client_credentials", "client_id": account, "client_secret": "pw"},
    )


def journal(client: httpx.Client, **params: str) -> list[dict[str, Any]]:
    response = client.get("/_control/requests", params=params)
    assert response.status_code == 200
    return list(response.json())


def test_the_native_api_refuses_a_landline_as_an_invalid_number(client: httpx.Client) -> None:
    configure(client, "acme", outcomes=[{"pattern": "01$", "outcome": "landline"}])

    (result,) = native_send(client).json()["results"]

    assert (result["status"], result["error"]) == ("rejected", "invalid_number")


def test_a_malformed_account_gets_half_of_the_native_answer(client: httpx.Client) -> None:
    configure(client, "acme", malformed=True)

    response = client.get("/api/v1/credit", auth=("acme", "pw"))

    assert response.status_code == 200
    whole = b'{"credit":1000000}'
    assert response.content == whole[: len(whole) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_other_accounts_keep_whole_answers(client: httpx.Client) -> None:
    configure(client, "acme", malformed=True)

    assert client.get("/api/v1/credit", auth=("other", "pw")).json() == {"credit": 1_000_000}


def test_the_account_view_shows_the_dialect_settings(client: httpx.Client) -> None:
    view = configure(client, "acme", malformed=True, token_lifetime_s=5).json()

    assert (view["malformed"], view["token_lifetime_s"]) == (True, 5)
    assert client.get("/_control/defaults").json()["token_lifetime_s"] == 3600


@pytest.mark.parametrize("lifetime", [0, "soon"])
def test_an_invalid_token_lifetime_is_refused(client: httpx.Client, lifetime: object) -> None:
    response = configure(client, "acme", token_lifetime_s=lifetime)

    assert response.status_code == 400
    assert client.get("/_control/accounts/acme").json()["overridden"] == []


def test_the_journal_counts_the_requests_each_account_made(client: httpx.Client) -> None:
    token_request(client)
    token_request(client)
    token_request(client, "other")

    seen = journal(client, account="acme")

    assert [(r["method"], r["path"], r["status"]) for r in seen] == [
        ("POST", "/digitaleo/token", 200),
        ("POST", "/digitaleo/token", 200),
    ]
    assert len(journal(client)) == 3


def test_the_journal_shows_requests_without_answer(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "drop"})
    with pytest.raises(httpx.RemoteProtocolError):
        token_request(client)

    (dropped,) = journal(client, account="acme")

    assert (dropped["status"], dropped["outcome"]) == ("no_answer", "connection_dropped")


def test_the_journal_leaves_out_the_control_api_and_empties_at_reset(
    client: httpx.Client,
) -> None:
    native_send(client)
    client.get("/_control/submissions")
    assert [r["path"] for r in journal(client)] == ["/api/v1/messages"]

    client.post("/_control/reset").raise_for_status()

    assert journal(client) == []
