"""A status-poller running in-process on the test's real Kafka + PostgreSQL, with fake operators.

`FakeOperator` implements the `OperatorAdapter` protocol; tests register it (and variants) under
their own dialects through `build_app(settings, adapters=...)`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID, uuid4

import httpx
import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from support.kafka_probe import eventually, group_caught_up, read_all
from support.processes import free_port

from shared.contracts import (
    Envelope,
    ProviderAccountV1,
    SchoolSettingsV1,
    SmsRejectedV1,
    SmsStatusV1,
    SmsSubmittedV1,
    decode_as,
    encode,
)
from shared.contracts.topics import (
    SCHOOL_SETTINGS,
    SMS_REFRESH,
    SMS_REJECTED,
    SMS_STATUS,
    SMS_SUBMITTED,
)
from shared.crypto import SecretBox
from shared.db.pool import set_all_schools_scope, tenant_transaction
from shared.operators.base import (
    AccountConfig,
    AdapterRegistry,
    Capabilities,
    InboundReceipt,
    MalformedReceiptError,
    OutgoingSms,
    ReceiptAnswer,
    SendResult,
    StatusReport,
)
from shared.runtime import Resources
from shared.states import SmsState
from status_poller.domain.clock import Clock
from status_poller.main import build_app
from status_poller.settings import StatusPollerSettings

PROVIDER_CODE = "fakeop"
GROUP = "status-poller"
CONSUMED = [SCHOOL_SETTINGS, SMS_SUBMITTED, SMS_REJECTED, SMS_REFRESH]


def capabilities(*, poll: bool = True, receipts: bool = True, batch: int = 100) -> Capabilities:
    return Capabilities(
        max_batch=batch,
        rate_limit_per_s=100.0,
        supports_status_poll=poll,
        max_status_batch=batch,
        supports_receipts=receipts,
        supports_long_messages=True,
        supports_client_reference_lookup=False,
    )


class FakeOperator:
    """An operator whose delivery states the test sets; it records what it was asked.

    `hold`, when given, makes every status request wait for it; `failure`, when set, is raised
    instead of answering. `parts` lists, for a multi-part message, the state of each part: the
    answer then carries one report per part under the message's id.
    """

    dialect: ClassVar[str] = "fake"

    def __init__(self, caps: Capabilities | None = None) -> None:
        self.capabilities = caps or capabilities()
        self.states: dict[str, SmsState] = {}
        self.parts: dict[str, list[SmsState]] = {}
        self.requests: list[list[str]] = []
        self.accounts: list[AccountConfig] = []
        self.failure: Exception | None = None
        self.hold: asyncio.Event | None = None

    async def fetch_statuses(
        self, account: AccountConfig, provider_message_ids: Sequence[str]
    ) -> list[StatusReport]:
        assert len(provider_message_ids) <= self.capabilities.max_status_batch
        self.requests.append(list(provider_message_ids))
        self.accounts.append(account)
        if self.hold is not None:
            await self.hold.wait()
        if self.failure is not None:
            raise self.failure
        answered = datetime.now(UTC)
        reports = [
            StatusReport(pmi, state, f"OP_{state.value.upper()}", answered)
            for pmi in provider_message_ids
            if (state := self.states.get(pmi)) is not None
        ]
        reports += [
            StatusReport(pmi, state, f"OP_{state.value.upper()}", answered)
            for pmi in provider_message_ids
            for state in self.parts.get(pmi, [])
        ]
        return reports

    def asked_about(self, provider_message_id: str) -> int:
        return sum(provider_message_id in request for request in self.requests)

    async def send_batch(
        self, account: AccountConfig, messages: Sequence[OutgoingSms]
    ) -> list[SendResult]:
        raise AssertionError("the status-poller never sends")

    async def lookup(self, account: AccountConfig, client_reference: str) -> SendResult | None:
        raise AssertionError("the status-poller never looks submissions up")

    async def check_credentials(self, account: AccountConfig) -> None:
        return None

    def parse_receipt(self, receipt: InboundReceipt) -> list[StatusReport]:
        raise MalformedReceiptError("the fake operator pushes no receipts")

    def receipt_answer(self, *, accepted: bool) -> ReceiptAnswer:
        return ReceiptAnswer(200 if accepted else 400, "OK" if accepted else "KO")


class TestClock:
    """A clock the test moves by hand (it starts at the real time)."""

    __test__ = False

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


# The settings that make the loop fast enough for tests (seconds instead of minutes).
FAST = {
    "poll_tick_s": 0.1,
    "poll_interval_s": 0.5,
    "poll_retry_s": 0.5,
    "poll_backoff_after_s": 3600,
    "late_poll_interval_s": 0.5,
}


def school_settings(
    uai: str,
    dialect: str,
    box: SecretBox,
    *,
    version: int = 1,
    provider_code: str = PROVIDER_CODE,
    receipt_secret: str | None = None,
    base_url: str = "http://operator.invalid/api",
) -> SchoolSettingsV1:
    return SchoolSettingsV1(
        producer="events",
        uai=uai,
        version=version,
        name=f"Collège {uai}",
        sms_enabled=True,
        time_zone="Europe/Paris",
        school_year_start_month=9,
        provider=ProviderAccountV1(
            provider_code=provider_code,
            dialect=dialect,
            base_url=base_url,
            key=f"KEY-{uai}",
            password_encrypted=box.encrypt(f"password-{uai}"),
            receipt_secret_encrypted=box.encrypt(receipt_secret) if receipt_secret else None,
        ),
    )


def submitted(
    uai: str,
    *,
    state: str = "in_transit",
    provider_message_id: str | None = None,
    sms_id: UUID | None = None,
    submitted_at: datetime | None = None,
) -> SmsSubmittedV1:
    sms_id = sms_id or uuid4()
    return SmsSubmittedV1(
        producer="dispatcher",
        uai=uai,
        correlation_id=uuid4(),
        sms_id=sms_id,
        state=state,  # type: ignore[arg-type]
        provider_code=PROVIDER_CODE,
        provider_message_id=(
            provider_message_id
            if provider_message_id is not None or state != "in_transit"
            else f"OP-{sms_id.hex[:12]}"
        ),
        segments=1,
        submitted_at=submitted_at or datetime.now(UTC),
        absence_id=uuid4(),
        action_code="SMS1",
        recipient_role="Légal 1 - Financier",
        client_reference=str(sms_id),
    )


def rejected(uai: str, *, sms_id: UUID | None = None) -> SmsRejectedV1:
    return SmsRejectedV1(
        producer="dispatcher",
        uai=uai,
        sms_id=sms_id or uuid4(),
        state="failed",
        reason_code="bad_credentials",
        message_fr=(
            "Le service d'envoi de SMS est injoignable ou ne répond pas : "
            "vérifier les paramètres du fournisseur de service."
        ),
        absence_id=uuid4(),
        action_code="SMS1",
        recipient_role="Légal 2",
        rejected_at=datetime.now(UTC),
    )


@dataclass
class Poller:
    """A running status-poller and the means to feed it and watch what it publishes."""

    app: FastAPI
    settings: StatusPollerSettings
    bootstrap: str
    prefix: str
    producer: AIOKafkaProducer
    box: SecretBox = field(init=False)

    def __post_init__(self) -> None:
        self.box = SecretBox(self.settings.data_encryption_keys.get_secret_value())

    @property
    def resources(self) -> Resources:
        resources: Resources = self.app.state.resources
        return resources

    async def publish(self, *messages: Envelope) -> None:
        for message in messages:
            await self.producer.send_and_wait(
                self.prefix + message.TOPIC, encode(message), key=message.kafka_key
            )

    async def configure_school(self, uai: str, dialect: str, **kwargs: Any) -> None:
        """Publish the school's settings and wait until the poller stored its account."""
        await self.publish(school_settings(uai, dialect, self.box, **kwargs))

        async def stored() -> bool:
            async with tenant_transaction(self.resources.pool, {uai}) as conn:
                found = await conn.fetchval(
                    "SELECT dialect FROM provider_accounts WHERE uai = $1", uai
                )
            return bool(found == dialect)

        await eventually(stored, timeout=60)

    async def post_receipt(
        self,
        dialect: str,
        uai: str,
        secret: str,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Push a receipt to the webhook, in process (the caller's address is 127.0.0.1)."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://status-poller"
        ) as client:
            return await client.post(
                f"/api/v1/receipts/{dialect}/{uai}/{secret}",
                content=body,
                headers={"content-type": "application/json", **(headers or {})},
            )

    async def statuses(self, sms_id: UUID | None = None) -> list[SmsStatusV1]:
        records = await read_all(self.bootstrap, self.prefix + SMS_STATUS, settle=0)
        # One school's messages share a partition, so the records of one SMS are in order.
        found = [decode_as(SmsStatusV1, record.value) for record in records]
        return [s for s in found if sms_id is None or s.sms_id == sms_id]

    async def states(self, sms_id: UUID) -> list[tuple[str, bool]]:
        return [(s.state.value, s.own_verdict) for s in await self.statuses(sms_id)]

    async def wait_states(
        self, sms_id: UUID, expected: list[tuple[str, bool]], *, timeout: float = 30
    ) -> list[SmsStatusV1]:
        """Wait until the SMS's published story is `expected`, and fail if it goes beyond."""

        async def reached() -> bool:
            states = await self.states(sms_id)
            assert states == expected[: len(states)], states
            return states == expected

        await eventually(reached, timeout=timeout, interval=0.3)
        return await self.statuses(sms_id)

    async def row(self, sms_id: UUID) -> Any:
        async with self.resources.pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "test: read one tracked SMS")
            return await conn.fetchrow("SELECT * FROM tracked_sms WHERE sms_id = $1", sms_id)

    async def settled(self) -> None:
        """Wait until every consumed message is applied and every outbox row published."""

        async def done() -> bool:
            caught_up = await group_caught_up(
                self.bootstrap, self.prefix + GROUP, [self.prefix + t for t in CONSUMED]
            )
            pending = await self.resources.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            return caught_up and pending == 0

        await eventually(done, timeout=60, interval=0.3)


@contextlib.asynccontextmanager
async def running_poller(
    isolation: Any,
    adapters: AdapterRegistry | None,
    *,
    clock: Clock | None = None,
    **overrides: Any,
) -> AsyncIterator[Poller]:
    """A poller on the test's infrastructure; `adapters=None` keeps the default registry (the
    simulator's adapter over a real HTTP client)."""
    settings = isolation.settings(StatusPollerSettings, **{**FAST, **overrides})
    if clock is None:
        app = build_app(settings, adapters=adapters)
    else:
        app = build_app(settings, adapters=adapters, clock=clock)
    producer = AIOKafkaProducer(
        bootstrap_servers=isolation.infra.kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        async with app.router.lifespan_context(app):
            yield Poller(app, settings, isolation.infra.kafka_bootstrap, isolation.prefix, producer)
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def serving_http(app: FastAPI) -> AsyncIterator[str]:
    """Serve an app whose lifespan already runs over real HTTP on a free loopback port, with the
    service's own logging choices (no access log); yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            access_log=False,
            log_config=None,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server), timeout=15, interval=0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: uvicorn.Server) -> bool:
    return server.started
