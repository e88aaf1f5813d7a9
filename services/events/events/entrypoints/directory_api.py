"""HTTP routes of the school's directory: SIECLE and CSV imports, pupils and their recipients."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1", tags=["directory"])
