"""The simulator speaking Envoyer SMS Pro over real HTTP: the legacy API and the newer one."""

from __future__ import annotations

import json
import re
import time
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import httpx
import pytest
from defusedxml import ElementTree

TEXT = "Absence de Léo ce matin."
MOBILE = "33639980001"
OTHER_MOBILE = "33639980002"
LANDLINE = "33139980003"
LANDLINE_RULE = {"pattern": r"^\+331", "outcome": "landline"}
SEND = "/envoyersmspro/api/message/send"
STATS = "/envoyersmspro/api/message/stats"
ACCOUNTS = "/envoyersmspro/api/account/getallaccounts"
KEY_SEND = "/envoyersmspro/api/envoyer/sms"


def configure(client: httpx.Client, account: str, **config: Any) -> None:
    client.put(f"/_control/accounts/{account}", json=config).raise_for_status()


def submissions(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/_control/submissions").json())


def legacy_send(client: httpx.Client, account: str = "acme", **fields: str) -> httpx.Response:
    form = {"text": TEXT, "recipients": MOBILE, **fields}
    return client.post(SEND, auth=(account, "pw"), data=form)


def xml(response: httpx.Response, status_code: int = 200) -> Element:
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(response.text)
    assert root.tag == "response"
    return root


def legacy_error(response: httpx.Response, status_code: int) -> str | None:
    root = xml(response, status_code)
    assert root.findtext("status") == "error"
    return root.findtext("error/error_message")


def sent_id(response: httpx.Response) -> str:
    root = xml(response)
    assert root.findtext("status") == "success"
    return str(root.findtext("message/message_id"))


def stats(client: httpx.Client, batch_id: str, account: str = "acme") -> list[dict[str, Any]]:
    root = xml(client.post(STATS, auth=(account, "pw"), data={"messageid": batch_id}))
    assert root.findtext("status") == "success"
    assert root.findtext("message/message_id") == batch_id
    return [
        {child.tag: child.text or "" for child in recipient}
        for recipient in root.findall("message/recipient")
    ]


def key_send(client: httpx.Client, **fields: str) -> httpx.Response:
    return client.post(
        KEY_SEND, data={"key": "acme", "destinataires": MOBILE, "message": TEXT, **fields}
    )


# Legacy send


def test_legacy_send_answers_one_id_parts_sent_and_credit(client: httpx.Client) -> None:
    configure(client, "acme", credit=500)

    root = xml(legacy_send(client, recipients=f"{MOBILE}, {OTHER_MOBILE}", sendername="COLLEGE X"))

    assert root.findtext("status") == "success"
    assert re.fullmatch(r"ESP-\d{8}", str(root.findtext("message/message_id")))
    assert root.findtext("message/sms_sent") == "2"
    assert root.findtext("message/sms_remaining") == "500"


def test_legacy_send_records_each_recipient_with_the_fields_received(client: httpx.Client) -> None:
    batch_id = sent_id(
        legacy_send(client, recipients=f"{MOBILE},{OTHER_MOBILE}", sendername="COLLEGE X")
    )

    first, second = submissions(client)
    assert [first["to"], second["to"]] == ["+" + MOBILE, "+" + OTHER_MOBILE]
    assert first["dialect"] == "envoyersmspro" and first["endpoint"] == SEND
    assert first["batch_id"] == second["batch_id"] == batch_id
    assert (first["text"], first["sender"]) == (TEXT, "COLLEGE X")
    assert first["received"] == {
        "text": TEXT,
        "recipients": f"{MOBILE},{OTHER_MOBILE}",
        "sendername": "COLLEGE X",
        "longmessageallowed": None,
    }


def test_a_long_text_needs_longmessageallowed(client: httpx.Client) -> None:
    refused = legacy_send(client, text="a" * 161)
    allowed = legacy_send(client, text="a" * 161, longmessageallowed="1")

    assert legacy_error(refused, 400) == "Message too long"
    assert xml(allowed).findtext("message/sms_sent") == "2"


@pytest.mark.parametrize(
    "config", [{"password": "s3cret"}, {"reject_credentials": True}], ids=["password", "rejected"]
)
def test_legacy_refused_credentials_are_401(client: httpx.Client, config: dict[str, Any]) -> None:
    configure(client, "acme", **config)

    response = legacy_send(client)

    assert legacy_error(response, 401) == "Invalid login or password"
    assert response.headers["www-authenticate"].startswith("Basic")
    assert submissions(client) == []


def test_legacy_without_basic_auth_is_401(client: httpx.Client) -> None:
    response = client.post(ACCOUNTS)

    assert legacy_error(response, 401) == "Invalid login or password"


@pytest.mark.parametrize(
    ("fields", "config", "status_code", "message"),
    [
        ({"text": ""}, {}, 400, "Missing parameter: text"),
        ({"recipients": " , "}, {}, 400, "Missing parameter: recipients"),
        ({"sendername": "COLLEGE XAVIER"}, {}, 400, "Invalid sender name"),
        ({"sendername": "12345"}, {}, 400, "Invalid sender name"),
        ({"recipients": f"{MOBILE},{OTHER_MOBILE}"}, {"max_batch": 1}, 400, "Too many recipients"),
        (
            {"recipients": f"+{MOBILE},{LANDLINE}"},
            {"outcomes": [LANDLINE_RULE]},
            400,
            "No valid recipient",
        ),
        ({}, {"credit": 0}, 402, "Insufficient credit"),
    ],
    ids=[
        "text",
        "recipients",
        "sender-too-long",
        "sender-without-letter",
        "batch",
        "no-valid",
        "credit",
    ],
)
def test_legacy_send_refusals(
    client: httpx.Client,
    fields: dict[str, str],
    config: dict[str, Any],
    status_code: int,
    message: str,
) -> None:
    configure(client, "acme", **config)

    assert legacy_error(legacy_send(client, **fields), status_code) == message
    assert submissions(client) == []


# Stats


def test_stats_list_every_recipient_as_received_with_its_status_id(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=3600, outcomes=[LANDLINE_RULE])
    recipients = f"{MOBILE},+{OTHER_MOBILE},{LANDLINE},{MOBILE}"
    batch_id = sent_id(legacy_send(client, recipients=recipients))

    assert stats(client, batch_id) == [
        {"mobile_number": MOBILE, "status_id": "1", "delivered_date": ""},
        {"mobile_number": "+" + OTHER_MOBILE, "status_id": "5", "delivered_date": ""},
        {"mobile_number": LANDLINE, "status_id": "6", "delivered_date": ""},
        {"mobile_number": MOBILE, "status_id": "1", "delivered_date": ""},
    ]


def test_stats_give_final_states_with_their_date(client: httpx.Client) -> None:
    configure(
        client, "acme", delivery_delay_s=0, outcomes=[{"pattern": "02$", "outcome": "undelivered"}]
    )
    before = time.time()
    batch_id = sent_id(legacy_send(client, recipients=f"{MOBILE},{OTHER_MOBILE}"))

    delivered, undelivered = stats(client, batch_id)

    assert (delivered["status_id"], undelivered["status_id"]) == ("3", "4")
    for recipient in (delivered, undelivered):
        date = recipient["delivered_date"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", date)
        assert time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(before))) <= date


