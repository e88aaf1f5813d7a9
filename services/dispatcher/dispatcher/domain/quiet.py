"""Quiet hours: local times of the school during which no SMS leaves (the window may span
midnight, e.g. 20:00 → 07:30)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


def parse_quiet_hours(value: Any) -> tuple[time, time] | None:
    """`{"start": "HH:MM:SS", "end": "HH:MM:SS"}` as stored, or None (no quiet hours).

    The stored jsonb may hold that object encoded once more as a JSON string (the accounts
    writer serialises it before a pool whose codec serialises again): both are read.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict) or not value.get("start") or not value.get("end"):
        return None
    start, end = time.fromisoformat(value["start"]), time.fromisoformat(value["end"])
    return None if start == end else (start, end)


def quiet_until(now: datetime, time_zone: str, window: tuple[time, time] | None) -> datetime | None:
    """When the quiet window around `now` ends (aware datetime), or None when sending is allowed."""
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(time_zone))
    clock = local.time().replace(tzinfo=None)
    # A window whose start is after its end spans midnight.
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    naive = datetime.combine(day, end)
    return naive.replace(tzinfo=ZoneInfo(time_zone))
