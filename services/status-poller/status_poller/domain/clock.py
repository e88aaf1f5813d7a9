"""Where the status-poller reads the time: injectable, so that tests can let 48 hours pass."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

#: Returns the current time, timezone-aware (UTC).
Clock = Callable[[], datetime]
