"""A process that runs one service's outbox relay, optionally freezing right after the broker
acknowledged a batch and before the rows are marked: the moment a SIGKILL makes duplicates.

    RELAY_DSN=… python tests/support/relay_process.py --schema S --bootstrap B [--prefix P]
        [--freeze-marker PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shared.contracts.topics import TopicNaming
from shared.db.outbox import OutboxRelay
from shared.db.pool import create_pool
from shared.kafka.producer import KafkaRecordProducer


async def main(args: argparse.Namespace) -> None:
    pool = await create_pool(os.environ["RELAY_DSN"], args.schema, min_size=1, max_size=2)
    producer = KafkaRecordProducer(args.bootstrap, client_id="relay-process")
    marker = Path(args.freeze_marker) if args.freeze_marker else None

    async def freeze(ids: list[int]) -> None:
        if marker is not None:
            marker.write_text(",".join(map(str, ids)))
            await asyncio.sleep(3600)

    relay = OutboxRelay(
        pool,
        producer,
        TopicNaming(args.prefix),
        schema=args.schema,
        poll_interval=0.05,
        on_published=freeze,
    )
    await relay.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--schema", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--freeze-marker")
    asyncio.run(main(parser.parse_args()))
