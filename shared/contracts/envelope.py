"""The envelope every message carries, and the field types the message contracts share.

Messages are frozen pydantic models. Consumers ignore fields they do not know, because topics evolve
within a version by adding optional fields; a breaking change is a new topic.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints


class ContractError(ValueError):
    """A message does not match its contract.

    The message names field paths and error types only, never field values: payloads hold phone
    numbers and SMS texts, and this error ends up in logs and dead-letter summaries.
    """

    def __init__(self, summary: str, errors: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(summary)
        #: (field path, error type) pairs, safe to log.
        self.errors = errors


def utc_now() -> datetime:
    """The current time, tz-aware in UTC (the default of every timestamp in the contracts)."""
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    # Normalise so that equal instants compare and serialise alike whatever offset they came in.
    return value.astimezone(UTC)


_UAI_RE = re.compile(r"\d{7}[A-Z]")


def _check_uai(value: str) -> str:
    # The checksum letter is not verified: demo and test data use UAIs made up by hand.
    normalised = value.strip().upper()
    if not _UAI_RE.fullmatch(normalised):
        raise ValueError("a UAI is 7 digits followed by one letter")
    return normalised


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not a known IANA time zone") from None
    return value


_SENDER_RE = re.compile(r"[A-Za-z0-9 ]{1,11}")
_LETTER_RE = re.compile(r"[A-Za-z]")


def _check_sender_name(value: str) -> str:
    # Operators accept only short ASCII alphanumeric senders; an all-digit one reads as a number.
    if not _SENDER_RE.fullmatch(value) or not _LETTER_RE.search(value):
        raise ValueError("at most 11 letters, digits or spaces, with at least one letter")
    return value


#: A tz-aware timestamp, normalised to UTC; naive datetimes are refused.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]

#: A school's UAI (7 digits + 1 letter), upper-cased.
Uai = Annotated[str, AfterValidator(_check_uai)]

#: A phone number in E.164 form.
E164Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]

#: An IANA time-zone name known to this machine's zoneinfo.
TimeZoneName = Annotated[str, AfterValidator(_check_time_zone)]

#: The alphanumeric sender name shown on the family's phone.
SenderName = Annotated[str, AfterValidator(_check_sender_name)]

#: A calendar month, 1 (January) to 12.
Month = Annotated[int, Field(ge=1, le=12)]


class ContractModel(BaseModel):
    """Base of every contract model, nested or not: frozen, tolerant of unknown fields."""

    # hide_input_in_errors: a ValidationError raised while building a message must not print the
    # phone number or text that failed.
    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        serialize_by_alias=True,
        hide_input_in_errors=True,
    )


class Envelope(ContractModel):
    """The fields every message carries; one subclass per topic adds its own fields beside them.

    Subclasses set `TOPIC` to their topic name and narrow `schema_` to a `Literal` of the same name,
    with that name as default, so a message of one topic cannot be read as another's.
    """

    TOPIC: ClassVar[str]

    message_id: UUID = Field(default_factory=uuid4)
    occurred_at: UtcDatetime = Field(default_factory=utc_now)
    producer: str = Field(min_length=1)
    schema_: str = Field(alias="schema")
    correlation_id: UUID | None = None
    uai: Uai

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Check at import time that a topic model's `schema` default is its topic name."""
        super().__pydantic_init_subclass__(**kwargs)
        topic = cls.__dict__.get("TOPIC")
        if topic is None:
            return
        default = cls.model_fields["schema_"].default
        if default != topic:
            raise TypeError(f"{cls.__name__}: schema default {default!r} is not TOPIC {topic!r}")

    @property
    def kafka_key(self) -> bytes:
        """The Kafka key: the school's UAI, so that one school's messages stay in order."""
        return self.uai.encode("ascii")
