"""JSON logs, one object per line, with phone numbers masked and secrets redacted.

Every service calls `configure_logging` once at start-up. Redaction happens in a filter on the one
root handler, so it covers our loggers and the libraries' alike (uvicorn, aiokafka, faststream,
httpx, which logs every request URL, query string included).

What is redacted:

- phone numbers, wherever they appear in text: E.164 (`+33612345678`, also URL-encoded as
  `%2B33612345678`), international with `00`, French national forms (`06 12 34 56 78`,
  `0612345678`, with dots or dashes) and bare `33612345678`; the head and the last two digits stay
  so a person can still tell two numbers apart in an incident;
- the value of any mapping key, `extra` field or `name=value` pair whose name looks secret
  (password, secret, token, authorization, api_key, key, cookie...).

Integers are left alone: counts, offsets and ids must stay readable, and we never store a phone
number as an integer.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from pydantic import BaseModel

REDACTED = "***"

# The root handler is ours when it carries this attribute, so a second call replaces it.
_HANDLER_MARK = "_sms_absences_json_handler"

# Libraries that install their own handlers: theirs are removed so records reach the root handler.
# uvicorn reinstalls its own unless started with log_config=None.
PAYLOAD_LOGGERS: tuple[str, ...] = ("aiokafka", "httpx", "httpcore", "asyncpg", "faststream")

THIRD_PARTY_LOGGERS: tuple[str, ...] = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "aiokafka",
    "faststream",
    "faststream.access",
    "httpx",
    "httpcore",
    "asyncpg",
)

# --- phone numbers -------------------------------------------------------------------------------

# Boundaries: no digit, letter, dot or "word-" just before (UUID groups, decimals, versions), and no
# letter, digit, "-x" or ".digit" just after. Only digits count towards a number's length.
_BEFORE = r"(?<![\w.])(?<!\w-)"
_AFTER = r"(?![\w]|-\w|\.\d)"
# A French number written in pairs after its country code: "33 6 12 34 56 78", "33612345678".
# Separators must be consistent so that a number is never glued to whatever follows it (a status
# code, a count); other countries' numbers are recognised in compact E.164 only.
_FR_AFTER_CC = r"33[ .-]?[1-9](?P<{0}>[ .-]?)\d{{2}}(?:(?P={0})\d{{2}}){{3}}"
_PHONE_RE = re.compile(
    _BEFORE
    + r"(?:"
    + rf"(?P<plus>\+|%2[Bb])(?:{_FR_AFTER_CC.format('psep')}|[1-9]\d{{6,14}})"
    + rf"|(?P<intl>00)(?:{_FR_AFTER_CC.format('isep')}|[1-9]\d{{6,13}})"
    + r"|(?P<national>0[1-9](?P<nsep>[ .-]?)\d{2}(?:(?P=nsep)\d{2}){3})"
    + r"|(?P<bare>33[1-9]\d{8})"
    + r")"
    + _AFTER
)

# Digits kept at the head of each form: the country code and the first digit after it (mobile or
# not), or the national 0X.
_HEAD_DIGITS = {"plus": 3, "intl": 5, "national": 2, "bare": 3}


def _mask_match(match: re.Match[str]) -> str:
    text = match.group(0)
    form = next(name for name in _HEAD_DIGITS if match.group(name) is not None)
    prefix = ""
    if form == "plus":
        # "%2B" holds a digit that is not part of the number.
        prefix, text = text[: len(match.group("plus"))], text[len(match.group("plus")) :]
    digits = sum(ch.isdigit() for ch in text)
    # Short numbers keep less of their head, so at least four digits are always hidden.
    head = min(_HEAD_DIGITS[form], max(1, digits - 6))
    tail_start = digits - 2
    out: list[str] = []
    seen = 0
    for ch in text:
        if ch.isdigit():
            out.append(ch if seen < head or seen >= tail_start else "*")
            seen += 1
        else:
            out.append(ch)
    return prefix + "".join(out)


def mask_phone(s: str) -> str:
    """Mask every phone number in `s`, keeping its head and last two digits.

    `+33612345678` becomes `+336******78`; `06 12 34 56 78` becomes `06 ** ** ** 78`. UUIDs,
    timestamps, UAIs and ordinary counts are left as they are.
    """
    return _PHONE_RE.sub(_mask_match, s)


# --- secrets -------------------------------------------------------------------------------------

_SECRET_WORDS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "api_key",
    "apikey",
    "cookie",
    "credential",
)
_SECRET_PARTS = frozenset({"key", "keys", "pwd", "pass"})
_NAME_SPLIT_RE = re.compile(r"[_\-.\s]+")


def is_secret_name(name: str) -> bool:
    """Whether a field, header or parameter called `name` holds a value that must be hidden."""
    lowered = name.lower().replace("-", "_")
    if any(word in lowered for word in _SECRET_WORDS):
        return True
    # "key" as a whole part of the name (key, x_api_key, provider_key), not inside another word.
    return any(part in _SECRET_PARTS for part in _NAME_SPLIT_RE.split(lowered))


# `name=value` or `name: value` in free text (query strings, headers, reprs, JSON).
_SECRET_PAIR_RE = re.compile(
    r"(?i)(?<![\w-])"
    r"(?P<name>[\w-]*(?:password|passwd|passphrase|secret|token|authorization|api_?key|cookie)"
    r"[\w-]*|key|pwd|pass)"
    r"(?P<sep>['\"]?\s*[=:]\s*['\"]?)"
    r"(?P<scheme>(?:bearer|basic)\s+)?"
    r"(?P<value>[^\s&'\",;)}\]]+)"
)


def _redact_pair(match: re.Match[str]) -> str:
    return f"{match.group('name')}{match.group('sep')}{match.group('scheme') or ''}{REDACTED}"


def redact_text(s: str) -> str:
    """Hide secret `name=value` pairs and mask phone numbers in free text."""
    return mask_phone(_SECRET_PAIR_RE.sub(_redact_pair, s))


_MAX_DEPTH = 12


def redact(obj: Any, _depth: int = 0) -> Any:
    """A JSON-ready copy of `obj` with secrets replaced by "***" and phone numbers masked.

    Mappings have the values of secret-looking keys replaced whole; sequences and sets become lists;
    pydantic models and dataclasses are dumped first; numbers, booleans and None pass through; any
    other object is rendered with `str` and redacted as text.
    """
    if _depth > _MAX_DEPTH:
        return "…"
    if obj is None or isinstance(obj, bool | int | float):
        return obj
    if isinstance(obj, str):
        return redact_text(obj)
    if isinstance(obj, bytes | bytearray):
        return redact_text(bytes(obj).decode("utf-8", errors="replace"))
    if isinstance(obj, BaseModel):
        return redact(obj.model_dump(mode="json", by_alias=True), _depth + 1)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return redact(dataclasses.asdict(obj), _depth + 1)
    if isinstance(obj, Mapping):
        return {
            str(key): REDACTED if is_secret_name(str(key)) else redact(value, _depth + 1)
            for key, value in obj.items()
        }
    if isinstance(obj, list | tuple | set | frozenset):
        return [redact(item, _depth + 1) for item in obj]
    return redact_text(str(obj))


# --- the handler ---------------------------------------------------------------------------------

_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "taskName", "color_message"}  # color_message: uvicorn's ANSI duplicate
)
_CORE_KEYS = ("ts", "level", "logger", "service", "msg", "exc_info", "stack_info")


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and k[:1] != "_"}


def _redact_arg(arg: Any) -> Any:
    # Only strings and mappings are rewritten: other args must keep their type for %d, %.2f...
    # and are masked anyway in the final message text.
    if isinstance(arg, str):
        return redact_text(arg)
    if isinstance(arg, Mapping):
        return {k: REDACTED if is_secret_name(str(k)) else _redact_arg(v) for k, v in arg.items()}
    return arg


class RedactionFilter(logging.Filter):
    """Rewrites a record in place: message, args, extra fields and exception text redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record and let it through."""
        if record.args:
            if isinstance(record.args, Mapping):
                record.args = _redact_arg(record.args)
            else:
                record.args = tuple(_redact_arg(arg) for arg in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            # A malformed format string must not lose the record (nor show its raw args).
            message = f"{record.msg} [unformattable log arguments]"
        record.msg = redact_text(str(message))
        record.args = None
        for key, value in _extra_fields(record).items():
            setattr(record, key, REDACTED if is_secret_name(key) else redact(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, service, msg, extra fields, exc_info."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render the (already redacted) record as one line of JSON."""
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "service": self.service,
            "msg": record.getMessage(),
        }
        for key, value in _extra_fields(record).items():
            # An extra named like a core field must not overwrite it.
            payload[f"extra_{key}" if key in _CORE_KEYS else key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(self.formatException(record.exc_info))
        if record.exc_text:
            payload["exc_info"] = record.exc_text
        if record.stack_info:
            payload["stack_info"] = record.stack_info
        return json.dumps(payload, ensure_ascii=False, default=lambda o: redact_text(str(o)))


def configure_logging(service: str, level: str = "INFO", stream: IO[str] | None = None) -> None:
    """Send every log record of the process, redacted, as JSON lines to `stream` (default stdout).

    Replaces the handler a previous call installed, leaves other root handlers alone (test capture),
    and strips the handlers of the usual third-party loggers so their records go through ours. Start
    uvicorn with `log_config=None`, or it installs its own handlers again.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter(service))
    setattr(handler, _HANDLER_MARK, True)

    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _HANDLER_MARK, False):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())

    for name in THIRD_PARTY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
        # A library's own logging setup (uvicorn's dictConfig) may have left these behind.
        library_logger.setLevel(logging.NOTSET)
        library_logger.disabled = False
    # At DEBUG these libraries print whole payloads and headers (SMS texts, names, Basic auth):
    # they never go below INFO, whatever the service's level.
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    logging.captureWarnings(True)
