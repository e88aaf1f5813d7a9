"""The deployment files (Compose, Kubernetes, Prometheus, Dockerfile) agree with the code: every
variable given to a service is one of its settings, ports and probes match, the production files
carry no local default key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dispatcher.settings import DispatcherSettings
from events.settings import EventsSettings
from reporting.settings import ReportingSettings
from shared.settings import ServiceSettings
from status_poller.settings import StatusPollerSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "events": EventsSettings,
    "dispatcher": DispatcherSettings,
    "status-poller": StatusPollerSettings,
    "reporting": ReportingSettings,
}
MODULES = {
    "events": "events",
    "dispatcher": "dispatcher",
    "status-poller": "status_poller",
    "reporting": "reporting",
}


def port_of(service: str) -> int:
    port: int = SETTINGS[service].model_fields["http_port"].default
    return port


def check_variables(service: str, names: list[str]) -> None:
    cls = SETTINGS[service]
    prefix = str(cls.model_config.get("env_prefix"))
    for name in names:
        assert name.startswith(prefix), f"{service}: {name} lacks the prefix {prefix}"
        assert name[len(prefix) :].lower() in cls.model_fields, f"{service}: {name} is no setting"


@pytest.mark.parametrize("file", ["compose.yaml", "compose.all-in-one.yaml"])
def test_compose_gives_each_service_only_its_own_settings(file: str) -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / file).read_text())
    for service in SETTINGS:
        spec = compose["services"][service]
        assert spec["command"] == [MODULES[service]]
        env: dict[str, Any] = spec["environment"]
        check_variables(service, list(env))
        prefix = str(SETTINGS[service].model_config.get("env_prefix"))
        assert env[f"{prefix}HTTP_PORT"] == str(port_of(service))
        assert env[f"{prefix}HTTP_HOST"] == "0.0.0.0"


def test_the_production_compose_file_demands_real_secrets() -> None:
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    for service in SETTINGS:
        env = compose["services"][service]["environment"]
        prefix = str(SETTINGS[service].model_config.get("env_prefix"))
        assert env[f"{prefix}PROFILE"] == "production"
        for key in ("DATA_ENCRYPTION_KEYS", "TOKEN_SIGNING_KEY", "DATABASE_DSN"):
            assert env[f"{prefix}{key}"].startswith("${SMS_"), key
            assert ":?" in env[f"{prefix}{key}"], f"{key} must be required, not defaulted"


def k8s_documents() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())
    docs: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((DEPLOY / "k8s" / resource).read_text()) if d]
    return docs


def test_kubernetes_deployments_agree_with_the_services() -> None:
    docs = k8s_documents()
    configmap = next(d for d in docs if d["kind"] == "ConfigMap")
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == set(SETTINGS)
    for service, deployment in deployments.items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [MODULES[service]]
        names = [e["name"] for e in container["env"]]
        check_variables(service, names)
        for entry in container["env"]:
            ref = entry.get("valueFrom", {}).get("configMapKeyRef")
            if ref:
                assert ref["key"] in configmap["data"], ref
        assert container["ports"][0]["containerPort"] == port_of(service)
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(port_of(service))
    services = {d["metadata"]["name"] for d in docs if d["kind"] == "Service"}
    assert services == set(SETTINGS)


def test_prometheus_scrapes_every_service_on_its_port() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]
    }
    assert targets == {s: f"{s}:{port_of(s)}" for s in SETTINGS}


def test_the_dockerfile_copies_what_exists() -> None:
    root = DEPLOY.parent
    for line in (DEPLOY / "docker" / "Dockerfile").read_text().splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            for source in words[1:-1]:
                assert (root / source).exists(), source


def test_the_deployment_jobs_exist_as_commands() -> None:
    from localinfra.__main__ import build_parser

    parser = build_parser()
    assert parser.parse_args(["topics", "--bootstrap", "k:9092"]).command == "topics"
    assert parser.parse_args(["provision"]).command == "provision"


async def test_the_topics_job_creates_every_topic_once(infra, isolation, monkeypatch) -> None:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    from localinfra.__main__ import main
    from shared.contracts.topics import all_topic_specs

    monkeypatch.setenv("SMS_KAFKA_BOOTSTRAP_SERVERS", infra.kafka_bootstrap)
    args = ["topics", "--prefix", isolation.prefix]
    assert await asyncio.to_thread(main, args) == 0
    assert await asyncio.to_thread(main, args) == 0  # idempotent
    admin = AIOKafkaAdminClient(bootstrap_servers=infra.kafka_bootstrap)
    await admin.start()
    try:
        found = {t for t in await admin.list_topics() if t.startswith(isolation.prefix)}
        assert found == {isolation.prefix + s.name for s in all_topic_specs()}
        await admin.delete_topics(sorted(found))
    finally:
        await admin.close()


async def test_the_provision_job_creates_a_database_the_app_role_can_use(
    infra, monkeypatch
) -> None:
    import asyncio
    import secrets
    from urllib.parse import urlsplit

    import asyncpg

    from localinfra.__main__ import main

    token = secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    monkeypatch.setenv("SMS_DATABASE_ADMIN_DSN", infra.admin_dsn)
    monkeypatch.setenv("SMS_DATABASE_OWNER_PASSWORD", secrets.token_urlsafe(12))
    monkeypatch.setenv("SMS_DATABASE_APP_PASSWORD", password)
    args = [
        "provision",
        "--database",
        f"job_{token}",
        "--owner-role",
        f"job_owner_{token}",
        "--app-role",
        f"job_app_{token}",
    ]
    assert await asyncio.to_thread(main, args) == 0
    admin = urlsplit(infra.admin_dsn)
    conn = await asyncpg.connect(
        host=admin.hostname,
        port=admin.port,
        user=f"job_app_{token}",
        password=password,
        database=f"job_{token}",
    )
    try:
        assert await conn.fetchval("SELECT current_user") == f"job_app_{token}"
    finally:
        await conn.close()