def test_stats_show_a_message_handed_to_the_carrier(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=0.4)
    batch_id = sent_id(legacy_send(client))

    seen = set()
    deadline = time.monotonic() + 5
    while "3" not in seen and time.monotonic() < deadline:
        seen.add(stats(client, batch_id)[0]["status_id"])
        time.sleep(0.05)

    assert {"2", "3"} <= seen


@pytest.mark.parametrize("owner", ["other", None], ids=["other-account", "never-sent"])
def test_stats_for_an_id_the_account_did_not_get_are_404(
    client: httpx.Client, owner: str | None
) -> None:
    batch_id = sent_id(legacy_send(client, owner)) if owner else "ESP-99999999"

    response = client.post(STATS, auth=("acme", "pw"), data={"messageid": batch_id})

    assert legacy_error(response, 404) == "Message not found"


def test_stats_need_a_message_id(client: httpx.Client) -> None:
    response = client.post(STATS, auth=("acme", "pw"), data={})

    assert legacy_error(response, 400) == "Missing parameter: messageid"


def test_a_malformed_stats_answer_is_unreadable(client: httpx.Client) -> None:
    batch_id = sent_id(legacy_send(client))
    configure(client, "acme", malformed=True)

    response = client.post(STATS, auth=("acme", "pw"), data={"messageid": batch_id})

    assert response.status_code == 200
    with pytest.raises(ParseError):
        ElementTree.fromstring(response.text)


# Credit


def test_getallaccounts_reports_the_credit(client: httpx.Client) -> None:
    configure(client, "acme", credit=42)

    root = xml(client.post(ACCOUNTS, auth=("acme", "pw")))

    assert root.findtext("status") == "success"
    assert root.findtext("accounts/account/login") == "acme"
    assert root.findtext("accounts/account/sms_remaining") == "42"


def test_legacy_outage_429_is_plain_text(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "429", "retry_after_s": 4})

    response = client.post(ACCOUNTS, auth=("acme", "pw"))

    assert (response.status_code, response.text) == (429, "Too Many Requests")
    assert response.headers["retry-after"] == "4"


# Newer, key-based API


def test_key_api_sends_and_answers_resultat_and_id(client: httpx.Client) -> None:
    response = key_send(client, destinataires=f"{MOBILE},+{OTHER_MOBILE}", expediteur="COLLEGE X")

    assert response.status_code == 200
    body = response.json()
    assert body["resultat"] == 1 and body["erreurs"] == []
    assert re.fullmatch(r"ESP-\d{8}", body["id"])
    first, second = submissions(client)
    assert [first["to"], second["to"]] == ["+" + MOBILE, "+" + OTHER_MOBILE]
    assert (first["account"], first["sender"], first["endpoint"]) == ("acme", "COLLEGE X", KEY_SEND)
    assert first["received"] == {
        "destinataires": f"{MOBILE},+{OTHER_MOBILE}",
        "message": TEXT,
        "expediteur": "COLLEGE X",
        "date": None,
    }


