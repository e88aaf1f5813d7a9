"""Envoyer SMS Pro through `EnvoyerSmsProAdapter`: the legacy API (send, stats, credit) and the
key-based API chosen by option 1, against the simulator's dialect over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from operator_support import SLOW_MS, rule, sms

from shared.operators.base import (
    OutcomeUnknownError,
    PermanentOperatorError,
    TransientOperatorError,
)
from shared.operators.envoyersmspro import EnvoyerSmsProAdapter, uses_key_api
from shared.states import SmsState

DIALECT = "envoyersmspro"


def adapter(http) -> EnvoyerSmsProAdapter:
    return EnvoyerSmsProAdapter(http.client)


# Legacy API: sending


async def test_legacy_send_gives_the_operators_message_id_and_parts(operator, http) -> None:
    long_text = "Absence de Léo. " * 12  # two parts
    [result] = await adapter(http).send_batch(operator.account(DIALECT), [sms(text=long_text)])

    assert result.state is SmsState.IN_TRANSIT
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("ESP-")
    assert result.segments == 2
    [received] = await operator.submissions()
    assert received["batch_id"] == result.provider_message_id
    assert received["received"] == {
        "text": long_text,
        "recipients": "33639980001",
        "sendername": "CLG MOULIN",
        "longmessageallowed": "1",
    }


async def test_legacy_send_with_a_wrong_password_is_refused_credentials(operator, http) -> None:
    with pytest.raises(PermanentOperatorError) as refused:
        await adapter(http).send_batch(operator.account(DIALECT, password="nope"), [sms()])

    assert refused.value.reason_code == "bad_credentials"
    assert await operator.submissions() == []


@pytest.mark.parametrize("outcome", ["invalid", "landline"])
async def test_legacy_send_to_a_number_that_cannot_get_sms_is_invalid(
    operator, http, outcome
) -> None:
    await operator.configure(outcomes=[rule("+33639980001", outcome)])
    [result] = await adapter(http).send_batch(operator.account(DIALECT), [sms()])

    assert (result.state, result.reason_code) == (SmsState.INVALID, "invalid_number")
    assert result.provider_message_id is None
    assert await operator.submissions() == []


async def test_legacy_send_without_credit_is_refused_for_the_account(operator, http) -> None:
    await operator.configure(credit=0)
    with pytest.raises(PermanentOperatorError) as refused:
        await adapter(http).send_batch(operator.account(DIALECT), [sms()])

    assert refused.value.reason_code == "no_credit"


async def test_a_sender_name_the_operator_refuses_fails_that_sms(operator, http) -> None:
    account = operator.account(DIALECT, sender_name="COLLEGE JEAN MOULIN")  # > 11 characters
    [result] = await adapter(http).send_batch(account, [sms()])

    assert (result.state, result.reason_code) == (SmsState.FAILED, "operator_refused")
    assert result.operator_code == "Invalid sender name"


@pytest.mark.parametrize("mode", ["503", "429"])
async def test_an_overloaded_or_unavailable_operator_is_a_passing_failure(
    operator, http, mode
) -> None:
    await operator.configure(outage={"mode": mode, "retry_after_s": 4})
    with pytest.raises(TransientOperatorError) as unavailable:
        await adapter(http).send_batch(operator.account(DIALECT), [sms()])

    assert unavailable.value.retry_after_s == 4
    assert unavailable.value.reason_code == "operator_unreachable"


async def test_legacy_send_without_an_answer_in_time_leaves_the_outcome_unknown(
    operator, http
) -> None:
    await operator.configure(latency_ms=SLOW_MS)
    with pytest.raises(OutcomeUnknownError):
        await adapter(http).send_batch(operator.account(DIALECT), [sms()])

    # It was sent all the same, once the operator got to it.
    await operator.eventually_received(1)


async def test_legacy_send_answered_with_a_cut_xml_leaves_the_outcome_unknown(
    operator, http
) -> None:
    await operator.configure(malformed=True)
    with pytest.raises(OutcomeUnknownError):
        await adapter(http).send_batch(operator.account(DIALECT), [sms()])

    assert len(await operator.submissions()) == 1


async def test_a_dropped_connection_before_any_answer_leaves_a_send_unknown(operator, http) -> None:
    await operator.configure(outage={"mode": "drop_answer"})
    with pytest.raises(OutcomeUnknownError):
        await adapter(http).send_batch(operator.account(DIALECT), [sms()])


# Legacy API: delivery state


async def test_stats_follow_the_sms_until_delivered_with_the_operators_date(operator, http) -> None:
    await operator.configure(delivery_delay_s=0.6)
    account = operator.account(DIALECT)
    [sent] = await adapter(http).send_batch(account, [sms()])
    assert sent.provider_message_id is not None

    seen: list[SmsState] = []
    for _ in range(40):
        [report] = await adapter(http).fetch_statuses(account, [sent.provider_message_id])
        if not seen or seen[-1] is not report.state:
            seen.append(report.state)
        if report.state.is_final:
            break
        await asyncio.sleep(0.1)

    assert seen == [SmsState.IN_TRANSIT, SmsState.CARRIER_ACCEPTED, SmsState.DELIVERED]
    assert report.operator_code == "status_id:3"
    assert report.provider_message_id == sent.provider_message_id
    assert report.changed_at is not None and report.changed_at.tzinfo is UTC
    assert abs(report.changed_at - datetime.now(UTC)).total_seconds() < 60


async def test_stats_tell_an_sms_that_did_not_arrive(operator, http) -> None:
    await operator.configure(delivery_delay_s=0.1, outcomes=[rule("+33639980001", "undelivered")])
    account = operator.account(DIALECT)
    [sent] = await adapter(http).send_batch(account, [sms()])
    await asyncio.sleep(0.3)

    [report] = await adapter(http).fetch_statuses(account, [sent.provider_message_id or ""])

    assert (report.state, report.operator_code) == (SmsState.UNDELIVERED, "status_id:4")


async def test_stats_of_several_sms_come_back_each_under_its_id(operator, http) -> None:
    account = operator.account(DIALECT)
    sent = [
        result for n in (1, 2, 3) for result in await adapter(http).send_batch(account, [sms(n)])
    ]
    ids = [r.provider_message_id or "" for r in sent]

    reports = await adapter(http).fetch_statuses(account, ids)

    assert sorted(r.provider_message_id for r in reports) == sorted(ids)
    assert http.paths["/envoyersmspro/api/message/stats"] == 3


async def test_stats_of_an_id_the_operator_does_not_know_say_nothing(operator, http) -> None:
    reports = await adapter(http).fetch_statuses(operator.account(DIALECT), ["ESP-99999999"])

    assert reports == []


async def test_stats_without_an_answer_in_time_are_a_passing_failure(operator, http) -> None:
    account = operator.account(DIALECT)
    [sent] = await adapter(http).send_batch(account, [sms()])
    await operator.configure(latency_ms=SLOW_MS)

    with pytest.raises(TransientOperatorError):
        await adapter(http).fetch_statuses(account, [sent.provider_message_id or ""])


async def test_stats_answered_with_a_cut_xml_are_a_passing_failure(operator, http) -> None:
    account = operator.account(DIALECT)
    [sent] = await adapter(http).send_batch(account, [sms()])
    await operator.configure(malformed=True)

    with pytest.raises(TransientOperatorError):
        await adapter(http).fetch_statuses(account, [sent.provider_message_id or ""])


async def test_stats_with_refused_credentials_are_a_permanent_failure(operator, http) -> None:
    account = operator.account(DIALECT)
    [sent] = await adapter(http).send_batch(account, [sms()])
    await operator.configure(reject_credentials=True)

    with pytest.raises(PermanentOperatorError) as refused:
        await adapter(http).fetch_statuses(account, [sent.provider_message_id or ""])

    assert refused.value.reason_code == "bad_credentials"


# Legacy API: the account


async def test_checking_the_account_tells_the_credit_left(operator, http) -> None:
    await operator.configure(credit=1234)

    check = await adapter(http).check_credentials(operator.account(DIALECT))

    assert check.credit_remaining == 1234
    assert http.paths == {"/envoyersmspro/api/account/getallaccounts": 1}


async def test_checking_the_account_tells_refused_credentials(operator, http) -> None:
    with pytest.raises(PermanentOperatorError) as refused:
        await adapter(http).check_credentials(operator.account(DIALECT, password="nope"))

    assert refused.value.reason_code == "bad_credentials"


async def test_checking_the_account_without_an_answer_in_time_is_told_apart(operator, http) -> None:
    await operator.configure(latency_ms=SLOW_MS)

    with pytest.raises(OutcomeUnknownError):
        await adapter(http).check_credentials(operator.account(DIALECT))


# The key-based API (option 1 = "cle")


def key_account(operator, **overrides):
    values = {"key": "KEY-0750001A", "option1": "cle"} | overrides
    return operator.account(DIALECT, **values)


@pytest.mark.parametrize(("option1", "key_api"), [("cle", True), (" Clé ", True), (None, False)])
def test_option_1_selects_the_key_based_api(operator, option1, key_api) -> None:
    assert uses_key_api(operator.account(DIALECT, option1=option1)) is key_api


async def test_key_api_send_carries_the_key_and_no_password(operator, http) -> None:
    [result] = await adapter(http).send_batch(key_account(operator), [sms()])

    assert result.state is SmsState.IN_TRANSIT
    assert result.provider_message_id is not None
    [received] = await operator.submissions("KEY-0750001A")
    assert received["endpoint"] == "/envoyersmspro/api/envoyer/sms"
    assert received["received"] == {
        "destinataires": "33639980001",
        "message": "Absence de Léo ce matin.",
        "expediteur": "CLG MOULIN",
        "date": "",
    }
    assert http.paths == {"/envoyersmspro/api/envoyer/sms": 1}


async def test_key_api_with_a_refused_key_is_refused_credentials(operator, http) -> None:
    await operator.configure("KEY-0750001A", reject_credentials=True)
    with pytest.raises(PermanentOperatorError) as refused:
        await adapter(http).send_batch(key_account(operator), [sms()])

    assert refused.value.reason_code == "bad_credentials"


@pytest.mark.parametrize("outcome", ["invalid", "landline"])
async def test_key_api_send_to_a_number_that_cannot_get_sms_is_invalid(
    operator, http, outcome
) -> None:
    await operator.configure("KEY-0750001A", outcomes=[rule("+33639980001", outcome)])
    [result] = await adapter(http).send_batch(key_account(operator), [sms()])

    assert (result.state, result.reason_code) == (SmsState.INVALID, "invalid_number")


async def test_key_api_send_without_credit_is_refused_for_the_account(operator, http) -> None:
    await operator.configure("KEY-0750001A", credit=0)
    with pytest.raises(PermanentOperatorError) as refused:
        await adapter(http).send_batch(key_account(operator), [sms()])

    assert refused.value.reason_code == "no_credit"


async def test_key_api_answer_cut_short_leaves_the_outcome_unknown(operator, http) -> None:
    await operator.configure("KEY-0750001A", malformed=True)
    with pytest.raises(OutcomeUnknownError):
        await adapter(http).send_batch(key_account(operator), [sms()])


async def test_key_api_unavailable_is_a_passing_failure(operator, http) -> None:
    await operator.configure("KEY-0750001A", outage={"mode": "503", "retry_after_s": 2})
    with pytest.raises(TransientOperatorError):
        await adapter(http).send_batch(key_account(operator), [sms()])


async def test_key_api_sms_end_sent_without_acknowledgement_without_asking(operator, http) -> None:
    account = key_account(operator)
    [sent] = await adapter(http).send_batch(account, [sms()])

    [report] = await adapter(http).fetch_statuses(account, [sent.provider_message_id or ""])

    assert report.state is SmsState.SENT_UNCONFIRMED
    assert http.paths["/envoyersmspro/api/message/stats"] == 0


async def test_key_api_account_check_says_it_cannot_check_without_sending(operator, http) -> None:
    check = await adapter(http).check_credentials(key_account(operator))

    assert check.credit_remaining is None
    assert check.detail is not None and "premier envoi" in check.detail
    assert sum(http.paths.values()) == 0
