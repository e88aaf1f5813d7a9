"""The canonical SMS states and the rule deciding whether a new state replaces the current one."""

from __future__ import annotations

import pytest

from shared.states import (
    DELIVERED,
    DIFFUSED_STATES,
    IN_PROGRESS,
    INVALID_OR_UNDELIVERED,
    SmsState,
    may_replace,
)

S = SmsState
OPERATOR_FINALS = [S.DELIVERED, S.UNDELIVERED, S.INVALID, S.FAILED]
OWN_VERDICTS = [S.UNDELIVERED, S.SENT_UNCONFIRMED]


def test_values_are_the_canonical_machine_values() -> None:
    assert [s.value for s in SmsState] == [
        "pending",
        "deleted",
        "cancelled",
        "queued",
        "in_transit",
        "unconfirmed",
        "carrier_accepted",
        "delivered",
        "undelivered",
        "invalid",
        "failed",
        "sent_unconfirmed",
    ]


def test_ranks_follow_the_lifecycle_order() -> None:
    assert {s: s.rank for s in SmsState} == {
        S.PENDING: 0,
        S.DELETED: 0,
        S.CANCELLED: 0,
        S.QUEUED: 1,
        S.IN_TRANSIT: 2,
        S.UNCONFIRMED: 2,
        S.CARRIER_ACCEPTED: 3,
        S.DELIVERED: 4,
        S.UNDELIVERED: 4,
        S.INVALID: 4,
        S.FAILED: 4,
        S.SENT_UNCONFIRMED: 4,
    }


def test_french_labels_are_those_staff_see() -> None:
    assert {s: s.label_fr for s in SmsState} == {
        S.PENDING: "à diffuser",
        S.DELETED: "supprimé",
        S.CANCELLED: "annulé",
        S.QUEUED: "en attente d'envoi",
        S.IN_TRANSIT: "en transit",
        S.UNCONFIRMED: "à vérifier",
        S.CARRIER_ACCEPTED: "pris en charge",
        S.DELIVERED: "délivré",
        S.UNDELIVERED: "non remis",
        S.INVALID: "invalidé",
        S.FAILED: "échec d'envoi",
        S.SENT_UNCONFIRMED: "envoyé, sans accusé",
    }


def test_final_states_are_the_answered_and_the_never_diffused() -> None:
    assert {s for s in SmsState if s.is_final} == {
        S.DELETED,
        S.CANCELLED,
        S.DELIVERED,
        S.UNDELIVERED,
        S.INVALID,
        S.FAILED,
        S.SENT_UNCONFIRMED,
    }


def test_state_compares_equal_to_its_machine_value() -> None:
    assert S("in_transit") is S.IN_TRANSIT
    assert str(S.IN_TRANSIT) == "in_transit"
    assert f"{S.IN_TRANSIT}" == "in_transit"


def test_report_tabs_group_every_diffused_state_once() -> None:
    tabs = [IN_PROGRESS, DELIVERED, INVALID_OR_UNDELIVERED]
    assert set().union(*tabs) == DIFFUSED_STATES
    assert sum(len(tab) for tab in tabs) == len(DIFFUSED_STATES)
    assert S.SENT_UNCONFIRMED in IN_PROGRESS


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.PENDING, S.QUEUED),
        (S.QUEUED, S.IN_TRANSIT),
        (S.QUEUED, S.UNCONFIRMED),
        (S.IN_TRANSIT, S.CARRIER_ACCEPTED),
        (S.CARRIER_ACCEPTED, S.DELIVERED),
        (S.QUEUED, S.FAILED),
        (S.IN_TRANSIT, S.DELIVERED),
    ],
)
def test_a_state_moves_forward(current: SmsState, new: SmsState) -> None:
    assert may_replace(current, False, new, False)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.CARRIER_ACCEPTED, S.IN_TRANSIT),
        (S.IN_TRANSIT, S.QUEUED),
        (S.UNCONFIRMED, S.QUEUED),
        (S.QUEUED, S.PENDING),
        (S.DELIVERED, S.CARRIER_ACCEPTED),
    ],
)
def test_a_state_never_goes_back(current: SmsState, new: SmsState) -> None:
    assert not may_replace(current, False, new, False)


@pytest.mark.parametrize("state", list(SmsState))
def test_a_state_never_replaces_itself(state: SmsState) -> None:
    assert not may_replace(state, False, state, False)


def test_in_transit_replaces_unconfirmed_when_the_operator_is_found_to_hold_it() -> None:
    assert may_replace(S.UNCONFIRMED, False, S.IN_TRANSIT, False)


def test_unconfirmed_never_replaces_in_transit() -> None:
    assert not may_replace(S.IN_TRANSIT, False, S.UNCONFIRMED, False)


@pytest.mark.parametrize("first", OPERATOR_FINALS)
@pytest.mark.parametrize("second", OPERATOR_FINALS)
def test_first_operator_final_wins(first: SmsState, second: SmsState) -> None:
    assert not may_replace(first, False, second, False)


@pytest.mark.parametrize("verdict", OWN_VERDICTS)
@pytest.mark.parametrize("answer", OPERATOR_FINALS)
def test_own_verdict_gives_way_to_a_later_operator_final(
    verdict: SmsState, answer: SmsState
) -> None:
    assert may_replace(verdict, True, answer, False)


@pytest.mark.parametrize("verdict", OWN_VERDICTS)
@pytest.mark.parametrize("answer", OPERATOR_FINALS)
def test_own_verdict_never_replaces_an_operator_final(verdict: SmsState, answer: SmsState) -> None:
    assert not may_replace(answer, False, verdict, True)


@pytest.mark.parametrize("verdict", OWN_VERDICTS)
@pytest.mark.parametrize("other", OWN_VERDICTS)
def test_own_verdict_does_not_replace_another_own_verdict(
    verdict: SmsState, other: SmsState
) -> None:
    assert not may_replace(verdict, True, other, True)


@pytest.mark.parametrize("late", [S.IN_TRANSIT, S.CARRIER_ACCEPTED, S.QUEUED])
def test_own_verdict_does_not_give_way_to_a_non_final_state(late: SmsState) -> None:
    assert not may_replace(S.UNDELIVERED, True, late, False)


@pytest.mark.parametrize("current", [S.QUEUED, S.IN_TRANSIT, S.UNCONFIRMED, S.CARRIER_ACCEPTED])
@pytest.mark.parametrize("verdict", OWN_VERDICTS)
def test_own_verdict_ends_an_sms_in_progress(current: SmsState, verdict: SmsState) -> None:
    assert may_replace(current, False, verdict, True)


@pytest.mark.parametrize("never_diffused", [S.DELETED, S.CANCELLED])
def test_pending_may_be_deleted_or_cancelled(never_diffused: SmsState) -> None:
    assert may_replace(S.PENDING, False, never_diffused, False)


@pytest.mark.parametrize("terminal", [S.DELETED, S.CANCELLED])
@pytest.mark.parametrize("new", list(SmsState))
@pytest.mark.parametrize("new_is_own", [False, True])
def test_deleted_and_cancelled_are_terminal(
    terminal: SmsState, new: SmsState, new_is_own: bool
) -> None:
    assert not may_replace(terminal, False, new, new_is_own)


@pytest.mark.parametrize("diffused", sorted(DIFFUSED_STATES))
@pytest.mark.parametrize("never_diffused", [S.DELETED, S.CANCELLED])
def test_a_diffused_sms_cannot_be_deleted(diffused: SmsState, never_diffused: SmsState) -> None:
    assert not may_replace(diffused, False, never_diffused, False)