def test_key_api_takes_a_json_body(client: httpx.Client) -> None:
    response = client.post(
        KEY_SEND,
        json={
            "key": "acme",
            "destinataires": MOBILE,
            "message": TEXT,
            "expediteur": "",
            "date": "",
        },
    )

    assert response.json()["resultat"] == 1
    (recorded,) = submissions(client)
    assert recorded["sender"] is None
    assert recorded["received"]["date"] == ""


def test_key_api_refuses_an_unreadable_json_body(client: httpx.Client) -> None:
    response = client.post(KEY_SEND, content=b"[1, 2", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json() == {"resultat": 0, "id": None, "erreurs": ["Requête illisible"]}


def test_key_api_names_refused_recipients_by_position(client: httpx.Client) -> None:
    configure(client, "acme", outcomes=[LANDLINE_RULE])

    response = key_send(client, destinataires=f"{MOBILE},{LANDLINE},0639980002")

    body = response.json()
    assert body["resultat"] == 1 and body["id"]
    assert body["erreurs"] == ["Destinataire 2 : numéro fixe", "Destinataire 3 : numéro invalide"]
    assert len(submissions(client)) == 1


def test_key_api_takes_long_texts(client: httpx.Client) -> None:
    assert key_send(client, message="a" * 400).json()["resultat"] == 1
    assert submissions(client)[0]["segments"] == 3


@pytest.mark.parametrize(
    ("fields", "config", "status_code", "errors"),
    [
        ({"key": ""}, {}, 401, ["Clé invalide"]),
        ({}, {"reject_credentials": True}, 401, ["Clé invalide"]),
        ({"message": ""}, {}, 400, ["Paramètre manquant : message"]),
        ({"destinataires": ""}, {}, 400, ["Paramètre manquant : destinataires"]),
        ({"expediteur": "COLLEGE XAVIER"}, {}, 400, ["Expéditeur invalide"]),
        (
            {"date": "2030-01-01 08:00:00"},
            {},
            400,
            ["Envoi différé non simulé : date doit être vide"],
        ),
        (
            {"destinataires": f"{MOBILE},{OTHER_MOBILE}"},
            {"max_batch": 1},
            400,
            ["Trop de destinataires"],
        ),
        ({}, {"credit": 0}, 402, ["Crédit insuffisant"]),
        (
            {"destinataires": f"{LANDLINE},06"},
            {"outcomes": [LANDLINE_RULE]},
            400,
            [
                "Destinataire 1 : numéro fixe",
                "Destinataire 2 : numéro invalide",
                "Aucun destinataire valide",
            ],
        ),
    ],
    ids=[
        "no-key",
        "rejected",
        "message",
        "recipients",
        "sender",
        "date",
        "batch",
        "credit",
        "no-valid",
    ],
)
def test_key_api_refusals(
    client: httpx.Client,
    fields: dict[str, str],
    config: dict[str, Any],
    status_code: int,
    errors: list[str],
) -> None:
    configure(client, "acme", **config)

    response = key_send(client, **fields)

    assert response.status_code == status_code
    assert response.json() == {"resultat": 0, "id": None, "erreurs": errors}
    assert submissions(client) == []


def test_key_api_ids_are_known_to_the_legacy_stats(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=0)
    batch_id = key_send(client).json()["id"]

    (recipient,) = stats(client, batch_id)

    assert (recipient["mobile_number"], recipient["status_id"]) == (MOBILE, "3")
    assert recipient["delivered_date"] != ""


def test_a_malformed_key_api_answer_is_not_json(client: httpx.Client) -> None:
    configure(client, "acme", malformed=True)

    response = key_send(client)

    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert len(submissions(client)) == 1


# Edge cases


def test_empty_recipient_items_are_ignored(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=3600)

    batch_id = sent_id(legacy_send(client, recipients=f"{MOBILE},, {OTHER_MOBILE},"))

    assert [r["mobile_number"] for r in stats(client, batch_id)] == [MOBILE, OTHER_MOBILE]


def test_sms_sent_counts_every_part_of_every_recipient(client: httpx.Client) -> None:
    configure(client, "acme", outcomes=[{"pattern": "02$", "outcome": "invalid"}])

    root = xml(
        legacy_send(
            client,
            text="€" * 90,
            recipients=f"{MOBILE},{OTHER_MOBILE},33639980003",
            longmessageallowed="1",
        )
    )

    assert root.findtext("message/sms_sent") == "4"


def test_a_lost_answer_leaves_the_send_readable_in_the_stats(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "drop_answer"})
    with pytest.raises(httpx.TransportError):
        legacy_send(client)
    configure(client, "acme", outage={"mode": "none"})

    (recorded,) = submissions(client)

    assert len(stats(client, recorded["batch_id"])) == 1


def test_a_send_the_client_gave_up_on_is_still_processed(
    client: httpx.Client, simulator_url: str
) -> None:
    configure(client, "acme", latency_ms=300)

    with (
        httpx.Client(base_url=simulator_url, timeout=0.05) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        legacy_send(impatient)

    deadline = time.monotonic() + 5
    while not submissions(client) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(submissions(client)) == 1
