"""Secrets have a working default only outside production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.crypto import generate_key
from shared.settings import ServiceSettings


def test_the_local_profile_runs_on_the_development_keys() -> None:
    assert ServiceSettings(profile="local").profile == "local"


def test_production_refuses_the_development_data_key() -> None:
    with pytest.raises(ValidationError, match="data_encryption_keys"):
        ServiceSettings(profile="production", token_signing_key="x" * 40)


def test_production_refuses_the_development_token_key() -> None:
    with pytest.raises(ValidationError, match="token_signing_key"):
        ServiceSettings(profile="production", data_encryption_keys=generate_key())


def test_production_starts_with_real_keys() -> None:
    settings = ServiceSettings(
        profile="production", data_encryption_keys=generate_key(), token_signing_key="k" * 48
    )
    assert settings.profile == "production"
