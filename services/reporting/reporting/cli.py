"""`python -m reporting.cli …`: administration commands of the reporting service.

python -m reporting.cli rebuild --into-schema SCHEMA [--no-hand-over]
    Rebuild the read model (the "Suivi des SMS" rows, the monthly counters, the schools'
    calendars and the operations counters) by replaying sms.requested, sms.submitted,
    sms.rejected and sms.status from their oldest retained message into SCHEMA, which must be
    empty (it is created and migrated). Then, unless --no-hand-over, the consumer group
    `reporting` is given the position the replay reached, so that the service started with
    REPORTING_DB_SCHEMA=SCHEMA goes on from there. The service must be stopped for the hand-over
    (the command refuses while the group has members). Settings come from the REPORTING_*
    environment, as for the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

from reporting.adapters.report_repository import AcademieRepository
from reporting.adapters.scope import academie_transaction
from reporting.adapters.topic_replay import GroupStillActiveError, TopicReplay
from reporting.app.rebuild import RebuildReport, SchemaNotEmptyError, replay
from reporting.entrypoints.consumers import HANDLERS
from reporting.main import CONSUMER_GROUP, build_runtime
from reporting.settings import ReportingSettings
from shared.contracts.topics import TopicNaming
from shared.db.pool import create_pool
from shared.logging import configure_logging


async def rebuild(settings: ReportingSettings, *, hand_over: bool) -> RebuildReport:
    """Replay the topics into the (empty) schema of `settings`; see the module's doc."""
    naming = TopicNaming(settings.topic_prefix)
    async with TopicReplay(
        settings.kafka_bootstrap_servers, naming, list(HANDLERS), client_id="reporting-rebuild"
    ) as source:
        if hand_over and await source.group_members(CONSUMER_GROUP):
            raise GroupStillActiveError(CONSUMER_GROUP)
        await build_runtime(settings).run_migrations()
        pool = await create_pool(settings.database_dsn.get_secret_value(), settings.db_schema)
        try:
            async with academie_transaction(pool, reason="rebuild: is the schema empty") as conn:
                if await AcademieRepository(conn).any_sms():
                    raise SchemaNotEmptyError(settings.db_schema)
            report = await replay(pool, source.records(), HANDLERS, source.logical_topic)
        finally:
            await pool.close()
        if hand_over:
            await source.hand_over(CONSUMER_GROUP)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reporting.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild_cmd = commands.add_parser("rebuild", help="replay the topics into an empty schema")
    rebuild_cmd.add_argument("--into-schema", required=True, help="the empty schema to fill")
    rebuild_cmd.add_argument(
        "--no-hand-over",
        action="store_true",
        help="leave the consumer group's position alone (e.g. to compare with the live schema)",
    )
    args = parser.parse_args(argv)
    settings = ReportingSettings(db_schema=args.into_schema)
    configure_logging("reporting-cli", settings.log_level)
    started = time.monotonic()
    try:
        report = asyncio.run(rebuild(settings, hand_over=not args.no_hand_over))
    except GroupStillActiveError:
        sys.stderr.write(
            "erreur : le service reporting consomme encore (groupe actif) : l'arrêter avant la "
            "reconstruction, ou passer --no-hand-over.\n"
        )
        return 2
    except SchemaNotEmptyError:
        sys.stderr.write(
            f"erreur : le schéma « {args.into_schema} » contient déjà des SMS : "
            "choisir un schéma vide.\n"
        )
        return 2
    summary = {
        "schema": args.into_schema,
        "read": report.read,
        "applied": report.applied,
        "skipped": report.skipped,
        "seconds": round(time.monotonic() - started, 1),
        "handed_over": not args.no_hand_over,
    }
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
