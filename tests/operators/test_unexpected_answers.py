"""Answers the simulator never gives but a real operator might: the adapters neither guess nor
resend. Each test scripts one answer with a fake transport."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from operator_support import sms

from shared.operators.base import (
    AccountConfig,
    OutcomeUnknownError,
    PermanentOperatorError,
    TransientOperatorError,
)
from shared.operators.digitaleo import DigitaleoAdapter
from shared.operators.envoyersmspro import EnvoyerSmsProAdapter
from shared.operators.pluriware import PluriwareAdapter
from shared.states import SmsState

XML = {"content-type": "text/xml; charset=utf-8"}


def account(dialect: str) -> AccountConfig:
    return AccountConfig(
        uai="0750001A",
        provider_code=dialect.upper(),
        dialect=dialect,
        base_url=f"https://operator.test/{dialect}",
        key="login",
        password="secret",
    )


def client(answer: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_pluriware_results_that_do_not_match_the_messages_leave_the_outcome_unknown() -> None:
    body = "<pluriAPI><sendMsg><to>+33639980001</to><msgId>P-1</msgId></sendMsg></pluriAPI>"
    async with client(lambda _: httpx.Response(200, text=body, headers=XML)) as http:
        with pytest.raises(OutcomeUnknownError):
            await PluriwareAdapter(http).send_batch(account("pluriware"), [sms(1), sms(2)])


async def test_pluriware_unknown_error_of_one_message_fails_that_message_only() -> None:
    body = (
        "<pluriAPI><sendMsg><msgId>P-1</msgId><nbSms>1</nbSms></sendMsg>"
        "<sendMsg><err>BLACKLIST</err><desc>Numéro en liste noire</desc></sendMsg></pluriAPI>"
    )
    async with client(lambda _: httpx.Response(200, text=body, headers=XML)) as http:
        results = await PluriwareAdapter(http).send_batch(account("pluriware"), [sms(1), sms(2)])

    assert [(r.state, r.reason_code, r.operator_code) for r in results] == [
        (SmsState.IN_TRANSIT, None, "accepted"),
        (SmsState.FAILED, "operator_refused", "BLACKLIST"),
    ]


async def test_pluriware_unknown_error_of_the_whole_request_is_a_refusal() -> None:
    body = "<pluriAPI><err>MAINTENANCE</err><desc>Compte suspendu</desc></pluriAPI>"
    async with client(lambda _: httpx.Response(200, text=body, headers=XML)) as http:
        with pytest.raises(PermanentOperatorError) as refused:
            await PluriwareAdapter(http).send_batch(account("pluriware"), [sms()])

    assert refused.value.reason_code == "operator_refused"


async def test_pluriware_refuses_to_read_xml_entities_that_expand() -> None:
    body = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]>'
        "<pluriAPI><sendMsg><msgId>&a;</msgId></sendMsg></pluriAPI>"
    )
    async with client(lambda _: httpx.Response(200, text=body, headers=XML)) as http:
        with pytest.raises(OutcomeUnknownError):
            await PluriwareAdapter(http).send_batch(account("pluriware"), [sms()])


async def test_envoyer_sms_pro_success_without_a_message_id_leaves_the_outcome_unknown() -> None:
    body = "<response><status>success</status><message><sms_sent>1</sms_sent></message></response>"
    async with client(lambda _: httpx.Response(200, text=body, headers=XML)) as http:
        with pytest.raises(OutcomeUnknownError):
            await EnvoyerSmsProAdapter(http).send_batch(account("envoyersmspro"), [sms()])


async def test_envoyer_sms_pro_status_it_does_not_know_is_asked_again_not_guessed() -> None:
    body = (
        "<response><status>success</status><message><recipient><mobile_number>33639980001"
        "</mobile_number><status_id>42</status_id></recipient></message></response>"
    )
    async with client(lambda _: httpx.Response(200, text=body, headers=XML)) as http:
        reports = await EnvoyerSmsProAdapter(http).fetch_statuses(
            account("envoyersmspro"), ["ESP-1"]
        )

    assert reports == []


async def test_digitaleo_token_without_lifetime_is_kept_a_short_while() -> None:
    tokens = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal tokens
        if request.url.path.endswith("/token"):
            tokens += 1
            return httpx.Response(200, json={"access_token": f"t{tokens}"})
        contact = {"recipient": "+33639980001", "id": "D-1", "status": "accepted", "sms": 1}
        return httpx.Response(200, json={"messages": [contact]})

    now = [0.0]
    async with client(answer) as http:
        adapter = DigitaleoAdapter(http, clock=lambda: now[0])
        await adapter.send_batch(account("digitaleo"), [sms(1)])
        now[0] = 200.0
        await adapter.send_batch(account("digitaleo"), [sms(2)])
        assert tokens == 1
        now[0] = 300.0
        await adapter.send_batch(account("digitaleo"), [sms(3)])

    assert tokens == 2


async def test_digitaleo_option_1_that_is_not_an_address_is_refused_before_any_call() -> None:
    calls = 0

    def answer(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(500)

    config = AccountConfig(**{**account("digitaleo").__dict__, "option1": "oauth.example"})
    async with client(answer) as http:
        with pytest.raises(PermanentOperatorError):
            await DigitaleoAdapter(http).send_batch(config, [sms()])

    assert calls == 0


async def test_a_number_quoted_in_an_operators_error_is_not_kept() -> None:
    body = {"resultat": 0, "id": None, "erreurs": ["Numéro 33639980001 sur liste rouge"]}
    key_api = AccountConfig(**{**account("envoyersmspro").__dict__, "option1": "cle"})
    async with client(lambda _: httpx.Response(400, json=body)) as http:
        [result] = await EnvoyerSmsProAdapter(http).send_batch(key_api, [sms()])

    assert result.state is SmsState.FAILED
    assert result.operator_code == "http:400"
    legacy = (
        "<response><status>error</status><error><error_message>Blocked 33639980001"
        "</error_message></error></response>"
    )
    async with client(lambda _: httpx.Response(400, text=legacy, headers=XML)) as http:
        [result] = await EnvoyerSmsProAdapter(http).send_batch(account("envoyersmspro"), [sms()])

    assert result.operator_code == "Blocked …"


async def test_a_base_url_the_client_cannot_use_is_unreachable_not_unknown() -> None:
    config = AccountConfig(**{**account("pluriware").__dict__, "base_url": "ftp://operator.test"})
    async with httpx.AsyncClient() as http:
        with pytest.raises(TransientOperatorError):
            await PluriwareAdapter(http).send_batch(config, [sms()])
