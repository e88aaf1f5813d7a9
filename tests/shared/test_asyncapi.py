"""The committed AsyncAPI document is the one the code generates."""

from __future__ import annotations

from pathlib import Path

from shared.contracts.asyncapi import render_yaml
from shared.contracts.messages import MESSAGE_TYPES

COMMITTED = Path(__file__).resolve().parents[2] / "deploy" / "asyncapi.yaml"


def test_the_committed_asyncapi_document_matches_the_code() -> None:
    assert COMMITTED.read_text() == render_yaml(), (
        "deploy/asyncapi.yaml is stale: run "
        "`uv run python -m shared.contracts.asyncapi > deploy/asyncapi.yaml`"
    )


def test_every_topic_has_its_message_schema_in_the_document() -> None:
    document = COMMITTED.read_text()
    for topic, model in MESSAGE_TYPES.items():
        assert f"address: {topic}" in document
        assert f"{model.__name__}:" in document
