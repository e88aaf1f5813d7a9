"""The pure rules of receipts: who may push them, and what several parts of one SMS add up to."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.operators.base import StatusReport
from shared.states import SmsState
from status_poller.domain.receipts import (
    combine_parts,
    fact_of,
    parse_networks,
    secret_matches,
    signature_valid,
    source_allowed,
)

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def part(state: SmsState, seconds: int = 0, pmi: str = "M1") -> StatusReport:
    return StatusReport(pmi, state, state.value.upper(), T0 + timedelta(seconds=seconds))


def test_a_single_report_per_message_is_kept_as_it_is() -> None:
    reports = [part(SmsState.DELIVERED), part(SmsState.CARRIER_ACCEPTED, pmi="M2")]
    assert combine_parts(reports) == reports


def test_parts_all_delivered_make_the_sms_delivered_when_the_last_one_was() -> None:
    [whole] = combine_parts([part(SmsState.DELIVERED, 5), part(SmsState.DELIVERED, 9)])
    assert (whole.state, whole.changed_at) == (SmsState.DELIVERED, T0 + timedelta(seconds=9))


def test_one_part_still_travelling_keeps_the_sms_at_that_parts_state() -> None:
    reports = [part(SmsState.DELIVERED), part(SmsState.IN_TRANSIT), part(SmsState.CARRIER_ACCEPTED)]
    assert [r.state for r in combine_parts(reports)] == [SmsState.IN_TRANSIT]


def test_one_failed_part_makes_the_sms_fail_with_the_first_failure() -> None:
    reports = [
        part(SmsState.DELIVERED, 1),
        part(SmsState.UNDELIVERED, 7),
        part(SmsState.INVALID, 3),
    ]
    [whole] = combine_parts(reports)
    assert whole.state is SmsState.INVALID


def test_the_url_secret_must_match_exactly() -> None:
    assert secret_matches("s3cret-é", "s3cret-é")
    assert not secret_matches("s3cret", "s3cret ")
    assert not secret_matches("", "s3cret")


def test_the_simulator_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"message_id": "SIM-1", "status": "delivered"}'
    good = "sha256=" + hmac.new(b"whsec", body, hashlib.sha256).hexdigest()
    assert signature_valid("simulator", "whsec", body, {"x-simulator-signature": good})
    assert not signature_valid("simulator", "other", body, {"x-simulator-signature": good})
    assert not signature_valid("simulator", "whsec", body + b" ", {"x-simulator-signature": good})
    assert not signature_valid("simulator", "whsec", body, {})


def test_dialects_that_sign_nothing_never_pass_by_signature() -> None:
    body = b"{}"
    forged = "sha256=" + hmac.new(b"whsec", body, hashlib.sha256).hexdigest()
    assert not signature_valid("envoyersmspro", "whsec", body, {"x-simulator-signature": forged})


def test_an_empty_allow_list_lets_every_source_in() -> None:
    assert source_allowed("203.0.113.9", [])
    assert source_allowed(None, [])


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.1.2.3", True),
        ("2001:db8::17", True),
        ("192.0.2.1", False),
        ("not-an-address", False),
        (None, False),
    ],
)
def test_a_non_empty_allow_list_admits_only_its_networks(address, allowed) -> None:
    networks = parse_networks(["10.0.0.0/8", " 2001:db8::/32 ", ""])
    assert source_allowed(address, networks) is allowed


def test_a_malformed_network_is_refused() -> None:
    with pytest.raises(ValueError, match=r"10\.0\.0\.0/33"):
        parse_networks(["10.0.0.0/33"])


def test_a_report_time_without_zone_is_read_as_utc_and_a_missing_one_is_now() -> None:
    naive = StatusReport("M1", SmsState.DELIVERED, "D", datetime(2026, 11, 30, 8, 0))
    assert fact_of(naive, T0 + timedelta(hours=1)).changed_at == T0
    paris = StatusReport(
        "M1",
        SmsState.DELIVERED,
        "D",
        datetime(2026, 11, 30, 9, 0, tzinfo=timezone(timedelta(hours=1))),
    )
    assert fact_of(paris, T0).changed_at == T0
    missing = StatusReport("M1", SmsState.DELIVERED, "D", None)
    assert fact_of(missing, T0 + timedelta(minutes=3)).changed_at == T0 + timedelta(minutes=3)
