"""Known sequences through the real broker: duplicates, out of order, month and school-year
boundaries in two territories, a failed SMS, an expired one, one "sans accusé"; every tab, the
filters, the CSV and every figure of the synthesis; then a rebuild into an empty schema gives
the same answers and hands the consumer group over."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from reporting_support import rejected, requested, status, submitted, token
from support.kafka_probe import eventually, group_caught_up
from test_reporting_pipeline import publish

from reporting.cli import rebuild
from reporting.main import CONSUMER_GROUP, build_app
from reporting.settings import ReportingSettings
from shared.auth import Role
from shared.contracts import Envelope
from shared.contracts.topics import SMS_REJECTED, SMS_REQUESTED, SMS_STATUS, SMS_SUBMITTED
from shared.db.pool import create_pool, set_all_schools_scope

PARIS = "0750001A"
REUNION = "9740001C"
REUNION_CALENDAR = {"time_zone": "Indian/Reunion", "school_year_start_month": 8, "uai": REUNION}
TOPICS = [SMS_REQUESTED, SMS_SUBMITTED, SMS_REJECTED, SMS_STATUS]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Scenario:
    """The SMS of the two schools and the messages that tell about them."""

    def __init__(self) -> None:
        self.ids: dict[str, UUID] = {
            name: uuid4()
            for name in (
                "first_of_sept",  # 01/09/2011 00:30 in Paris, still August in UTC: delivered
                "last_of_aug",  # 31/08/2011 23:30 in Paris: previous school year; in transit
                "failed",  # no credit at the operator
                "expired",  # our own verdict: no answer within the validity window
                "no_receipt",  # "envoyé, sans accusé"
                "to_check",  # outcome unknown: "à vérifier"
                "early_status",  # its delivery is told before its request
                "reunion_aug",  # 01/08/2012 00:30 in La Réunion: school year 2012
                "reunion_jul",  # 31/07/2012 23:30 in La Réunion: school year 2011
            )
        }

    def messages(self) -> list[Envelope]:
        i = self.ids
        sept = utc(2011, 8, 31, 22, 30)
        aug = utc(2011, 8, 31, 21, 30)
        request_twice = requested(i["first_of_sept"], uai=PARIS, diffused_at=sept)
        messages: list[Envelope] = [
            request_twice,
            submitted(i["first_of_sept"], uai=PARIS, submitted_at=sept + timedelta(seconds=5)),
            status(
                i["first_of_sept"], "delivered", uai=PARIS, changed_at=sept + timedelta(minutes=2)
            ),
            request_twice,  # the same message again (the inbox drops it)
            request_twice.model_copy(update={"message_id": uuid4()}),  # republished
            requested(i["last_of_aug"], uai=PARIS, diffused_at=aug, division="3A"),
            submitted(i["last_of_aug"], uai=PARIS, submitted_at=aug + timedelta(seconds=5)),
            requested(
                i["failed"], uai=PARIS, diffused_at=utc(2011, 9, 20, 8), pupil_name="DURAND Paul"
            ),
            rejected(
                i["failed"],
                uai=PARIS,
                state="failed",
                reason_code="no_credit",
                message_fr="Le compte auprès du fournisseur de service n'a plus de crédit.",
                rejected_at=utc(2011, 9, 20, 8, 1),
            ),
            requested(i["expired"], uai=PARIS, diffused_at=utc(2011, 9, 21, 8)),
            submitted(i["expired"], uai=PARIS, submitted_at=utc(2011, 9, 21, 8, 0, 5)),
            status(
                i["expired"],
                "undelivered",
                uai=PARIS,
                own_verdict=True,
                reason_code="expired",
                changed_at=utc(2011, 9, 23, 8),
            ),
            requested(
                i["no_receipt"],
                uai=PARIS,
                diffused_at=utc(2011, 10, 3, 7),
                action_code="SMS2",
                action_label="SMS relance",
            ),
            status(
                i["no_receipt"],
                "sent_unconfirmed",
                uai=PARIS,
                own_verdict=True,
                changed_at=utc(2011, 10, 3, 7, 1),
                action_code="SMS2",
            ),
            requested(i["to_check"], uai=PARIS, diffused_at=utc(2011, 10, 4, 7)),
            submitted(
                i["to_check"],
                uai=PARIS,
                state="unconfirmed",
                provider_message_id=None,
                submitted_at=utc(2011, 10, 4, 7, 1),
            ),
            # Out of order: the delivery, then the submission, then the request.
            status(i["early_status"], "delivered", uai=PARIS, changed_at=utc(2011, 10, 5, 7, 3)),
            submitted(i["early_status"], uai=PARIS, submitted_at=utc(2011, 10, 5, 7, 1)),
            requested(
                i["early_status"],
                uai=PARIS,
                diffused_at=utc(2011, 10, 5, 7),
                pupil_name="LEFÈVRE Éloïse",
                division="3A",
            ),
            requested(i["reunion_aug"], diffused_at=utc(2012, 7, 31, 20, 30), **REUNION_CALENDAR),
            status(
                i["reunion_aug"],
                "delivered",
                uai=REUNION,
                changed_at=utc(2012, 7, 31, 20, 35),
            ),
            requested(i["reunion_jul"], diffused_at=utc(2012, 7, 31, 19, 30), **REUNION_CALENDAR),
            status(i["reunion_jul"], "invalid", uai=REUNION, reason_code="invalid_number"),
        ]
        return messages


@asynccontextmanager
async def running(settings: ReportingSettings, uai: str) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://t",
            headers={"Authorization": f"Bearer {token(settings, Role.ACADEMIE_ADMIN, ())}"},
        ) as client,
    ):
        yield client


async def caught_up(settings: ReportingSettings) -> None:
    prefix = settings.topic_prefix

    async def done() -> bool:
        return await group_caught_up(
            settings.kafka_bootstrap_servers,
            prefix + CONSUMER_GROUP,
            [prefix + t for t in TOPICS],
        )

    await eventually(done, timeout=90, interval=0.3)


QUERIES: list[tuple[str, dict[str, Any]]] = (
    [
        (f"/api/v1/schools/{PARIS}/sms", {"tab": tab, "page_size": 200})
        for tab in ("in_progress", "delivered", "invalid_or_undelivered", "all")
    ]
    + [
        (f"/api/v1/schools/{PARIS}/sms", {"tab": "all", **f})
        for f in (
            {"division": "3A"},
            {"pupil": "eloise"},
            {"action": "SMS relance"},
            {"state": "unconfirmed"},
            {"from": "2011-09-01", "to": "2011-09-30"},
            {"page": 2, "page_size": 3},
        )
    ]
    + [
        (f"/api/v1/schools/{PARIS}/sms/synthesis", {"school_year": 2011}),
        (f"/api/v1/schools/{PARIS}/sms/synthesis", {"school_year": 2010}),
        (f"/api/v1/schools/{PARIS}/sms/synthesis", {"calendar_year": 2011}),
        (f"/api/v1/schools/{REUNION}/sms/synthesis", {"school_year": 2012}),
        (f"/api/v1/schools/{REUNION}/sms/synthesis", {"school_year": 2011}),
        (f"/api/v1/schools/{REUNION}/sms", {"tab": "all"}),
        ("/api/v1/academie/sms/synthesis", {"school_year": 2011}),
        ("/api/v1/academie/sms/synthesis", {"calendar_year": 2012}),
        (f"/api/v1/schools/{PARIS}/sms/export", {"tab": "all"}),
    ]
)


async def answers(client: httpx.AsyncClient) -> list[Any]:
    collected = []
    for path, params in QUERIES:
        response = await client.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text)
        collected.append(response.text if path.endswith("/export") else response.json())
    return collected


def names(body: dict[str, Any], ids: dict[str, UUID]) -> list[str]:
    by_id = {str(v): k for k, v in ids.items()}
    return [by_id[item["sms_id"]] for item in body["items"]]


def check_live_answers(got: list[Any], ids: dict[str, UUID]) -> None:
    in_progress, delivered, failed, everything = got[:4]
    assert names(in_progress, ids) == ["to_check", "no_receipt", "last_of_aug"]
    assert [i["mark"] for i in in_progress["items"]] == [
        "à vérifier",
        "envoyé, sans accusé",
        None,
    ]
    assert in_progress["message"] == "Il y a actuellement 3 SMS"
    assert in_progress["pagination"]["label"] == "Enregistrement(s) 1 à 3, sur 3 trouvé(s)"
    assert names(delivered, ids) == ["early_status", "first_of_sept"]
    assert delivered["items"][1]["status_line"] == "Msg 719573 - délivré - 01/09/2011 à 00:32"
    assert names(failed, ids) == ["expired", "failed"]
    reasons = {i["state_label"]: i["reason_message"] for i in failed["items"]}
    assert reasons["non remis"].startswith("Aucun accusé de réception")
    assert reasons["échec d'envoi"].startswith("Le compte auprès du fournisseur")
    # The three tabs split the diffused SMS: 3 + 2 + 2 = 7 = all.
    assert everything["count"] == 7
    division, pupil, action, state, september, page2 = got[4:10]
    assert names(division, ids) == ["early_status", "last_of_aug"]
    assert names(pupil, ids) == ["early_status"]
    assert names(action, ids) == ["no_receipt"]
    assert names(state, ids) == ["to_check"]
    assert names(september, ids) == ["expired", "failed", "first_of_sept"]
    assert page2["pagination"]["label"] == "Enregistrement(s) 4 à 6, sur 7 trouvé(s)"
    paris_2011, paris_2010, paris_calendar, reunion_2012, reunion_2011 = got[10:15]
    assert paris_2011["rows"] == [
        row("SMS", "SMS1", "2011-09", 1, 3),
        row("SMS", "SMS1", "2011-10", 1, 2),
        row("SMS relance", "SMS2", "2011-10", 0, 1),
    ]
    assert paris_2011["months"] == [
        {"month": "2011-09", "label": "Total septembre", "delivered": 1, "total": 3},
        {"month": "2011-10", "label": "Total octobre", "delivered": 1, "total": 3},
    ]
    assert paris_2011["year"] == {"label": "Total Annuel", "delivered": 2, "total": 6}
    assert paris_2010["months"] == [
        {"month": "2011-08", "label": "Total août", "delivered": 0, "total": 1}
    ]
    assert paris_calendar["year"] == {"label": "Total Annuel", "delivered": 2, "total": 7}
    assert (reunion_2012["label"], reunion_2012["months"]) == (
        "2012-2013",
        [{"month": "2012-08", "label": "Total août", "delivered": 1, "total": 1}],
    )
    assert reunion_2011["months"] == [
        {"month": "2012-07", "label": "Total juillet", "delivered": 0, "total": 1}
    ]
    reunion_list = got[15]
    assert reunion_list["items"][0]["status_line"] == "Msg 719573 - délivré - 01/08/2012 à 00:35"
    academie_2011, academie_2012 = got[16:18]
    assert academie_2011["year"] == {"label": "Total Annuel", "delivered": 2, "total": 7}
    assert [(s["uai"], s["total"]) for s in academie_2011["schools"]] == [
        (PARIS, 6),
        (REUNION, 1),
    ]
    assert academie_2012["year"] == {"label": "Total Annuel", "delivered": 1, "total": 2}
    rows = list(csv.reader(io.StringIO(got[18].lstrip("\ufeff"), newline=""), delimiter=";"))
    assert len(rows) == 1 + 7
    assert [r[9] for r in rows[1:]] == [
        "05/10/2011",
        "04/10/2011",
        "03/10/2011",
        "21/09/2011",
        "20/09/2011",
        "01/09/2011",
        "31/08/2011",
    ]


def row(action: str, code: str, month: str, delivered: int, total: int) -> dict[str, Any]:
    return {
        "action": action,
        "action_code": code,
        "month": month,
        "month_label": f"{month[5:]}/{month[:4]}",
        "delivered": delivered,
        "total": total,
    }


async def table_contents(settings: ReportingSettings) -> dict[str, list[tuple[Any, ...]]]:
    pool = await create_pool(settings.database_dsn.get_secret_value(), settings.db_schema)
    queries = {
        "sms_tracking": "SELECT * FROM sms_tracking ORDER BY sms_id",
        "monthly_counts": "SELECT * FROM monthly_counts ORDER BY uai, month, action_code",
        "tab_counts": "SELECT uai, tab, count FROM tab_counts WHERE count <> 0 ORDER BY 1, 2",
        "school_calendars": "SELECT uai, time_zone, school_year_start_month FROM school_calendars"
        " ORDER BY uai",
        "state_current": "SELECT uai, operator, state, reason, current FROM state_counts"
        " WHERE current <> 0 ORDER BY 1, 2, 3, 4",
    }
    try:
        async with pool.acquire() as conn, conn.transaction():
            await set_all_schools_scope(conn, "test: compare schemas")
            contents = {}
            for name, sql in queries.items():
                records = await conn.fetch(sql)
                contents[name] = [
                    tuple(v for k, v in r.items() if k != "updated_at") for r in records
                ]
            return contents
    finally:
        await pool.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_known_sequences_give_every_tab_and_figure_and_a_rebuild_gives_the_same(
    infra, isolation, topics
) -> None:
    await topics()
    live = isolation.settings(ReportingSettings)
    scenario = Scenario()
    published = scenario.messages()
    await publish(infra.kafka_bootstrap, isolation.prefix, published)

    async with running(live, PARIS) as client:
        await caught_up(live)
        before = await answers(client)
    check_live_answers(before, scenario.ids)

    # Published while the service is stopped: the group's committed position is behind it.
    republished = published[0].model_copy(update={"message_id": uuid4()})
    await publish(infra.kafka_bootstrap, isolation.prefix, [republished])
    assert not await group_caught_up(
        infra.kafka_bootstrap,
        isolation.prefix + CONSUMER_GROUP,
        [isolation.prefix + t for t in TOPICS],
    )

    rebuilt = isolation.settings(ReportingSettings, db_schema=f"{isolation.schema}_rebuilt")
    report = await rebuild(rebuilt, hand_over=True)
    replayed = len(published) + 1
    assert (report.read, report.applied, report.skipped) == (replayed, replayed, [])
    # The hand-over gave the group the position the replay reached.
    assert await group_caught_up(
        infra.kafka_bootstrap,
        isolation.prefix + CONSUMER_GROUP,
        [isolation.prefix + t for t in TOPICS],
    )
    assert await table_contents(rebuilt) == await table_contents(live)

    async with running(rebuilt, PARIS) as client:
        assert await answers(client) == before
        # The service goes on from where the rebuild stopped: only the new message is applied.
        late = scenario.ids["last_of_aug"]
        await publish(
            infra.kafka_bootstrap,
            isolation.prefix,
            [status(late, "delivered", uai=PARIS, changed_at=utc(2011, 9, 1, 8))],
        )
        await caught_up(rebuilt)
        body = (await client.get(f"/api/v1/schools/{PARIS}/sms/synthesis?school_year=2010")).json()
        assert body["year"] == {"label": "Total Annuel", "delivered": 1, "total": 1}
        body = (await client.get(f"/api/v1/schools/{PARIS}/sms?tab=all")).json()
        assert body["count"] == 7


async def test_a_rebuild_refuses_a_schema_that_already_holds_sms(
    reporting_db, topics, isolation
) -> None:
    from reporting_support import apply

    from reporting.app.rebuild import SchemaNotEmptyError

    settings, pool = reporting_db
    await topics()
    await apply(pool, [requested()])
    with pytest.raises(SchemaNotEmptyError):
        await rebuild(settings, hand_over=False)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_a_rebuild_will_not_hand_over_while_the_service_consumes(
    infra, isolation, topics
) -> None:
    from reporting.adapters.topic_replay import GroupStillActiveError

    await topics()
    live = isolation.settings(ReportingSettings)
    await publish(infra.kafka_bootstrap, isolation.prefix, [requested(uai=PARIS)])
    async with running(live, PARIS):
        await caught_up(live)
        target = isolation.settings(ReportingSettings, db_schema=f"{isolation.schema}_rebuilt")
        with pytest.raises(GroupStillActiveError):
            await rebuild(target, hand_over=True)
