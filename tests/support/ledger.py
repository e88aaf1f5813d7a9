"""A small consumer built only from the shared plumbing, to test that plumbing on real servers.

It reads `sms.status.v1` as the consumer group `ledger` and writes one `effects` row per message.
A message whose `operator_code` is `POISON` always fails: it stands for a message no code change
will make processable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from shared.contracts import SmsStatusV1
from shared.contracts.topics import SMS_STATUS, Subscription
from shared.db.types import Connection
from shared.kafka.consumer import BatchHandler
from shared.runtime import Resources, ServiceRuntime
from shared.settings import ServiceSettings

LEDGER_MIGRATIONS = Path(__file__).parent / "ledger_migrations"
LEDGER_SUBSCRIPTION = Subscription("ledger", "ledger", SMS_STATUS)


class PoisonError(ValueError):
    safe_summary = "the ledger refuses this message"


async def record_effects(conn: Connection, messages: Sequence[SmsStatusV1]) -> None:
    if any(m.operator_code == "POISON" for m in messages):
        raise PoisonError("poison")
    await conn.executemany(
        "INSERT INTO effects (message_id, sms_id, state) VALUES ($1, $2, $3)",
        [(m.message_id, m.sms_id, m.state) for m in messages],
    )


def ledger_handlers(_resources: Resources) -> Mapping[str, BatchHandler]:
    return {SMS_STATUS: record_effects}


def ledger_runtime(settings: ServiceSettings, *, consume: bool = True) -> ServiceRuntime:
    return ServiceRuntime(
        settings,
        service="ledger",
        migrations=LEDGER_MIGRATIONS,
        consumer_group="ledger",
        handlers=ledger_handlers if consume else None,
        kafka_in_readiness=True,
    )
