"""DIGITALEO through `DigitaleoAdapter`: the OAuth2 token (cached, renewed shortly before it
expires, one retry on 401) and the REST send, against the simulator's dialect over HTTP."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from operator_support import KEY, SLOW_MS, rule, sms

from shared.operators.base import (
    OutcomeUnknownError,
    PermanentOperatorError,
    TransientOperatorError,
)
from shared.operators.digitaleo import DigitaleoAdapter
from shared.states import SmsState

DIALECT = "digitaleo"
TOKEN, SEND = "/digitaleo/token", "/digitaleo/rest/sms"


class FrozenClock:
    """The adapter's monotonic clock, moved by the test only."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_send_carries_the_contact_as_json_with_a_bearer_token(operator, http) -> None:
    [result] = await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert result.state is SmsState.IN_TRANSIT
    assert result.provider_message_id is not None
    assert result.segments == 1
    [received] = await operator.submissions()
    assert received["endpoint"] == SEND
    assert received["received"]["text"] == "Absence de Léo ce matin."
    assert json.loads(received["received"]["contacts"]) == [{"recipient": "+33639980001"}]


async def test_one_token_serves_every_send_of_the_account_while_it_is_valid(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)
    account = operator.account(DIALECT)

    for n in (1, 2, 3):
        await adapter.send_batch(account, [sms(n)])

    assert http.paths == {TOKEN: 1, SEND: 3}


async def test_each_account_gets_its_own_token(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)

    await adapter.send_batch(operator.account(DIALECT), [sms(1)])
    await adapter.send_batch(operator.account(DIALECT, key="clg-0750002B"), [sms(2)])

    assert http.paths[TOKEN] == 2
    assert len(await operator.submissions("clg-0750002B")) == 1


async def test_the_token_is_renewed_shortly_before_it_expires(operator, http) -> None:
    clock = FrozenClock()
    adapter = DigitaleoAdapter(http.client, clock=clock, refresh_before_s=60)
    account = operator.account(DIALECT)  # the simulator's tokens live 3600 s
    await adapter.send_batch(account, [sms(1)])

    clock.now += 3600 - 61
    await adapter.send_batch(account, [sms(2)])
    assert http.paths[TOKEN] == 1

    clock.now += 2  # 59 s before expiry
    await adapter.send_batch(account, [sms(3)])
    assert http.paths[TOKEN] == 2


async def test_a_token_refused_as_expired_is_renewed_and_the_send_retried_once(
    operator, http
) -> None:
    await operator.configure(token_lifetime_s=1)
    adapter = DigitaleoAdapter(http.client, clock=FrozenClock())  # believes its token fresh
    account = operator.account(DIALECT)
    await adapter.send_batch(account, [sms(1)])
    await asyncio.sleep(1.2)  # the simulator's token expires

    [result] = await adapter.send_batch(account, [sms(2)])

    assert result.state is SmsState.IN_TRANSIT
    assert http.paths == {TOKEN: 2, SEND: 3}
    assert len(await operator.submissions()) == 2


async def test_a_second_401_is_refused_credentials_without_a_third_try(operator, http) -> None:
    # Every token expires during the send's latency: each try meets "Jeton expiré".
    await operator.configure(token_lifetime_s=1)
    await operator.configure(latency_ms=1100)
    http.client.timeout = httpx.Timeout(5.0)
    with pytest.raises(PermanentOperatorError) as refused:
        await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert refused.value.reason_code == "bad_credentials"
    assert http.paths == {TOKEN: 2, SEND: 2}
    assert await operator.submissions() == []


async def test_a_wrong_client_secret_is_refused_credentials_at_the_token(operator, http) -> None:
    with pytest.raises(PermanentOperatorError) as refused:
        await DigitaleoAdapter(http.client).send_batch(
            operator.account(DIALECT, password="nope"), [sms()]
        )

    assert refused.value.reason_code == "bad_credentials"
    assert http.paths == {TOKEN: 1}


async def test_a_missing_client_id_is_refused_credentials(operator, http) -> None:
    with pytest.raises(PermanentOperatorError) as refused:
        await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT, key=""), [sms()])

    assert refused.value.reason_code == "bad_credentials"


@pytest.mark.parametrize("outcome", ["invalid", "landline"])
async def test_a_number_that_cannot_get_sms_is_invalid(operator, http, outcome) -> None:
    await operator.configure(outcomes=[rule("+33639980001", outcome)])
    [result] = await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert (result.state, result.reason_code) == (SmsState.INVALID, "invalid_number")
    assert result.operator_code in {"invalid_number", "landline"}


