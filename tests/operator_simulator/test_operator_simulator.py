"""The operator simulator over real HTTP: public API, scripted behaviour, receipts, control API."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

NUMBER = "+33639980001"
OTHER_NUMBER = "+33639980002"

Json = dict[str, Any]


def message(to: str = NUMBER, ref: str = "ref-1", text: str = "Absence de Léo ce matin.") -> Json:
    return {"to": to, "text": text, "client_ref": ref}


def send(
    client: httpx.Client, account: str, *messages: Json, password: str = "pw", sender: Any = None
) -> httpx.Response:
    return client.post(
        "/api/v1/messages",
        auth=(account, password),
        json={"sender": sender, "messages": list(messages)},
    )


def accepted_id(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "accepted"
    return str(result["message_id"])


def statuses(client: httpx.Client, account: str, *ids: str) -> list[Json]:
    response = client.post("/api/v1/statuses", auth=(account, "pw"), json={"message_ids": ids})
    assert response.status_code == 200, response.text
    return list(response.json()["statuses"])


def configure(client: httpx.Client, account: str, **config: Any) -> Json:
    response = client.put(f"/_control/accounts/{account}", json=config)
    assert response.status_code == 200, response.text
    return dict(response.json())


def submissions(client: httpx.Client, account: str | None = None) -> list[Json]:
    params = {"account": account} if account else {}
    return list(client.get("/_control/submissions", params=params).json())


# Sending


def test_batch_send_answers_in_input_order_with_increasing_ids(client: httpx.Client) -> None:
    response = send(client, "acme", message(ref="a"), message(OTHER_NUMBER, "b"), message(ref="c"))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["client_ref"] for r in results] == ["a", "b", "c"]
    assert all(r["status"] == "accepted" and r["error"] is None for r in results)
    ids = [r["message_id"] for r in results]
    assert all(len(i) == len("SIM-00000000") and i.startswith("SIM-") for i in ids)
    assert ids == sorted(ids) and len(set(ids)) == 3


def test_message_ids_are_one_counter_across_accounts(client: httpx.Client) -> None:
    first = accepted_id(send(client, "acme", message()))
    second = accepted_id(send(client, "other", message()))

    assert int(second.removeprefix("SIM-")) == int(first.removeprefix("SIM-")) + 1


def test_number_not_in_e164_is_rejected_without_id(client: httpx.Client) -> None:
    response = send(client, "acme", message("0639980001", "local"), message(ref="ok"))

    rejected, accepted = response.json()["results"]
    assert rejected == {
        "client_ref": "local",
        "message_id": None,
        "status": "rejected",
        "error": "invalid_number",
        "segments": 1,
    }
    assert accepted["status"] == "accepted"


def test_number_scripted_invalid_is_rejected(client: httpx.Client) -> None:
    configure(client, "acme", outcomes=[{"pattern": r"^\+33639", "outcome": "invalid"}])

    (result,) = send(client, "acme", message()).json()["results"]

    assert (result["status"], result["error"], result["message_id"]) == (
        "rejected",
        "invalid_number",
        None,
    )


def test_segments_follow_the_text_encoding(client: httpx.Client) -> None:
    texts = ["a" * 160, "a" * 161, "€" * 81, "ç" * 70, "ç" * 71]

    response = send(client, "acme", *(message(ref=str(i), text=t) for i, t in enumerate(texts)))

    assert [r["segments"] for r in response.json()["results"]] == [1, 2, 2, 1, 2]


def test_batch_over_the_account_maximum_is_refused_whole(client: httpx.Client) -> None:
    configure(client, "acme", max_batch=2)

    response = send(client, "acme", message(ref="1"), message(ref="2"), message(ref="3"))

    assert response.status_code == 413
    assert response.json() == {"error": "batch_too_large", "max": 2}
    assert submissions(client) == []


def test_batch_over_500_is_refused_by_default(client: httpx.Client) -> None:
    response = send(client, "acme", *(message(ref=str(i)) for i in range(501)))

    assert response.status_code == 413
    assert response.json() == {"error": "batch_too_large", "max": 500}


def test_malformed_body_is_a_bad_request(client: httpx.Client) -> None:
    missing = client.post("/api/v1/messages", auth=("acme", "pw"), json={"sender": "X"})
    not_json = client.post(
        "/api/v1/messages",
        auth=("acme", "pw"),
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    long_ref = send(client, "acme", message(ref="r" * 65))

    for response in (missing, not_json, long_ref):
        assert response.status_code == 400
        assert response.json()["error"] == "bad_request"
        assert response.json()["detail"]


# Delivery states


def test_status_goes_accepted_then_sent_then_delivered(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=0.6)
    message_id = accepted_id(send(client, "acme", message()))

    seen: list[tuple[str, str]] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (not seen or seen[-1][0] != "delivered"):
        (status,) = statuses(client, "acme", message_id)
        if not seen or seen[-1][0] != status["status"]:
            seen.append((status["status"], status["code"]))
        time.sleep(0.03)

    assert seen == [("accepted", "ACCEPTD"), ("sent", "ENROUTE"), ("delivered", "DELIVRD")]


def test_updated_at_is_the_time_of_the_transition(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=0.2)
    message_id = accepted_id(send(client, "acme", message()))
    (accepted,) = statuses(client, "acme", message_id)
    time.sleep(0.3)

    (delivered,) = statuses(client, "acme", message_id)

    assert accepted["updated_at"].endswith("Z")
    elapsed = datetime.fromisoformat(delivered["updated_at"]) - datetime.fromisoformat(
        accepted["updated_at"]
    )
    assert abs(elapsed.total_seconds() - 0.2) < 0.002


def test_numbers_matching_an_undelivered_pattern_end_undelivered(client: httpx.Client) -> None:
    configure(
        client,
        "acme",
        delivery_delay_s=0,
        outcomes=[{"pattern": "02$", "outcome": "undelivered"}],
    )
    response = send(client, "acme", message(NUMBER, "a"), message(OTHER_NUMBER, "b"))
    ids = [r["message_id"] for r in response.json()["results"]]

    found = statuses(client, "acme", *ids)

    assert [(s["status"], s["code"]) for s in found] == [
        ("delivered", "DELIVRD"),
        ("undelivered", "UNDELIV"),
    ]


def test_ids_the_account_does_not_own_are_unknown(client: httpx.Client) -> None:
    foreign = accepted_id(send(client, "other", message()))

    found = statuses(client, "acme", foreign, "SIM-99999999")

    assert [(s["message_id"], s["status"], s["code"], s["client_ref"]) for s in found] == [
        (foreign, "unknown", None, None),
        ("SIM-99999999", "unknown", None, None),
    ]


def test_status_request_over_500_ids_is_refused(client: httpx.Client) -> None:
    ids = [f"SIM-{i:08d}" for i in range(501)]

    response = client.post("/api/v1/statuses", auth=("acme", "pw"), json={"message_ids": ids})

    assert response.status_code == 413
    assert response.json() == {"error": "batch_too_large", "max": 500}


def test_lookup_by_client_ref_finds_the_latest_accepted_message(client: httpx.Client) -> None:
    configure(client, "acme", delivery_delay_s=0)
    accepted_id(send(client, "acme", message(ref="absence-42")))
    latest = accepted_id(send(client, "acme", message(OTHER_NUMBER, "absence-42")))

    response = client.get(
        "/api/v1/messages", params={"client_ref": "absence-42"}, auth=("acme", "pw")
    )

    assert response.status_code == 200
    found = response.json()["message"]
    assert found["message_id"] == latest
    assert (found["client_ref"], found["to"], found["status"], found["code"]) == (
        "absence-42",
        OTHER_NUMBER,
        "delivered",
        "DELIVRD",
    )
    assert found["updated_at"].endswith("Z")


def test_lookup_of_an_unknown_or_foreign_ref_is_not_found(client: httpx.Client) -> None:
    accepted_id(send(client, "other", message(ref="theirs")))

    for ref in ("theirs", "never-sent"):
        response = client.get("/api/v1/messages", params={"client_ref": ref}, auth=("acme", "pw"))
        assert response.status_code == 404
        assert response.json() == {"error": "not_found"}


def test_credit_is_unlimited_unless_configured(client: httpx.Client) -> None:
    configure(client, "counted", credit=42)

    default = client.get("/api/v1/credit", auth=("acme", "pw"))
    counted = client.get("/api/v1/credit", auth=("counted", "pw"))

    assert default.json() == {"credit": 1_000_000}
    assert counted.json() == {"credit": 42}


# Credentials


def test_wrong_password_is_refused_for_that_account_only(client: httpx.Client) -> None:
    configure(client, "acme", password="s3cret")

    wrong = client.get("/api/v1/credit", auth=("acme", "guess"))
    right = client.get("/api/v1/credit", auth=("acme", "s3cret"))
    other = client.get("/api/v1/credit", auth=("other", "anything"))

    assert wrong.status_code == 401
    assert wrong.json() == {"error": "invalid_credentials"}
    assert right.status_code == 200
    assert other.status_code == 200


def test_rejected_credentials_fail_even_with_the_right_password(client: httpx.Client) -> None:
    configure(client, "acme", password="s3cret", reject_credentials=True)

    response = client.get("/api/v1/credit", auth=("acme", "s3cret"))

    assert response.status_code == 401
    assert response.json() == {"error": "invalid_credentials"}


def test_missing_credentials_are_refused(client: httpx.Client) -> None:
    response = client.get("/api/v1/credit")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_default_password_applies_to_accounts_not_configured(client: httpx.Client) -> None:
    client.put("/_control/defaults", json={"password": "shared"}).raise_for_status()
    configure(client, "open", password=None)

    assert client.get("/api/v1/credit", auth=("anyone", "nope")).status_code == 401
    assert client.get("/api/v1/credit", auth=("anyone", "shared")).status_code == 200
    assert client.get("/api/v1/credit", auth=("open", "nope")).status_code == 200


# Outages and latency


def test_503_outage_hits_one_account_only(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "503"})

    down = send(client, "acme", message())
    up = send(client, "other", message())

    assert down.status_code == 503
    assert down.json() == {"error": "service_unavailable"}
    assert up.status_code == 200
    assert [s["account"] for s in submissions(client)] == ["other"]


def test_429_outage_says_when_to_retry(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "429", "retry_after_s": 7})

    limited = client.get("/api/v1/credit", auth=("acme", "pw"))
    other = client.get("/api/v1/credit", auth=("other", "pw"))

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.json() == {"error": "too_many_requests", "retry_after_s": 7}
    assert other.status_code == 200


def test_drop_outage_closes_the_connection_without_answer(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "drop"})

    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        send(client, "acme", message())

    assert submissions(client) == []
    assert send(client, "other", message()).status_code == 200


def test_drop_answer_outage_processes_then_hangs_up(client: httpx.Client) -> None:
    configure(client, "acme", outage={"mode": "drop_answer"})

    with pytest.raises(httpx.TransportError):
        send(client, "acme", message(ref="unanswered"))

    configure(client, "acme", outage={"mode": "none"})
    found = client.get("/api/v1/messages", params={"client_ref": "unanswered"}, auth=("acme", "pw"))
    assert found.status_code == 200
    assert [s["client_ref"] for s in submissions(client)] == ["unanswered"]


def test_latency_delays_that_account_only(client: httpx.Client) -> None:
    configure(client, "slow", latency_ms=400)

    started = time.monotonic()
    assert client.get("/api/v1/credit", auth=("slow", "pw")).status_code == 200
    slow = time.monotonic() - started
    started = time.monotonic()
    assert client.get("/api/v1/credit", auth=("fast", "pw")).status_code == 200
    fast = time.monotonic() - started

    assert slow >= 0.4
    assert fast < 0.3


# Receipts


class WebhookReceiver:
    """A tiny HTTP server recording each POST; it can fail the first few with 500."""

    def __init__(self, failures: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.attempts = 0
        self._failures_left = failures
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.attempts += 1
                    failing = receiver._failures_left > 0
                    if failing:
                        receiver._failures_left -= 1
                    else:
                        receiver.received.append((dict(self.headers), body))
                self.send_response(500 if failing else 204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/receipts"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.received)} receipts, expected {count}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    webhook = WebhookReceiver()
    yield webhook
    webhook.close()


@pytest.fixture
def flaky_receiver() -> Iterator[WebhookReceiver]:
    webhook = WebhookReceiver(failures=2)
    yield webhook
    webhook.close()


def test_receipts_are_pushed_when_sent_and_delivered_with_a_valid_signature(
    client: httpx.Client, receiver: WebhookReceiver
) -> None:
    configure(
        client, "acme", delivery_delay_s=0.3, webhook_url=receiver.url, webhook_secret="whsec"
    )
    message_id = accepted_id(send(client, "acme", message(ref="absence-7")))

    received = receiver.wait_for(2)

    payloads = []
    for headers, body in received:
        expected = "sha256=" + hmac.new(b"whsec", body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Simulator-Signature"], expected)
        payloads.append(json.loads(body))
    assert [(p["status"], p["code"]) for p in payloads] == [
        ("sent", "ENROUTE"),
        ("delivered", "DELIVRD"),
    ]
    assert all(
        (p["account"], p["message_id"], p["client_ref"]) == ("acme", message_id, "absence-7")
        for p in payloads
    )
    (final,) = statuses(client, "acme", message_id)
    assert payloads[-1]["updated_at"] == final["updated_at"]


def test_receipts_are_unsigned_without_a_secret(
    client: httpx.Client, receiver: WebhookReceiver
) -> None:
    configure(client, "acme", delivery_delay_s=0, webhook_url=receiver.url)
    accepted_id(send(client, "acme", message()))

    received = receiver.wait_for(2)

    assert all("X-Simulator-Signature" not in headers for headers, _ in received)


def test_receipts_are_retried_after_a_failure(
    client: httpx.Client, flaky_receiver: WebhookReceiver
) -> None:
    configure(client, "acme", delivery_delay_s=0, webhook_url=flaky_receiver.url)
    accepted_id(send(client, "acme", message()))

    received = flaky_receiver.wait_for(2)

    assert [json.loads(body)["status"] for _, body in received] == ["sent", "delivered"]
    assert flaky_receiver.attempts == 4


# Control API


def test_submissions_record_each_accepted_message_once(client: httpx.Client) -> None:
    send(client, "acme", message(ref="a"), message("06", "bad"), message(OTHER_NUMBER, "b"))
    send(client, "other", message(ref="c"), sender="COLLEGE X")

    recorded = submissions(client, "acme")

    assert [(s["client_ref"], s["to"]) for s in recorded] == [("a", NUMBER), ("b", OTHER_NUMBER)]
    assert set(recorded[0]) == {
        "account",
        "message_id",
        "client_ref",
        "to",
        "text",
        "sender",
        "segments",
        "accepted_at",
        "dialect",
        "endpoint",
        "batch_id",
        "received",
    }
    assert recorded[0]["text"] == "Absence de Léo ce matin."
    assert recorded[0]["dialect"] == "native"
    assert recorded[0]["endpoint"] == "/api/v1/messages"
    assert recorded[0]["received"] == {
        "to": NUMBER,
        "text": "Absence de Léo ce matin.",
        "client_ref": "a",
        "sender": None,
    }
    assert [(s["account"], s["sender"]) for s in submissions(client, "other")] == [
        ("other", "COLLEGE X")
    ]
    assert len(submissions(client)) == 3


def test_account_view_never_shows_the_password(client: httpx.Client) -> None:
    configure(client, "acme", password="s3cret", webhook_secret="whsec")

    response = client.get("/_control/accounts/acme")

    view = response.json()
    assert view["password_set"] is True
    assert view["webhook_secret_set"] is True
    assert "password" not in view and "webhook_secret" not in view
    assert "s3cret" not in response.text and "whsec" not in response.text


def test_partial_updates_merge_into_the_account(client: httpx.Client) -> None:
    configure(client, "acme", latency_ms=5)
    view = configure(client, "acme", delivery_delay_s=3.5)

    assert (view["latency_ms"], view["delivery_delay_s"]) == (5, 3.5)
    assert view["overridden"] == ["delivery_delay_s", "latency_ms"]


def test_invalid_configuration_is_refused(client: httpx.Client) -> None:
    response = client.put(
        "/_control/accounts/acme",
        json={"outcomes": [{"pattern": "(", "outcome": "delivered"}], "colour": "blue"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"
    assert client.get("/_control/accounts/acme").json()["overridden"] == []


def test_reset_forgets_messages_and_configuration(client: httpx.Client) -> None:
    configure(client, "acme", password="s3cret")
    old = accepted_id(send(client, "acme", message(), password="s3cret"))

    client.post("/_control/reset").raise_for_status()

    assert submissions(client) == []
    assert client.get("/_control/accounts/acme").json()["password_set"] is False
    assert statuses(client, "acme", old)[0]["status"] == "unknown"
    new = accepted_id(send(client, "acme", message()))
    assert new > old  # ids are never reused


def test_health(client: httpx.Client) -> None:
    assert client.get("/_control/health").json() == {"status": "ok"}


def test_request_log_masks_numbers_and_hides_passwords(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="operator_simulator")

    send(client, "acme", message(), password="s3cret-pw")

    lines = [r.getMessage() for r in caplog.records if r.name == "operator_simulator.requests"]
    (line,) = [json.loads(text) for text in lines if '"/api/v1/messages"' in text]
    assert (line["account"], line["status"], line["to"]) == ("acme", 200, ["+336******01"])
    assert NUMBER not in "".join(lines) and "s3cret-pw" not in "".join(lines)


# Entry point


def test_module_serves_on_the_port_from_the_environment() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    package_root = Path(__file__).resolve().parents[2] / "deploy" / "operator-simulator"
    env = {
        **os.environ,
        "SIMULATOR_PORT": str(port),
        "PYTHONPATH": os.pathsep.join([str(package_root), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "operator_simulator", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_control/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "the simulator exited"
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.1)
        assert health.json() == {"status": "ok"}
    finally:
        process.terminate()
        process.communicate(timeout=10)
