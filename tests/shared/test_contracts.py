"""The message contracts: one model and one example per topic, and a codec that leaks no values."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from shared.contracts import (
    MESSAGE_TYPES,
    ContractError,
    ProviderAccountV1,
    SchoolSettingsV1,
    SmsRefreshV1,
    SmsRequestedV1,
    SmsStatusV1,
    decode,
    decode_as,
    encode,
    example_json,
    load_example,
)
from shared.contracts.topics import SMS_REQUESTED, SMS_STATUS, TOPICS

TOPIC_NAMES = [spec.name for spec in TOPICS]
PHONE = "+33639980012"


def example_dict(topic: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(example_json(topic))
    return data


def as_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


def test_every_topic_has_a_model() -> None:
    assert set(MESSAGE_TYPES) == set(TOPIC_NAMES)


@pytest.mark.parametrize("topic", TOPIC_NAMES)
def test_model_topic_constant_matches_its_registry_name(topic: str) -> None:
    assert topic == MESSAGE_TYPES[topic].TOPIC


@pytest.mark.parametrize("topic", TOPIC_NAMES)
def test_example_decodes_to_its_topic_model(topic: str) -> None:
    msg = load_example(topic)
    assert type(msg) is MESSAGE_TYPES[topic]
    assert msg.schema_ == topic


@pytest.mark.parametrize("topic", TOPIC_NAMES)
def test_example_round_trips_through_encode_and_decode(topic: str) -> None:
    msg = load_example(topic)
    assert decode(topic, encode(msg)) == msg


@pytest.mark.parametrize("topic", TOPIC_NAMES)
def test_example_holds_every_field_of_its_model(topic: str) -> None:
    # An example that omits an optional field documents nothing about it.
    model = MESSAGE_TYPES[topic]
    aliases = {field.alias or name for name, field in model.model_fields.items()}
    assert aliases <= set(example_dict(topic))


def test_encode_writes_schema_by_alias_as_compact_utf8() -> None:
    raw = encode(load_example(SMS_REQUESTED))
    data = json.loads(raw.decode("utf-8"))
    assert data["schema"] == SMS_REQUESTED
    assert "schema_" not in data
    assert raw == json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_default_schema_is_the_topic_name() -> None:
    msg = SmsRefreshV1(producer="reporting", uai="0750001A", requested_at=datetime.now(UTC))
    assert json.loads(encode(msg))["schema"] == "sms.refresh.v1"


def test_unknown_fields_are_ignored() -> None:
    data = example_dict(SMS_STATUS)
    data["added_in_a_later_release"] = {"anything": [1, 2]}
    assert decode(SMS_STATUS, as_bytes(data)) == load_example(SMS_STATUS)


def test_wrong_schema_value_is_refused() -> None:
    data = example_dict(SMS_STATUS)
    data["schema"] = "sms.requested.v1"
    with pytest.raises(ContractError) as excinfo:
        decode(SMS_STATUS, as_bytes(data))
    assert ("schema", "literal_error") in excinfo.value.errors


def test_invalid_phone_is_refused_without_echoing_it() -> None:
    data = example_dict(SMS_REQUESTED)
    data["recipient_phone"] = "06 39 98 00 12 (mère)"
    with pytest.raises(ContractError) as excinfo:
        decode(SMS_REQUESTED, as_bytes(data))
    message = str(excinfo.value)
    assert "recipient_phone" in message
    assert "39 98" not in message
    assert "mère" not in message
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


def test_contract_error_names_no_value_of_any_field() -> None:
    data = example_dict(SMS_REQUESTED)
    data["text"] = ""
    data["segments"] = "une seule"
    with pytest.raises(ContractError) as excinfo:
        decode(SMS_REQUESTED, as_bytes(data))
    assert "une seule" not in str(excinfo.value)
    assert {loc for loc, _ in excinfo.value.errors} == {"text", "segments"}


def test_building_a_message_with_a_bad_phone_hides_the_input() -> None:
    fields = example_dict(SMS_REQUESTED) | {"recipient_phone": "0639980012"}
    with pytest.raises(ValidationError) as excinfo:
        SmsRequestedV1.model_validate(fields)
    assert "0639980012" not in str(excinfo.value)


def test_naive_datetime_is_refused() -> None:
    data = example_dict(SMS_STATUS)
    data["changed_at"] = "2024-09-13T07:43:02"
    with pytest.raises(ContractError) as excinfo:
        decode(SMS_STATUS, as_bytes(data))
    assert ("changed_at", "timezone_aware") in excinfo.value.errors


def test_aware_datetime_is_normalised_to_utc() -> None:
    data = example_dict(SMS_STATUS)
    data["changed_at"] = "2024-09-13T09:43:02+02:00"
    msg = decode_as(SmsStatusV1, as_bytes(data))
    assert msg.changed_at == datetime(2024, 9, 13, 7, 43, 2, tzinfo=UTC)
    assert msg.changed_at.utcoffset() == timedelta(0)


def test_default_occurred_at_is_aware_utc() -> None:
    msg = SmsRefreshV1(producer="reporting", uai="0750001A", requested_at=datetime.now(UTC))
    assert msg.occurred_at.tzinfo is UTC
    assert (
        msg.message_id
        != SmsRefreshV1(
            producer="reporting", uai="0750001A", requested_at=datetime.now(UTC)
        ).message_id
    )


def test_uai_is_upper_cased() -> None:
    msg = SmsRefreshV1(producer="reporting", uai="0750001a", requested_at=datetime.now(UTC))
    assert msg.uai == "0750001A"


@pytest.mark.parametrize("uai", ["075001A", "07500011", "0750001AB", "ABCDEFGH", ""])
def test_malformed_uai_is_refused(uai: str) -> None:
    with pytest.raises(ValidationError):
        SmsRefreshV1(producer="reporting", uai=uai, requested_at=datetime.now(UTC))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sender_name", "COLLEGE JEAN MOULIN"),
        ("sender_name", "0612345678"),
        ("sender_name", "CLG-MOULIN"),
        ("time_zone", "Europe/Lutece"),
        ("school_year_start_month", 13),
        ("quiet_hours", {"start": "20:00", "end": "20:00"}),
    ],
)
def test_invalid_school_settings_are_refused(field: str, value: object) -> None:
    data = example_dict("school.settings.v1") | {field: value}
    with pytest.raises(ContractError):
        decode("school.settings.v1", as_bytes(data))


def test_status_refuses_a_state_from_before_diffusion() -> None:
    data = example_dict(SMS_STATUS) | {"state": "pending"}
    with pytest.raises(ContractError):
        decode(SMS_STATUS, as_bytes(data))


def test_unknown_topic_is_refused() -> None:
    with pytest.raises(ContractError):
        decode("sms.unknown.v1", b"{}")


def test_malformed_json_is_a_contract_error() -> None:
    with pytest.raises(ContractError):
        decode(SMS_STATUS, b'{"sms_id": ')


def test_messages_are_frozen() -> None:
    msg = load_example(SMS_STATUS)
    with pytest.raises(ValidationError):
        setattr(msg, "uai", "0750002B")  # noqa: B010 - mypy cannot see pydantic's frozen


def test_provider_credentials_do_not_appear_in_repr() -> None:
    msg = load_example("school.settings.v1")
    assert isinstance(msg, SchoolSettingsV1)
    assert isinstance(msg.provider, ProviderAccountV1)
    assert msg.provider.password_encrypted
    text = repr(msg)
    assert msg.provider.password_encrypted not in text
    assert "CLG0750001" not in text


def test_status_example_carries_no_phone_nor_name() -> None:
    assert not {"recipient_phone", "pupil_name"} & set(SmsStatusV1.model_fields)


def test_refresh_with_no_ids_means_all_in_transit() -> None:
    msg = SmsRefreshV1(
        producer="reporting",
        uai="0750001A",
        requested_at=datetime.now(timezone(timedelta(hours=2))),
        correlation_id=uuid4(),
    )
    assert msg.sms_ids == ()
    assert decode_as(SmsRefreshV1, encode(msg)) == msg