async def test_no_credit_is_refused_for_the_account(operator, http) -> None:
    await operator.configure(credit=0)
    with pytest.raises(PermanentOperatorError) as refused:
        await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert refused.value.reason_code == "no_credit"


async def test_an_unavailable_service_is_a_passing_failure(operator, http) -> None:
    await operator.configure(outage={"mode": "503", "retry_after_s": 3})
    with pytest.raises(TransientOperatorError) as unavailable:
        await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert unavailable.value.retry_after_s == 3


async def test_a_send_without_an_answer_in_time_leaves_the_outcome_unknown(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)
    account = operator.account(DIALECT)
    await adapter.send_batch(account, [sms(1)])  # the token, while the operator is quick
    await operator.configure(latency_ms=SLOW_MS)

    with pytest.raises(OutcomeUnknownError):
        await adapter.send_batch(account, [sms(2)])

    # It was sent all the same, once the operator got to it.
    await operator.eventually_received(2)


async def test_a_token_without_an_answer_in_time_is_a_passing_failure(operator, http) -> None:
    await operator.configure(latency_ms=SLOW_MS)

    with pytest.raises(TransientOperatorError):
        await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])
    assert http.paths == {TOKEN: 1}


async def test_a_send_answered_with_cut_json_leaves_the_outcome_unknown(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)
    account = operator.account(DIALECT)
    await adapter.send_batch(account, [sms(1)])
    await operator.configure(malformed=True)

    with pytest.raises(OutcomeUnknownError):
        await adapter.send_batch(account, [sms(2)])
    assert len(await operator.submissions()) == 2


async def test_a_token_answered_with_cut_json_is_a_passing_failure_and_sends_nothing(
    operator, http
) -> None:
    await operator.configure(malformed=True)

    with pytest.raises(TransientOperatorError):
        await DigitaleoAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])
    assert http.paths == {TOKEN: 1}


async def test_option_1_names_another_address_for_the_token(operator, http) -> None:
    # The same simulator under another host name stands for a separate OAuth2 server.
    oauth = operator.url.replace("127.0.0.1", "localhost") + "/digitaleo"
    [result] = await DigitaleoAdapter(http.client).send_batch(
        operator.account(DIALECT, option1=oauth), [sms()]
    )

    assert result.state is SmsState.IN_TRANSIT
    assert http.urls[0] == f"{oauth}/token"
    assert http.urls[1].startswith(operator.url)


async def test_checking_the_account_asks_a_new_token_and_sends_nothing(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)
    account = operator.account(DIALECT)
    await adapter.send_batch(account, [sms()])

    check = await adapter.check_credentials(account)

    assert check.detail is not None and "Identifiants OAuth2 acceptés" in check.detail
    assert http.paths == {TOKEN: 2, SEND: 1}
    assert len(await operator.submissions(KEY)) == 1


async def test_checking_the_account_tells_refused_credentials(operator, http) -> None:
    await operator.configure(reject_credentials=True)

    with pytest.raises(PermanentOperatorError) as refused:
        await DigitaleoAdapter(http.client).check_credentials(operator.account(DIALECT))
    assert refused.value.reason_code == "bad_credentials"


async def test_checking_the_account_without_an_answer_in_time_is_told_apart(operator, http) -> None:
    await operator.configure(latency_ms=SLOW_MS)

    with pytest.raises(OutcomeUnknownError):
        await DigitaleoAdapter(http.client).check_credentials(operator.account(DIALECT))


async def test_sends_at_the_same_time_share_one_token_request(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)
    account = operator.account(DIALECT)

    await asyncio.gather(*(adapter.send_batch(account, [sms(n)]) for n in (1, 2, 3)))

    assert http.paths == {TOKEN: 1, SEND: 3}


async def test_a_new_client_secret_gets_a_new_token(operator, http) -> None:
    adapter = DigitaleoAdapter(http.client)
    await adapter.send_batch(operator.account(DIALECT), [sms(1)])
    await operator.configure(password="rotated-secret")

    [result] = await adapter.send_batch(
        operator.account(DIALECT, password="rotated-secret"), [sms(2)]
    )

    assert result.state is SmsState.IN_TRANSIT
    assert http.paths[TOKEN] == 2
