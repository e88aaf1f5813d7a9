"""One frozen model per topic, the topic → model registry, and the codec every service uses.

Each message is flat: its own fields sit beside the envelope fields. It carries what its consumers
need, so that no service has to ask another (see docs/architecture.md, "Topics").
"""

from __future__ import annotations

from datetime import time
from importlib.resources import files
from typing import Annotated, ClassVar, Literal, TypeVar
from uuid import UUID

from pydantic import AfterValidator, Field, ValidationError, field_validator, model_validator

from shared.contracts import topics
from shared.contracts.envelope import (
    ContractError,
    ContractModel,
    E164Phone,
    Envelope,
    Month,
    SenderName,
    TimeZoneName,
    UtcDatetime,
)
from shared.states import DIFFUSED_STATES, SmsState

E = TypeVar("E", bound=Envelope)


class QuietHoursV1(ContractModel):
    """Local times (in the school's time zone) between which no SMS leaves; may span midnight."""

    start: time
    end: time

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: time) -> time:
        # The school's time zone gives these their meaning; an offset here would contradict it.
        if value.tzinfo is not None:
            raise ValueError("quiet hours are local times, without an offset")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHoursV1:
        if self.start == self.end:
            raise ValueError("quiet hours must start and end at different times")
        return self


class ProviderAccountV1(ContractModel):
    """A school's account with its SMS operator; secrets travel encrypted (see shared.crypto)."""

    provider_code: str = Field(min_length=1)
    dialect: str = Field(min_length=1)
    base_url: str | None = None
    # repr=False: a logged or printed model must not show account credentials, even encrypted.
    key: str | None = Field(default=None, repr=False)
    password_encrypted: str | None = Field(default=None, repr=False)
    option1: str | None = None
    option2: str | None = None
    receipt_secret_encrypted: str | None = Field(default=None, repr=False)


class SchoolSettingsV1(Envelope):
    """The latest SMS settings and provider account of a school (compacted: latest per school)."""

    TOPIC: ClassVar[str] = topics.SCHOOL_SETTINGS
    schema_: Literal["school.settings.v1"] = Field(default="school.settings.v1", alias="schema")

    # Consumers keep the highest version they have seen: a replayed older message changes nothing.
    version: int = Field(ge=0)
    name: str
    sms_enabled: bool
    sender_name: SenderName | None = None
    phone: str | None = None
    time_zone: TimeZoneName
    school_year_start_month: Month
    quiet_hours: QuietHoursV1 | None = None
    provider: ProviderAccountV1 | None = None


class SmsRequestedV1(Envelope):
    """A staff member pressed "Diffuser": this SMS must be sent."""

    TOPIC: ClassVar[str] = topics.SMS_REQUESTED
    schema_: Literal["sms.requested.v1"] = Field(default="sms.requested.v1", alias="schema")

    sms_id: UUID
    absence_id: UUID
    action_code: str
    action_label: str
    recipient_role: str
    recipient_phone: E164Phone
    text: str = Field(min_length=1)
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int = Field(ge=1)
    pupil_name: str
    division: str | None = None
    event_label: str
    school_name: str
    time_zone: TimeZoneName
    school_year_start_month: Month
    diffused_at: UtcDatetime
    diffused_by: str | None = None


class SmsSubmittedV1(Envelope):
    """The operator accepted the SMS (`in_transit`), or the outcome is unknown (`unconfirmed`)."""

    TOPIC: ClassVar[str] = topics.SMS_SUBMITTED
    schema_: Literal["sms.submitted.v1"] = Field(default="sms.submitted.v1", alias="schema")

    sms_id: UUID
    state: Literal["in_transit", "unconfirmed"]
    provider_code: str
    provider_message_id: str | None = None
    segments: int = Field(ge=1)
    submitted_at: UtcDatetime
    absence_id: UUID
    action_code: str
    recipient_role: str
    client_reference: str | None = None


class SmsResolveV1(Envelope):
    """Staff decided what becomes of an SMS "à vérifier": resend it, or keep it as sent."""

    TOPIC: ClassVar[str] = topics.SMS_RESOLVE
    schema_: Literal["sms.resolve.v1"] = Field(default="sms.resolve.v1", alias="schema")

    sms_id: UUID
    decision: Literal["resend", "keep_as_sent"]
    decided_by: str | None = None
    decided_at: UtcDatetime


