"""JSON log lines, with phone numbers masked and secrets redacted wherever they hide."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from shared.contracts import load_example
from shared.logging import THIRD_PARTY_LOGGERS, configure_logging, mask_phone, redact

SMS_ID = "5b0f8a52-3c1e-4d7a-9f26-8e4c1b7d2a90"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Configure logging into a buffer, and put the process's logging back as it was afterwards."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    saved = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).propagate)
        for name in THIRD_PARTY_LOGGERS
    }
    buffer = io.StringIO()
    configure_logging("dispatcher", level="DEBUG", stream=buffer)
    yield buffer
    root.handlers[:] = saved_root[0]
    root.setLevel(saved_root[1])
    for name, (handlers, propagate) in saved.items():
        logging.getLogger(name).handlers[:] = handlers
        logging.getLogger(name).propagate = propagate
    logging.captureWarnings(False)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def last(buffer: io.StringIO) -> dict[str, Any]:
    return lines(buffer)[-1]


def test_each_record_is_one_json_object_per_line(stream: io.StringIO) -> None:
    log = logging.getLogger("dispatcher.app")
    log.info("first")
    log.warning("second\nwith a newline")
    records = lines(stream)
    assert [r["msg"] for r in records] == ["first", "second\nwith a newline"]
    assert records[1]["level"] == "WARNING"
    assert records[1]["logger"] == "dispatcher.app"
    assert records[1]["service"] == "dispatcher"
    assert records[1]["ts"].endswith("+00:00")


def test_extra_fields_appear_beside_the_message(stream: io.StringIO) -> None:
    logging.getLogger("x").info("sent", extra={"sms_id": SMS_ID, "attempt": 2})
    record = last(stream)
    assert record["sms_id"] == SMS_ID
    assert record["attempt"] == 2


def test_extra_field_cannot_overwrite_a_core_field(stream: io.StringIO) -> None:
    logging.getLogger("x").info("sent", extra={"service": "impostor"})
    record = last(stream)
    assert record["service"] == "dispatcher"
    assert record["extra_service"] == "impostor"


def test_phone_in_message_is_masked(stream: io.StringIO) -> None:
    logging.getLogger("x").info("sending to +33612345678 now")
    assert last(stream)["msg"] == "sending to +336******78 now"


def test_phone_in_args_is_masked(stream: io.StringIO) -> None:
    logging.getLogger("x").info("sending to %s (%d segments)", "06 12 34 56 78", 2)
    assert last(stream)["msg"] == "sending to 06 ** ** ** 78 (2 segments)"


def test_phone_in_extra_is_masked(stream: io.StringIO) -> None:
    logging.getLogger("x").info("sent", extra={"recipient": {"phones": ["0612345678"]}})
    assert last(stream)["recipient"] == {"phones": ["06******78"]}


def test_secret_extra_fields_are_redacted(stream: io.StringIO) -> None:
    logging.getLogger("x").info(
        "login", extra={"password": "hunter2", "provider": {"key": "K-42", "api_key": "A"}}
    )
    record = last(stream)
    assert record["password"] == "***"
    assert record["provider"] == {"key": "***", "api_key": "***"}
    assert "hunter2" not in stream.getvalue()


def test_secret_in_mapping_args_is_redacted(stream: io.StringIO) -> None:
    logging.getLogger("x").info("user %(user)s pw %(password)s", {"user": "u", "password": "p4ss"})
    assert last(stream)["msg"] == "user u pw ***"


def test_secrets_and_phone_in_a_logged_url_are_redacted(stream: io.StringIO) -> None:
    logging.getLogger("httpx").info(
        'HTTP Request: GET %s "%s"',
        "https://op.example/send?key=K42&pwd=s3cr3t&to=%2B33612345678",
        "HTTP/1.1 200 OK",
    )
    msg = last(stream)["msg"]
    assert msg == (
        "HTTP Request: GET https://op.example/send?key=***&pwd=***&to=%2B336******78"
        ' "HTTP/1.1 200 OK"'
    )


def test_exception_text_is_masked(stream: io.StringIO) -> None:
    try:
        raise ValueError("operator refused +33612345678")
    except ValueError:
        logging.getLogger("x").exception("send failed")
    record = last(stream)
    assert "ValueError: operator refused +336******78" in record["exc_info"]
    assert "+33612345678" not in stream.getvalue()


def test_third_party_loggers_go_through_the_same_handler(stream: io.StringIO) -> None:
    uvicorn_error = logging.getLogger("uvicorn.error")
    uvicorn_error.info("client 0612345678 connected", extra={"color_message": "\x1b[32m..."})
    logging.getLogger("aiokafka").warning("broker down")
    records = lines(stream)
    assert [r["logger"] for r in records] == ["uvicorn.error", "aiokafka"]
    assert records[0]["msg"] == "client 06******78 connected"
    assert "color_message" not in records[0]


def test_configuring_twice_keeps_one_handler(stream: io.StringIO) -> None:
    configure_logging("dispatcher", stream=stream)
    logging.getLogger("x").warning("once")
    assert len(lines(stream)) == 1


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("+33612345678", "+336******78"),
        ("06 12 34 56 78", "06 ** ** ** 78"),
        ("0612345678", "06******78"),
        ("06.12.34.56.78", "06.**.**.**.78"),
        ("0033 6 12 34 56 78", "0033 6 ** ** ** 78"),
        ("0033612345678", "00336******78"),
        ("33612345678", "336******78"),
        ("+33 6 12 34 56 78", "+33 6 ** ** ** 78"),
        ("to=%2B33612345678&x=1", "to=%2B336******78&x=1"),
        ("tel:+447911123456.", "tel:+447*******56."),
        ("0612345678,0698765432", "06******78,06******32"),
    ],
)
def test_mask_phone_masks_the_usual_forms(text: str, masked: str) -> None:
    assert mask_phone(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        SMS_ID,
        "00336123-4567-4890-a456-033612345678",
        "2024-09-13T07:42:10.123456+02:00",
        "2024-09-13T07:42:10Z",
        "1726213330123",
        "uai=0750001A",
        "partition 7 offset 33612345678901 lag 0",
        "offset=123456789012",
        "sent 12 SMS (33 segments) in 0.0612345678 s",
        "13.09.2024 10:30",
        "v1.0612345678",
    ],
)
def test_mask_phone_leaves_ids_timestamps_and_counts_alone(text: str) -> None:
    assert mask_phone(text) == text


def test_a_number_next_to_a_phone_is_not_swallowed() -> None:
    assert mask_phone("+33612345678 200") == "+336******78 200"


def test_redact_keeps_numbers_and_ids_and_hides_secret_keys() -> None:
    data = {
        "sms_id": SMS_ID,
        "count": 612345678,
        "ratio": 0.5,
        "ok": True,
        "Authorization": "Bearer abc",
        "X-Api-Key": "k",
        "Set-Cookie": "session=1",
        "password_encrypted": "gAAAA",
        "client_secret": "s",
        "access_token": "t",
        "key": "v",
        "monkey": "banana",
    }
    assert redact(data) == {
        "sms_id": SMS_ID,
        "count": 612345678,
        "ratio": 0.5,
        "ok": True,
        "Authorization": "***",
        "X-Api-Key": "***",
        "Set-Cookie": "***",
        "password_encrypted": "***",
        "client_secret": "***",
        "access_token": "***",
        "key": "***",
        "monkey": "banana",
    }


def test_redact_hides_secret_pairs_in_free_text() -> None:
    assert redact('Authorization: Bearer abc.def {"password": "hunter2"}') == (
        'Authorization: Bearer *** {"password": "***"}'
    )


def test_redact_dumps_models_before_redacting() -> None:
    settings = redact(load_example("school.settings.v1"))
    assert settings["provider"]["password_encrypted"] == "***"
    assert settings["provider"]["key"] == "***"
    assert settings["phone"] == "01 ** ** ** 34"
