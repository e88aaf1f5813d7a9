"""Each service runs as a real process: it migrates its schema, becomes ready, serves its probes
and metrics, stops cleanly on SIGTERM and comes back after a SIGKILL."""

from __future__ import annotations

import signal

import httpx
import pytest
from support.processes import service_process

SERVICES = ["events", "dispatcher", "status-poller", "reporting"]


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_every_service_becomes_ready_and_stops_cleanly_on_sigterm(
    isolation, topics, logs_dir
) -> None:
    await topics()
    processes = [
        service_process(
            name,
            isolation.env(db_schema=f"{isolation.schema}_{name.replace('-', '_')}"),
            log_dir=logs_dir,
        )
        for name in SERVICES
    ]
    for process in processes:
        process.start()
    try:
        for process in processes:
            await process.wait_ready(90)
            assert process.ready_url is not None
            base = process.ready_url.removesuffix("/readyz")
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"{base}/healthz")).json() == {"status": "ok"}
                ready = (await client.get(f"{base}/readyz")).json()
                assert ready["status"] == "ready" and ready["checks"]["postgres"] is True
                metrics = (await client.get(f"{base}/metrics")).text
                assert "sms_outbox_published_total" in metrics
    finally:
        codes = [process.terminate() for process in processes]
    # uvicorn re-raises SIGTERM once its graceful shutdown is over, so the exit status says
    # "terminated by SIGTERM" (-15) rather than 0; a hung or crashed shutdown shows otherwise.
    assert set(codes) <= {0, -signal.SIGTERM}, codes
    for process in processes:
        assert "Application shutdown complete" in process.log_path.read_text(), process.log_tail()


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_a_killed_service_restarts_and_is_ready_again(isolation, topics, logs_dir) -> None:
    await topics()
    process = service_process("dispatcher", isolation.env(), log_dir=logs_dir)
    process.start()
    try:
        await process.wait_ready(90)
        process.kill()
        assert not process.running()
        await process.restart(90)
        assert process.running()
    finally:
        process.terminate()