class SmsRejectedV1(Envelope):
    """The SMS will not be sent: a reason code and the French message staff see."""

    TOPIC: ClassVar[str] = topics.SMS_REJECTED
    schema_: Literal["sms.rejected.v1"] = Field(default="sms.rejected.v1", alias="schema")

    sms_id: UUID
    state: Literal["invalid", "failed"]
    # e.g. invalid_number, bad_credentials, no_credit, no_provider, operator_unreachable
    reason_code: str = Field(min_length=1)
    message_fr: str
    absence_id: UUID
    action_code: str
    recipient_role: str
    rejected_at: UtcDatetime


def _diffused(state: SmsState) -> SmsState:
    if state not in DIFFUSED_STATES:
        raise ValueError("sms.status carries only states reached after diffusion")
    return state


class SmsStatusV1(Envelope):
    """A delivery state changed. Deliberately holds no phone number and no name."""

    TOPIC: ClassVar[str] = topics.SMS_STATUS
    schema_: Literal["sms.status.v1"] = Field(default="sms.status.v1", alias="schema")

    sms_id: UUID
    absence_id: UUID
    action_code: str
    recipient_role: str
    state: Annotated[SmsState, AfterValidator(_diffused)]
    label_fr: str
    reason_code: str | None = None
    operator_code: str | None = None
    provider_message_id: str | None = None
    changed_at: UtcDatetime
    # True for the states we decide ourselves (expiry, "sans accusé"): an operator's later final
    # answer may still replace them (shared.states.may_replace).
    own_verdict: bool = False
    # When the status-poller learnt the state (a poll answer, a receipt, its own verdict);
    # `changed_at` is when the operator says it happened.
    observed_at: UtcDatetime | None = None


class SmsRefreshV1(Envelope):
    """ "Mettre à jour": poll these SMS now (an empty list means all in transit for the school)."""

    TOPIC: ClassVar[str] = topics.SMS_REFRESH
    schema_: Literal["sms.refresh.v1"] = Field(default="sms.refresh.v1", alias="schema")

    sms_ids: tuple[UUID, ...] = ()
    requested_by: str | None = None
    requested_at: UtcDatetime


class ProviderHealthV1(Envelope):
    """Whether a school's operator is reachable, how many SMS wait, and the last error."""

    TOPIC: ClassVar[str] = topics.PROVIDER_HEALTH
    schema_: Literal["provider.health.v1"] = Field(default="provider.health.v1", alias="schema")

    provider_code: str | None = None
    reachable: bool
    circuit_state: Literal["closed", "open", "half_open"]
    waiting_sms: int = Field(ge=0)
    last_error_code: str | None = None
    last_error_fr: str | None = None
    checked_at: UtcDatetime


_MODELS: tuple[type[Envelope], ...] = (
    SchoolSettingsV1,
    SmsRequestedV1,
    SmsSubmittedV1,
    SmsResolveV1,
    SmsRejectedV1,
    SmsStatusV1,
    SmsRefreshV1,
    ProviderHealthV1,
)

#: Logical topic name → the model of its messages.
MESSAGE_TYPES: dict[str, type[Envelope]] = {model.TOPIC: model for model in _MODELS}


def encode(msg: Envelope) -> bytes:
    """Serialise a message for Kafka: compact JSON with the contract's field names, UTF-8."""
    return msg.model_dump_json(by_alias=True).encode("utf-8")


def decode_as(model: type[E], raw: bytes | str) -> E:
    """Parse `raw` as a message of `model`, raising `ContractError` (which names no values)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = tuple(
            (".".join(str(part) for part in err["loc"]) or "<message>", err["type"])
            for err in exc.errors(include_url=False, include_input=False, include_context=False)
        )
        details = "; ".join(f"{loc}: {kind}" for loc, kind in errors)
        # from None: the ValidationError's own text would show the offending values.
        summary = f"{model.__name__} does not match its contract: {details}"
        raise ContractError(summary, errors) from None


def decode(topic: str, raw: bytes | str) -> Envelope:
    """Parse a message read from the logical topic `topic` (without any deployment prefix)."""
    model = MESSAGE_TYPES.get(topic)
    if model is None:
        raise ContractError(f"no contract for topic {topic!r}")
    return decode_as(model, raw)


def load_example(topic: str) -> Envelope:
    """The example message of `topic`, from shared/contracts/examples/<topic>.json."""
    if topic not in MESSAGE_TYPES:
        raise ContractError(f"no contract for topic {topic!r}")
    return decode(topic, example_json(topic))


def example_json(topic: str) -> bytes:
    """The raw bytes of the example message of `topic`, as stored."""
    return files("shared.contracts").joinpath("examples", f"{topic}.json").read_bytes()
