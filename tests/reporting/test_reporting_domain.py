"""The pure rules of reporting: merging facts, counters, labels, pagination, school years."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from reporting_support import DIFFUSED, rejected, requested, status, submitted

from reporting.domain.facts import rejected_fact, requested_fact, status_fact, submitted_fact
from reporting.domain.presentation import page_window, reason_message, status_line
from reporting.domain.school_year import SchoolYear, month_total_label, school_year_of
from reporting.domain.synthesis import MonthlyCount, build_synthesis
from reporting.domain.tracking import (
    CounterKey,
    CrossSchoolFactError,
    Tab,
    counter_deltas,
    fold,
    merge,
    search_key,
    tab_of,
)
from shared.states import SmsState

# ---- status line -----------------------------------------------------------------------------


def test_status_line_is_in_the_schools_time_zone() -> None:
    line = status_line(SmsState.IN_TRANSIT, DIFFUSED, "Europe/Paris", "719573")
    assert line == "Msg 719573 - en transit - 13/09/2011 à 15:44"


def test_status_line_follows_winter_time() -> None:
    january = datetime(2012, 1, 10, 7, 5, tzinfo=UTC)
    assert status_line(SmsState.DELIVERED, january, "Europe/Paris", "1") == (
        "Msg 1 - délivré - 10/01/2012 à 08:05"
    )


def test_status_line_of_an_overseas_school_uses_its_own_time_zone() -> None:
    line = status_line(SmsState.DELIVERED, DIFFUSED, "Indian/Reunion", "42")
    assert line == "Msg 42 - délivré - 13/09/2011 à 17:44"


def test_status_line_without_operator_message_id_leaves_out_the_msg_part() -> None:
    assert status_line(SmsState.QUEUED, DIFFUSED, "Europe/Paris", None) == (
        "en attente d'envoi - 13/09/2011 à 15:44"
    )


def test_status_line_says_sent_without_receipt() -> None:
    line = status_line(SmsState.SENT_UNCONFIRMED, DIFFUSED, "Europe/Paris", "9")
    assert line == "Msg 9 - envoyé, sans accusé - 13/09/2011 à 15:44"


# ---- pagination ------------------------------------------------------------------------------


def test_pagination_label_of_a_single_page() -> None:
    window = page_window(1, 50, 9)
    assert (window.first, window.last, window.pages, window.offset) == (1, 9, 1, 0)
    assert window.label == "Enregistrement(s) 1 à 9, sur 9 trouvé(s)"


def test_pagination_label_of_a_middle_page() -> None:
    window = page_window(2, 50, 120)
    assert (window.first, window.last, window.pages, window.offset) == (51, 100, 3, 50)
    assert window.label == "Enregistrement(s) 51 à 100, sur 120 trouvé(s)"


def test_pagination_label_of_the_last_partial_page() -> None:
    assert page_window(3, 50, 120).label == "Enregistrement(s) 101 à 120, sur 120 trouvé(s)"


def test_pagination_of_nothing_found() -> None:
    window = page_window(1, 50, 0)
    assert (window.first, window.last, window.pages) == (0, 0, 1)
    assert window.label == "Aucun enregistrement trouvé"


def test_pagination_past_the_last_page_shows_nothing_but_says_how_many_exist() -> None:
    window = page_window(4, 50, 120)
    assert (window.first, window.last) == (0, 0)
    assert window.label == "Aucun enregistrement sur la page 4, sur 120 trouvé(s)"


@pytest.mark.parametrize(("page", "size", "total"), [(0, 50, 1), (1, 0, 1), (1, 50, -1)])
def test_pagination_refuses_impossible_windows(page: int, size: int, total: int) -> None:
    with pytest.raises(ValueError, match="page"):
        page_window(page, size, total)


# ---- school years ----------------------------------------------------------------------------


def test_school_year_runs_from_september_to_august_by_default() -> None:
    year = SchoolYear(2011)
    assert year.months()[0] == date(2011, 9, 1)
    assert year.months()[-1] == date(2012, 8, 1)
    assert len(year.months()) == 12
    assert (year.first_month, year.end) == (date(2011, 9, 1), date(2012, 9, 1))
    assert year.label == "2011-2012"


def test_school_year_of_a_southern_school_starts_in_its_own_month() -> None:
    year = SchoolYear(2012, start_month=2)
    assert year.months()[0] == date(2012, 2, 1)
    assert year.months()[-1] == date(2013, 1, 1)
    assert year.label == "2012-2013"


def test_school_year_starting_in_january_is_the_calendar_year() -> None:
    year = SchoolYear(2012, start_month=1)
    assert year.months() == [date(2012, m, 1) for m in range(1, 13)]
    assert year.label == "2012"


@pytest.mark.parametrize(
    ("day", "start", "expected"),
    [
        (date(2011, 9, 1), 9, 2011),
        (date(2011, 8, 31), 9, 2010),
        (date(2012, 1, 15), 9, 2011),
        (date(2012, 1, 15), 1, 2012),
        (date(2012, 1, 15), 2, 2011),
    ],
)
def test_the_school_year_a_day_belongs_to(day: date, start: int, expected: int) -> None:
    assert school_year_of(day, start) == expected


def test_month_totals_are_labelled_in_french() -> None:
    assert month_total_label(date(2011, 9, 1)) == "Total septembre"
    assert month_total_label(date(2012, 2, 1)) == "Total février"
    assert month_total_label(date(2012, 8, 1)) == "Total août"


def test_synthesis_sums_months_and_the_year_and_leaves_out_other_years() -> None:
    year = SchoolYear(2011)
    counts = [
        MonthlyCount(date(2011, 9, 1), "SMS1", "SMS", 40, 62),
        MonthlyCount(date(2011, 9, 1), "SMS2", "SMS relance", 1, 3),
        MonthlyCount(date(2011, 10, 1), "SMS1", "SMS", 5, 5),
        MonthlyCount(date(2012, 9, 1), "SMS1", "SMS", 7, 7),  # the next school year
    ]
    s = build_synthesis(year, counts)
    assert [(r.label, r.month_label, r.delivered, r.total) for r in s.rows] == [
        ("SMS", "09/2011", 40, 62),
        ("SMS relance", "09/2011", 1, 3),
        ("SMS", "10/2011", 5, 5),
    ]
    assert [(m.label, m.month_key, m.delivered, m.total) for m in s.months] == [
        ("Total septembre", "2011-09", 41, 65),
        ("Total octobre", "2011-10", 5, 5),
    ]
    assert (s.year.label, s.year.delivered, s.year.total) == ("Total Annuel", 46, 70)


# ---- merging facts ---------------------------------------------------------------------------


def test_request_puts_a_new_sms_in_queue() -> None:
    row = merge(None, requested_fact(requested()))
    assert row.state is SmsState.QUEUED and row.tab is Tab.IN_PROGRESS
    assert row.state_changed_at == DIFFUSED
    assert row.diffusion is not None and row.diffusion.pupil_name == "MARTIN Lucas"


def test_status_before_request_keeps_the_state_and_the_request_fills_the_rest() -> None:
    sms_id = uuid4()
    early = merge(None, status_fact(status(sms_id, "delivered")))
    assert early.diffusion is None and early.contribution is None
    row = merge(early, requested_fact(requested(sms_id)))
    assert row.state is SmsState.DELIVERED
    assert row.diffusion is not None and row.diffusion.event_label.startswith("Absence")
    assert row.contribution is not None and row.contribution.delivered == 1


def test_the_same_row_whatever_the_order_of_the_facts() -> None:
    sms_id = uuid4()
    facts = [
        requested_fact(requested(sms_id)),
        submitted_fact(submitted(sms_id)),
        status_fact(status(sms_id, "carrier_accepted", changed_at=DIFFUSED + timedelta(minutes=1))),
        status_fact(status(sms_id, "delivered", operator_code="DELIVRD")),
    ]
    rows = set()
    for order in itertools.permutations(facts):
        row = None
        for fact in order:
            row = merge(row, fact)
        rows.add(row)
    assert len(rows) == 1
    [row] = rows
    assert row.state is SmsState.DELIVERED and row.operator_code == "DELIVRD"
    assert row.provider_message_id == "719573" and row.provider_code == "smsfrance"


def test_replaying_a_fact_changes_nothing() -> None:
    sms_id = uuid4()
    row = fold(None, [requested_fact(requested(sms_id)), submitted_fact(submitted(sms_id))])
    assert merge(row, submitted_fact(submitted(sms_id))) == row
    assert merge(row, requested_fact(requested(sms_id))) == row


def test_delivered_stays_delivered_when_a_late_own_verdict_comes() -> None:
    sms_id = uuid4()
    row = fold(None, [requested_fact(requested(sms_id)), status_fact(status(sms_id, "delivered"))])
    late = status_fact(
        status(
            sms_id,
            "undelivered",
            own_verdict=True,
            reason_code="expired",
            changed_at=DIFFUSED + timedelta(days=2),
        )
    )
    assert merge(row, late) == row


def test_an_operator_answer_replaces_our_expiry() -> None:
    sms_id = uuid4()
    expired = status(sms_id, "undelivered", own_verdict=True, reason_code="expired")
    row = fold(None, [requested_fact(requested(sms_id)), status_fact(expired)])
    assert row.own_verdict and row.reason_code == "expired"
    answer = status(sms_id, "delivered", changed_at=DIFFUSED + timedelta(days=1))
    row = merge(row, status_fact(answer))
    assert row.state is SmsState.DELIVERED and not row.own_verdict and row.reason_code is None


def test_the_first_operator_final_answer_wins() -> None:
    sms_id = uuid4()
    row = fold(
        None, [requested_fact(requested(sms_id)), status_fact(status(sms_id, "undelivered"))]
    )
    later = status(sms_id, "delivered", changed_at=DIFFUSED + timedelta(hours=1))
    assert merge(row, status_fact(later)).state is SmsState.UNDELIVERED


def test_a_rejection_told_twice_keeps_the_code_and_the_french_message() -> None:
    sms_id = uuid4()
    by_status = status_fact(status(sms_id, "invalid", reason_code="invalid_number"))
    by_dispatcher = rejected_fact(rejected(sms_id))
    for first, second in ((by_status, by_dispatcher), (by_dispatcher, by_status)):
        row = merge(merge(None, first), second)
        assert row.state is SmsState.INVALID and row.reason_code == "invalid_number"
        assert row.reason_message is not None and "numéro" in row.reason_message


def test_a_fact_of_another_school_about_a_known_sms_is_refused() -> None:
    sms_id = uuid4()
    row = merge(None, requested_fact(requested(sms_id)))
    with pytest.raises(CrossSchoolFactError):
        merge(row, status_fact(status(sms_id, "delivered", uai="0750002B")))


def test_month_of_diffusion_is_taken_in_the_schools_time_zone() -> None:
    # 30/09 at 22:30 UTC is already 1 October in Paris.
    late = datetime(2011, 9, 30, 22, 30, tzinfo=UTC)
    row = merge(None, requested_fact(requested(diffused_at=late)))
    assert row.contribution is not None
    assert row.contribution.key.month == date(2011, 10, 1)


# ---- counters --------------------------------------------------------------------------------


def test_counter_deltas_count_an_sms_once_and_its_delivery_once() -> None:
    sms_id = uuid4()
    queued = merge(None, requested_fact(requested(sms_id)))
    in_transit = merge(queued, submitted_fact(submitted(sms_id)))
    delivered = merge(in_transit, status_fact(status(sms_id, "delivered")))
    key = CounterKey("0750001A", date(2011, 9, 1), "SMS1")
    assert [(d.key, d.total, d.delivered) for d in counter_deltas([(None, queued)])] == [
        (key, 1, 0)
    ]
    assert counter_deltas([(queued, in_transit)]) == []
    assert [(d.total, d.delivered) for d in counter_deltas([(in_transit, delivered)])] == [(0, 1)]


def test_counter_deltas_are_sorted_by_key() -> None:
    rows = [
        merge(None, requested_fact(requested(uai=uai, action_code=code)))
        for uai, code in [("0750002B", "A"), ("0750001A", "B"), ("0750001A", "A")]
    ]
    keys = [d.key for d in counter_deltas((None, r) for r in rows)]
    assert keys == sorted(keys) and len(keys) == 3


# ---- small rules -----------------------------------------------------------------------------


def test_search_key_ignores_case_and_accents() -> None:
    assert search_key("ÉLOÏSE Lefèvre") == "eloise lefevre"


def test_every_reported_state_belongs_to_exactly_one_tab() -> None:
    assert tab_of(SmsState.UNCONFIRMED) is Tab.IN_PROGRESS
    assert tab_of(SmsState.SENT_UNCONFIRMED) is Tab.IN_PROGRESS
    assert tab_of(SmsState.DELIVERED) is Tab.DELIVERED
    assert tab_of(SmsState.FAILED) is Tab.INVALID_OR_UNDELIVERED
    with pytest.raises(ValueError, match="never reported"):
        tab_of(SmsState.PENDING)


def test_reason_message_prefers_the_message_that_came_with_the_rejection() -> None:
    assert reason_message("invalid_number", "Texte du dispatcher") == "Texte du dispatcher"
    assert reason_message("expired", None) is not None
    assert reason_message("unknown_code", None) is None
    assert reason_message(None, None) is None
