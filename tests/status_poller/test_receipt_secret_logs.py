"""The receipts webhook's URL holds a school's secret: the status-poller, run as a real process
logging at DEBUG, must print it nowhere (no access log, no error line), nor expose it on /metrics,
whatever the receipts it gets."""

from __future__ import annotations

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from poller_support import school_settings
from support.kafka_probe import eventually
from support.processes import base_url, service_process

from shared.contracts import encode
from shared.crypto import SecretBox
from shared.settings import ServiceSettings

UAI = "0750001A"
CANARY_SECRET = "canaryRcptSecret-5Jd8Qx"
CANARY_WRONG = "canaryWrongSecret-2Vb7Lm"


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_the_receipt_secret_never_reaches_the_logs_or_the_metrics(
    isolation, topics, logs_dir
) -> None:
    await topics()
    env = isolation.env(db_schema=f"{isolation.schema}_status_poller")
    env.update({"log_level": "DEBUG", "poll_interval_s": "1", "poll_tick_s": "0.2"})
    process = service_process("status-poller", env, log_dir=logs_dir)
    process.start()
    try:
        await process.wait_ready(120)
        box = SecretBox(isolation.settings(ServiceSettings).data_encryption_keys.get_secret_value())
        settings = school_settings(UAI, "simulator", box, receipt_secret=CANARY_SECRET)
        producer = AIOKafkaProducer(bootstrap_servers=isolation.infra.kafka_bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(
                isolation.prefix + settings.TOPIC, encode(settings), key=settings.kafka_key
            )
        finally:
            await producer.stop()

        url = base_url(process)
        hook = f"{url}/api/v1/receipts/simulator/{UAI}"
        good = b'{"message_id": "SIM-00000042", "status": "delivered", "code": "DELIVRD"}'
        async with httpx.AsyncClient(timeout=10) as client:

            async def account_known() -> bool:
                answer = await client.post(f"{hook}/{CANARY_SECRET}", content=good)
                return answer.status_code == 200

            await eventually(account_known, timeout=90, interval=0.5)
            answers = [
                await client.post(f"{hook}/{CANARY_WRONG}", content=good),
                await client.post(f"{hook}/{CANARY_SECRET}", content=b'{"message_id": '),
                await client.post(f"{hook}/{CANARY_SECRET}", content=b"\xff\xfe"),
                await client.get(f"{hook}/{CANARY_SECRET}"),
                await client.post(f"{hook}/{CANARY_SECRET}/more", content=good),
                await client.post(f"{url}/api/v1/receipts/nodialect/{UAI}/{CANARY_SECRET}"),
                await client.post(f"{hook}/{CANARY_SECRET + 'x' * 300}", content=good),
            ]
            metrics = (await client.get(f"{url}/metrics")).text
        assert [a.status_code for a in answers] == [401, 400, 400, 405, 404, 401, 401]
    finally:
        process.terminate()

    assert process.log_path is not None
    log = process.log_path.read_text(errors="replace")
    assert "receipt" in log.lower() or len(log) > 2_000, "suspiciously little output to scan"
    for where, text in {"log": log, "/metrics": metrics}.items():
        for canary in (CANARY_SECRET, CANARY_WRONG, "canaryRcpt", "canaryWrong"):
            assert canary not in text, (where, canary)
    for answer in answers:
        assert CANARY_SECRET not in answer.text
