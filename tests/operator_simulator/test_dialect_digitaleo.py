"""The simulator speaking DIGITALEO over real HTTP: OAuth2 client credentials, then the send."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

NUMBER = "+33639980001"
OTHER_NUMBER = "+33639980002"
LANDLINE = "+33139980003"
TEXT = "Absence de Léo ce matin."
SMS = "/digitaleo/rest/sms"


def configure(client: httpx.Client, account: str, **config: Any) -> None:
    client.put(f"/_control/accounts/{account}", json=config).raise_for_status()


def submissions(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/_control/submissions").json())


def request_token(client: httpx.Client, **fields: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "client_id": "acme", "client_secret": "pw"}
    return client.post("/digitaleo/token", data={**form, **fields})


def token(client: httpx.Client, account: str = "acme") -> str:
    response = request_token(client, client_id=account)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def contacts(*numbers: str) -> str:
    return json.dumps([{"recipient": number} for number in numbers])


def send(client: httpx.Client, access_token: str, *numbers: str, **fields: str) -> httpx.Response:
    form = {"text": TEXT, "contacts": contacts(*(numbers or (NUMBER,))), **fields}
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    return client.post(SMS, data=form, headers=headers)


def error(response: httpx.Response, status_code: int) -> tuple[str, str]:
    assert response.status_code == status_code, response.text
    body = response.json()
    return body["error"], body["error_description"]


# Token


def test_token_is_a_bearer_token_with_the_default_lifetime(client: httpx.Client) -> None:
    response = request_token(client)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert response.headers["cache-control"] == "no-store"


def test_token_lifetime_follows_the_account(client: httpx.Client) -> None:
    configure(client, "acme", token_lifetime_s=2)

    assert request_token(client).json()["expires_in"] == 2


def test_each_token_request_issues_a_new_token(client: httpx.Client) -> None:
    first, second = token(client), token(client)

    assert first != second
    assert send(client, first).status_code == 200


@pytest.mark.parametrize(
    ("fields", "config", "status_code", "expected"),
    [
        (
            {"client_secret": "wrong"},
            {"password": "pw"},
            401,
            ("invalid_client", "Identifiants client refusés"),
        ),
        ({}, {"reject_credentials": True}, 401, ("invalid_client", "Identifiants client refusés")),
        (
            {"grant_type": "password"},
            {},
            400,
            ("unsupported_grant_type", "grant_type doit valoir client_credentials"),
        ),
        (
            {"client_secret": ""},
            {},
            400,
            ("invalid_request", "client_id et client_secret sont requis"),
        ),
    ],
    ids=["wrong-secret", "rejected", "grant-type", "no-secret"],
)
def test_token_refusals(
    client: httpx.Client,
    fields: dict[str, str],
    config: dict[str, Any],
    status_code: int,
    expected: tuple[str, str],
) -> None:
    configure(client, "acme", **config)

    assert error(request_token(client, **fields), status_code) == expected


# Sending


def test_send_answers_one_result_per_contact(client: httpx.Client) -> None:
    response = send(client, token(client), NUMBER, OTHER_NUMBER)

    assert response.status_code == 200
    first, second = response.json()["messages"]
    assert first["recipient"] == NUMBER and second["recipient"] == OTHER_NUMBER
    for result in (first, second):
        assert result["status"] == "accepted" and result["error"] is None and result["sms"] == 1
        assert result["id"].startswith("SIM-")


def test_submissions_show_every_form_field_received(client: httpx.Client) -> None:
    send(client, token(client), NUMBER, campaign="absences")

    (recorded,) = submissions(client)
    assert (recorded["dialect"], recorded["endpoint"]) == ("digitaleo", SMS)
    assert (recorded["to"], recorded["text"], recorded["sender"]) == (NUMBER, TEXT, None)
    assert recorded["received"] == {
        "text": TEXT,
        "contacts": contacts(NUMBER),
        "campaign": "absences",
    }


def test_refused_contacts_are_rejected_with_their_reason(client: httpx.Client) -> None:
    configure(client, "acme", outcomes=[{"pattern": r"^\+331", "outcome": "landline"}])

    response = send(client, token(client), LANDLINE, "33639980002", NUMBER)

    landline, not_e164, sent = response.json()["messages"]
    assert landline == {
        "recipient": LANDLINE,
        "id": None,
        "status": "rejected",
        "sms": 0,
        "error": "landline",
    }
    assert (not_e164["status"], not_e164["error"]) == ("rejected", "invalid_number")
    assert sent["status"] == "accepted"
    assert [s["to"] for s in submissions(client)] == [NUMBER]


def test_long_texts_count_their_parts(client: httpx.Client) -> None:
    (result,) = send(client, token(client), text="ê" * 71).json()["messages"]

    assert result["sms"] == 2


def test_an_expired_token_is_refused_and_a_new_one_works(client: httpx.Client) -> None:
    configure(client, "acme", token_lifetime_s=1)
    old = token(client)
    time.sleep(1.05)

    assert error(send(client, old), 401) == ("invalid_token", "Jeton expiré")
    assert send(client, token(client)).status_code == 200
    assert len(submissions(client)) == 1


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer dgo-never-issued"}, {"Authorization": "Basic YWNtZTpwdw=="}],
    ids=["none", "unknown", "basic"],
)
def test_a_missing_or_unknown_token_is_refused(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    response = client.post(SMS, data={"text": TEXT, "contacts": contacts(NUMBER)}, headers=headers)

    assert error(response, 401) == ("invalid_token", "Jeton absent ou inconnu")
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_rejecting_credentials_refuses_tokens_already_issued(client: httpx.Client) -> None:
    access_token = token(client)
    configure(client, "acme", reject_credentials=True)

    assert error(send(client, access_token), 401)[0] == "invalid_token"


def test_tokens_are_forgotten_at_reset(client: httpx.Client) -> None:
    access_token = token(client)
    client.post("/_control/reset").raise_for_status()

    assert error(send(client, access_token), 401) == ("invalid_token", "Jeton absent ou inconnu")


@pytest.mark.parametrize(
    ("fields", "config", "status_code", "expected"),
    [
        ({"text": ""}, {}, 400, ("invalid_request", "text est requis")),
        ({"contacts": ""}, {}, 400, ("invalid_request", "contacts est requis")),
        (
            {"contacts": '["+33639980001"]'},
            {},
            400,
            ("invalid_request", 'contacts doit être un tableau JSON de {"recipient": "+33…"}'),
        ),
        (
            {"contacts": "[{"},
            {},
            400,
            ("invalid_request", 'contacts doit être un tableau JSON de {"recipient": "+33…"}'),
        ),
        (
            {"contacts": contacts(NUMBER, OTHER_NUMBER)},
            {"max_batch": 1},
            400,
            ("invalid_request", "Trop de contacts (1 au plus)"),
        ),
        ({}, {"credit": 0}, 402, ("insufficient_credit", "Crédit SMS insuffisant")),
    ],
    ids=["text", "contacts", "contacts-shape", "contacts-json", "batch", "credit"],
)
def test_send_refusals(
    client: httpx.Client,
    fields: dict[str, str],
    config: dict[str, Any],
    status_code: int,
    expected: tuple[str, str],
) -> None:
    access_token = token(client)
    configure(client, "acme", **config)

    assert error(send(client, access_token, **fields), status_code) == expected
    assert submissions(client) == []


# Outages, timeouts, malformed answers


def test_drop_outage_on_send_records_nothing(client: httpx.Client) -> None:
    access_token = token(client)
    configure(client, "acme", outage={"mode": "drop"})

    with pytest.raises(httpx.RemoteProtocolError):
        send(client, access_token)

    assert submissions(client) == []


def test_drop_answer_outage_on_send_records_the_message(client: httpx.Client) -> None:
    access_token = token(client)
    configure(client, "acme", outage={"mode": "drop_answer"})

    with pytest.raises(httpx.TransportError):
        send(client, access_token)

    assert len(submissions(client)) == 1


def test_latency_longer_than_the_client_timeout_is_a_timeout(
    client: httpx.Client, simulator_url: str
) -> None:
    configure(client, "acme", latency_ms=2000)

    with (
        httpx.Client(base_url=simulator_url, timeout=0.2) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        request_token(impatient)


def test_outage_503_on_token_is_plain_text(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "503", "retry_after_s": 2})

    response = request_token(client)

    assert (response.status_code, response.text) == (503, "Service Unavailable")
    assert response.headers["content-type"].startswith("text/plain")


def test_a_malformed_token_answer_is_not_json(client: httpx.Client) -> None:
    configure(client, "acme", malformed=True)

    response = request_token(client)

    assert response.status_code == 200
    assert response.content.startswith(b'{"access_token":')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
