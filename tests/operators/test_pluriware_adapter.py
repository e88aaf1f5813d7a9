"""PLURIWARE's XML API through `PluriwareAdapter`, against the simulator's dialect over HTTP."""

from __future__ import annotations

import pytest
from operator_support import SLOW_MS, rule, sms

from shared.operators.base import (
    OutcomeUnknownError,
    PermanentOperatorError,
    TransientOperatorError,
)
from shared.operators.pluriware import PluriwareAdapter
from shared.states import SmsState

DIALECT = "pluriware"


async def test_a_batch_is_one_document_and_each_recipient_gets_its_own_message_id(
    operator, http
) -> None:
    adapter = PluriwareAdapter(http.client)
    long_text = "Absence de Léo. " * 12  # 192 GSM-7 characters: two parts
    results = await adapter.send_batch(operator.account(DIALECT), [sms(1), sms(2, text=long_text)])

    assert [r.client_reference for r in results] == ["ref-1", "ref-2"]
    assert {r.state for r in results} == {SmsState.IN_TRANSIT}
    assert [r.segments for r in results] == [1, 2]
    received = await operator.submissions()
    assert [s["message_id"] for s in received] == [r.provider_message_id for r in results]
    assert [s["received"] for s in received] == [
        {"to": "+33639980001", "txt": "Absence de Léo ce matin.", "from": "CLG MOULIN"},
        {"to": "+33639980002", "txt": long_text, "from": "CLG MOULIN"},
    ]
    assert http.paths == {"/pluriware/xmlapi.php": 1}


async def test_a_text_with_xml_markup_and_a_cdata_end_arrives_unchanged(operator, http) -> None:
    text = "Léo <absent> & Zoé ]]> fin"
    await PluriwareAdapter(http.client).send_batch(operator.account(DIALECT), [sms(text=text)])

    [received] = await operator.submissions()
    assert received["received"]["txt"] == text


async def test_wrong_password_is_refused_credentials_and_nothing_is_sent(operator, http) -> None:
    with pytest.raises(PermanentOperatorError) as refused:
        await PluriwareAdapter(http.client).send_batch(
            operator.account(DIALECT, password="not-it"), [sms(1), sms(2)]
        )

    assert refused.value.reason_code == "bad_credentials"
    assert await operator.submissions() == []


async def test_bad_and_landline_numbers_are_invalid_while_the_others_are_sent(
    operator, http
) -> None:
    await operator.configure(
        outcomes=[rule("+33639980002", "invalid"), rule("+33139980003", "landline")]
    )
    results = await PluriwareAdapter(http.client).send_batch(
        operator.account(DIALECT), [sms(1), sms(2), sms(3, to="+33139980003")]
    )

    assert [(r.state, r.reason_code, r.operator_code) for r in results] == [
        (SmsState.IN_TRANSIT, None, "accepted"),
        (SmsState.INVALID, "invalid_number", "NUMBER"),
        (SmsState.INVALID, "invalid_number", "LANDLINE"),
    ]
    assert [s["to"] for s in await operator.submissions()] == ["+33639980001"]


async def test_no_credit_refuses_the_whole_batch(operator, http) -> None:
    await operator.configure(credit=1)
    with pytest.raises(PermanentOperatorError) as refused:
        await PluriwareAdapter(http.client).send_batch(operator.account(DIALECT), [sms(1), sms(2)])

    assert refused.value.reason_code == "no_credit"
    assert await operator.submissions() == []


async def test_an_unavailable_service_is_a_passing_failure_with_its_retry_delay(
    operator, http
) -> None:
    await operator.configure(outage={"mode": "503", "retry_after_s": 7})
    with pytest.raises(TransientOperatorError) as unavailable:
        await PluriwareAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert unavailable.value.retry_after_s == 7
    assert unavailable.value.reason_code == "operator_unreachable"


async def test_no_answer_in_time_after_sending_leaves_the_outcome_unknown(operator, http) -> None:
    await operator.configure(latency_ms=SLOW_MS)
    with pytest.raises(OutcomeUnknownError):
        await PluriwareAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    # It was sent all the same, once the operator got to it.
    await operator.eventually_received(1)


async def test_an_answer_cut_short_leaves_the_outcome_unknown_though_the_sms_went(
    operator, http
) -> None:
    await operator.configure(malformed=True)
    with pytest.raises(OutcomeUnknownError):
        await PluriwareAdapter(http.client).send_batch(operator.account(DIALECT), [sms()])

    assert len(await operator.submissions()) == 1


async def test_checking_the_account_sends_nothing_and_accepts_good_credentials(
    operator, http
) -> None:
    check = await PluriwareAdapter(http.client).check_credentials(operator.account(DIALECT))

    assert check.credit_remaining is None
    assert check.detail is not None and "Identifiants acceptés" in check.detail
    assert await operator.submissions() == []


async def test_checking_the_account_tells_refused_credentials(operator, http) -> None:
    await operator.configure(reject_credentials=True)
    with pytest.raises(PermanentOperatorError) as refused:
        await PluriwareAdapter(http.client).check_credentials(operator.account(DIALECT))

    assert refused.value.reason_code == "bad_credentials"


async def test_checking_the_account_without_an_answer_in_time_is_told_apart(operator, http) -> None:
    await operator.configure(latency_ms=SLOW_MS)

    with pytest.raises(OutcomeUnknownError):
        await PluriwareAdapter(http.client).check_credentials(operator.account(DIALECT))


async def test_checking_the_account_of_an_unavailable_service_is_a_passing_failure(
    operator, http
) -> None:
    await operator.configure(outage={"mode": "503", "retry_after_s": 1})

    with pytest.raises(TransientOperatorError):
        await PluriwareAdapter(http.client).check_credentials(operator.account(DIALECT))
