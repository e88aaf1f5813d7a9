"""The staff web interface, in French, server-rendered by the events service."""

from __future__ import annotations

from fastapi import FastAPI

from events.settings import EventsSettings


def install(app: FastAPI, settings: EventsSettings) -> None:
    """Mount the web interface's pages and static files on the events application."""
