"""Rotating the data encryption key re-encrypts every operator secret and republishes settings."""

from __future__ import annotations

import json

import httpx
from support.events_api import UAI, Api, seed_school

from events.app.keys import rotate_secrets
from events.app.operators import load_catalog
from events.main import build_app
from events.settings import EventsSettings
from shared.auth import TokenService
from shared.crypto import SecretBox, generate_key

OLD, NEW = generate_key(), generate_key()


async def test_rotation_re_encrypts_with_the_new_key_and_republishes_settings(
    isolation, topics
) -> None:
    await topics()
    settings = isolation.settings(EventsSettings, data_encryption_keys=OLD)
    app = build_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://e"
        ) as client:
            await seed_school(
                Api(client, TokenService(settings.token_signing_key.get_secret_value()), app)
            )
        pool = app.state.resources.pool
        async with pool.acquire() as conn:
            catalog = await load_catalog(conn, app.state.catalog_options)
        before = await pool.fetchval(
            "SELECT max(id) FROM outbox WHERE topic = 'school.settings.v1'"
        )

        report = await rotate_secrets(pool, SecretBox(f"{NEW},{OLD}"), catalog)

        assert report.schools == 1
        assert report.secrets == 2  # the password and the receipt secret
        stored = await _stored(pool)
        assert SecretBox(NEW).decrypt_text(stored["password_encrypted"]) == "s3cret-pw"
        republished = await pool.fetch(
            "SELECT payload FROM outbox WHERE topic = 'school.settings.v1' AND id > $1", before
        )
        [message] = [json.loads(r["payload"]) for r in republished]
        assert message["uai"] == UAI
        assert SecretBox(NEW).decrypt_text(message["provider"]["password_encrypted"]) == "s3cret-pw"
        assert "s3cret-pw" not in json.dumps(message)


async def _stored(pool) -> dict:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT set_config('app.tenant_uais', $1, true)", UAI)
        row = await conn.fetchrow(
            "SELECT password_encrypted FROM provider_settings WHERE uai = $1", UAI
        )
    assert row is not None
    return dict(row)
