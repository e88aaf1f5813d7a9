"""The simulator speaking PLURIWARE over real HTTP: ``xmlapi.php`` and the older ``httpapi.php``."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError

import httpx
import pytest
from defusedxml import ElementTree

NUMBER = "+33639980001"
OTHER_NUMBER = "+33639980002"
LANDLINE = "+33139980003"
TEXT = "Absence de Léo ce matin."


def document(
    *messages: str, login: str = "acme", password: str = "pw", root: str = "pluriAPI"
) -> str:
    return (
        f"<{root}><login>{login}</login><password>{password}</password>{''.join(messages)}</{root}>"
    )


def send_msg(to: str = NUMBER, txt: str = TEXT, sender: str | None = None) -> str:
    from_part = f"<from>{sender}</from>" if sender is not None else ""
    return f"<sendMsg><to>{to}</to><txt><![CDATA[{txt}]]></txt>{from_part}</sendMsg>"


def post_xml(client: httpx.Client, data: str) -> httpx.Response:
    return client.post("/pluriware/xmlapi.php", data={"data": data})


def reply(response: httpx.Response) -> Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.text)
    assert root.tag == "pluriAPI"
    return root


def whole_error(response: httpx.Response) -> tuple[str | None, str | None]:
    root = reply(response)
    assert root.findall("sendMsg") == []
    return root.findtext("err"), root.findtext("desc")


def results(response: httpx.Response) -> list[dict[str, str | None]]:
    root = reply(response)
    assert root.find("err") is None
    return [{child.tag: child.text for child in element} for element in root.findall("sendMsg")]


def configure(client: httpx.Client, account: str, **config: Any) -> None:
    client.put(f"/_control/accounts/{account}", json=config).raise_for_status()


def submissions(client: httpx.Client) -> list[dict[str, Any]]:
    return list(client.get("/_control/submissions").json())


def http_api(client: httpx.Client, **fields: str) -> httpx.Response:
    form = {"cmd": "sendsms", "user": "acme", "pass": "pw", "txt": TEXT, "to": "33639980001"}
    return client.post("/pluriware/httpapi.php", data={**form, **fields})


# xmlapi.php


def test_each_send_msg_gets_a_message_id_and_its_parts(client: httpx.Client) -> None:
    response = post_xml(
        client, document(send_msg(NUMBER, sender="COLLEGE X"), send_msg(OTHER_NUMBER, "a" * 161))
    )

    first, second = results(response)
    assert first["to"] == NUMBER and first["nbSms"] == "1"
    assert second["to"] == OTHER_NUMBER and second["nbSms"] == "2"
    assert first["msgId"] != second["msgId"]
    assert all(str(r["msgId"]).startswith("SIM-") for r in (first, second))


def test_submissions_show_the_fields_each_send_msg_carried(client: httpx.Client) -> None:
    post_xml(client, document(send_msg(NUMBER, sender="COLLEGE X"), send_msg(OTHER_NUMBER)))

    first, second = submissions(client)
    assert (first["dialect"], first["endpoint"]) == ("pluriware", "/pluriware/xmlapi.php")
    assert first["received"] == {"to": NUMBER, "txt": TEXT, "from": "COLLEGE X"}
    assert (first["account"], first["to"], first["text"], first["sender"]) == (
        "acme",
        NUMBER,
        TEXT,
        "COLLEGE X",
    )
    assert second["received"] == {"to": OTHER_NUMBER, "txt": TEXT, "from": None}
    assert second["sender"] is None and second["client_ref"] is None


def test_refused_recipients_carry_err_and_desc_while_others_are_sent(
    client: httpx.Client,
) -> None:
    configure(client, "acme", outcomes=[{"pattern": r"^\+331", "outcome": "landline"}])

    response = post_xml(
        client, document(send_msg(LANDLINE), send_msg("0639980001"), send_msg(NUMBER))
    )

    landline, local, sent = results(response)
    assert (landline["err"], landline["desc"]) == (
        "LANDLINE",
        "Numéro fixe : ce numéro ne peut pas recevoir de SMS",
    )
    assert (local["err"], local["desc"]) == ("NUMBER", "Numéro invalide")
    assert "msgId" not in landline and "msgId" not in local
    assert "err" not in sent
    assert [s["to"] for s in submissions(client)] == [NUMBER]


def test_an_invalid_outcome_rule_refuses_the_number(client: httpx.Client) -> None:
    configure(client, "acme", outcomes=[{"pattern": "01$", "outcome": "invalid"}])

    (result,) = results(post_xml(client, document(send_msg(NUMBER))))

    assert result["err"] == "NUMBER"


def test_an_empty_text_refuses_that_recipient(client: httpx.Client) -> None:
    response = post_xml(client, document(send_msg(NUMBER, ""), send_msg(OTHER_NUMBER)))

    empty, sent = results(response)
    assert (empty["err"], empty["desc"]) == ("TEXT", "Texte du message vide")
    assert "msgId" in sent


@pytest.mark.parametrize(
    "config", [{"password": "s3cret"}, {"reject_credentials": True}], ids=["password", "rejected"]
)
def test_refused_credentials_fail_the_whole_request(
    client: httpx.Client, config: dict[str, Any]
) -> None:
    configure(client, "acme", **config)

    response = post_xml(client, document(send_msg(), password="pw"))

    assert whole_error(response) == ("AUTH", "Identifiant ou mot de passe incorrect")
    assert submissions(client) == []


def test_the_configured_password_is_accepted(client: httpx.Client) -> None:
    configure(client, "acme", password="s3cret")

    assert len(results(post_xml(client, document(send_msg(), password="s3cret")))) == 1


def test_a_missing_login_is_refused_credentials(client: httpx.Client) -> None:
    response = post_xml(client, f"<pluriAPI>{send_msg()}</pluriAPI>")

    assert whole_error(response)[0] == "AUTH"


def test_no_credit_fails_the_whole_request(client: httpx.Client) -> None:
    configure(client, "acme", credit=2)

    response = post_xml(client, document(send_msg(NUMBER), send_msg(OTHER_NUMBER, "a" * 161)))

    assert whole_error(response) == ("CREDIT", "Crédit SMS insuffisant")
    assert submissions(client) == []


@pytest.mark.parametrize(
    "data",
    [
        "<pluriAPI><login>acme</login>",
        document(send_msg(), root="otherAPI"),
        document(),
        '<!DOCTYPE x [<!ENTITY e "boom">]><pluriAPI><login>&e;</login></pluriAPI>',
    ],
    ids=["unclosed", "wrong-root", "no-sendmsg", "entity"],
)
def test_an_unreadable_document_is_an_xml_error(client: httpx.Client, data: str) -> None:
    assert whole_error(post_xml(client, data)) == ("XML", "Document XML illisible")


def test_a_missing_data_field_is_an_xml_error(client: httpx.Client) -> None:
    response = client.post("/pluriware/xmlapi.php", data={"xml": document(send_msg())})

    assert whole_error(response)[0] == "XML"


def test_more_send_msg_than_the_account_maximum_is_refused(client: httpx.Client) -> None:
    configure(client, "acme", max_batch=1)

    response = post_xml(client, document(send_msg(NUMBER), send_msg(OTHER_NUMBER)))

    assert whole_error(response) == ("BATCH", "Trop de messages dans la requête (1 au plus)")
    assert submissions(client) == []


def test_sent_messages_follow_the_native_lifecycle(client: httpx.Client) -> None:
    configure(
        client, "acme", delivery_delay_s=0, outcomes=[{"pattern": "02$", "outcome": "undelivered"}]
    )
    first, second = results(post_xml(client, document(send_msg(NUMBER), send_msg(OTHER_NUMBER))))

    statuses = client.post(
        "/api/v1/statuses",
        auth=("acme", "pw"),
        json={"message_ids": [first["msgId"], second["msgId"]]},
    ).json()["statuses"]

    assert [(s["status"], s["code"]) for s in statuses] == [
        ("delivered", "DELIVRD"),
        ("undelivered", "UNDELIV"),
    ]


def test_outage_answers_in_plain_text_with_retry_after(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "503", "retry_after_s": 9})

    response = post_xml(client, document(send_msg()))

    assert response.status_code == 503
    assert response.text == "Service Unavailable"
    assert response.headers["retry-after"] == "9"
    assert submissions(client) == []


def test_a_malformed_answer_is_cut_but_the_send_is_recorded(client: httpx.Client) -> None:
    configure(client, "acme", malformed=True)
    configure(client, "sane")
    full = post_xml(client, document(send_msg(), login="sane")).content

    response = post_xml(client, document(send_msg()))

    assert response.status_code == 200
    assert len(response.content) == len(full) // 2
    with pytest.raises(ParseError):
        ElementTree.fromstring(response.text)
    assert [s["account"] for s in submissions(client)] == ["sane", "acme"]


# httpapi.php


def test_http_api_answers_ok_and_the_message_id(client: httpx.Client) -> None:
    response = http_api(client, **{"from": "COLLEGE X"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    status, message_id = response.text.split(" ")
    assert status == "OK"
    (recorded,) = submissions(client)
    assert recorded["message_id"] == message_id
    assert (recorded["to"], recorded["sender"]) == (NUMBER, "COLLEGE X")
    assert recorded["received"] == {
        "cmd": "sendsms",
        "to": "33639980001",
        "txt": TEXT,
        "from": "COLLEGE X",
    }


@pytest.mark.parametrize(
    ("fields", "config", "line"),
    [
        ({"pass": "wrong"}, {"password": "pw"}, "ERR AUTH Identifiant ou mot de passe incorrect"),
        ({"cmd": "credits"}, {}, "ERR CMD Commande inconnue"),
        ({"txt": ""}, {}, "ERR TEXT Texte du message vide"),
        ({"to": NUMBER}, {}, "ERR NUMBER Numéro invalide"),
        (
            {"to": "33139980003"},
            {"outcomes": [{"pattern": r"^\+331", "outcome": "landline"}]},
            "ERR LANDLINE Numéro fixe : ce numéro ne peut pas recevoir de SMS",
        ),
        ({}, {"credit": 0}, "ERR CREDIT Crédit SMS insuffisant"),
    ],
    ids=["auth", "cmd", "text", "plus-sign", "landline", "credit"],
)
def test_http_api_failures_are_err_lines(
    client: httpx.Client, fields: dict[str, str], config: dict[str, Any], line: str
) -> None:
    configure(client, "acme", **config)

    response = http_api(client, **fields)

    assert (response.status_code, response.text) == (200, line)
    assert submissions(client) == []


def test_spaces_around_the_number_are_tolerated_but_recorded(client: httpx.Client) -> None:
    post_xml(client, document(send_msg(f" {NUMBER}\n")))

    (recorded,) = submissions(client)
    assert recorded["to"] == NUMBER
    assert recorded["received"]["to"] == f" {NUMBER}\n"


def test_credentials_are_checked_before_the_messages(client: httpx.Client) -> None:
    configure(client, "acme", password="s3cret")

    refused = post_xml(client, document(password="wrong"))
    accepted = post_xml(client, document(password="s3cret"))

    assert whole_error(refused)[0] == "AUTH"
    assert whole_error(accepted)[0] == "XML"
    assert submissions(client) == []
