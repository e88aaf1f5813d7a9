"""SQL of the account leases: one replica serves a school's account at a time."""

from __future__ import annotations

from shared.db.types import Connection


async def take(conn: Connection, uai: str, holder: str, ttl_s: float) -> bool:
    """Take or renew the school's lease; False when another live replica holds it."""
    taken = await conn.fetchval(
        """
        INSERT INTO account_leases (uai, holder, expires_at)
        VALUES ($1, $2, now() + make_interval(secs => $3))
        ON CONFLICT (uai) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE account_leases.holder = EXCLUDED.holder OR account_leases.expires_at < now()
        RETURNING uai
        """,
        uai,
        holder,
        ttl_s,
    )
    return taken is not None


async def release(conn: Connection, uai: str, holder: str) -> None:
    await conn.execute("DELETE FROM account_leases WHERE uai = $1 AND holder = $2", uai, holder)
