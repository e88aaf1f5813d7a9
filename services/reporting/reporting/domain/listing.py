"""What a "Suivi des SMS" list asks for, and what one listed SMS shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from reporting.domain.presentation import reason_message, status_line
from reporting.domain.tracking import Tab
from shared.states import SmsState

MAX_PAGE_SIZE = 200
#: In progress, yet no delivery state will come by itself: staff should look at them.
MARKED_STATES = frozenset({SmsState.UNCONFIRMED, SmsState.SENT_UNCONFIRMED})
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class SmsFilter:
    """The tab and the optional filters of a list (all combined with AND)."""

    tab: Tab = Tab.IN_PROGRESS
    state: SmsState | None = None
    division: str | None = None
    pupil: str | None = None  # name contains, without regard to case or accents
    action: str | None = None  # action code or label
    diffused_from: date | None = None  # day of diffusion in the school's time zone, inclusive
    diffused_to: date | None = None  # inclusive

    @property
    def tab_only(self) -> bool:
        """No filter besides the tab: the count is the tab's counter."""
        return (
            self.state is None
            and self.division is None
            and self.pupil is None
            and self.action is None
            and self.diffused_from is None
            and self.diffused_to is None
        )


@dataclass(frozen=True)
class ListedSms:
    """One line of a list, as read from the read model."""

    sms_id: UUID
    absence_id: UUID | None
    action_label: str
    pupil_name: str
    division: str | None
    event_label: str
    recipient_role: str | None
    state: SmsState
    reason_code: str | None
    stored_reason_message: str | None
    provider_message_id: str | None
    state_changed_at: datetime
    time_zone: str
    diffused_at: datetime

    @property
    def state_label(self) -> str:
        return self.state.label_fr

    @property
    def mark(self) -> str | None:
        """What the "Suivi des SMS" tab flags on an SMS in progress that nobody saw arrive:
        "à vérifier" (outcome unknown: resend or keep) or "envoyé, sans accusé"."""
        return self.state.label_fr if self.state in MARKED_STATES else None

    @property
    def reason_message(self) -> str | None:
        return reason_message(self.reason_code, self.stored_reason_message)

    @property
    def status_line(self) -> str:
        return status_line(
            self.state, self.state_changed_at, self.time_zone, self.provider_message_id
        )
