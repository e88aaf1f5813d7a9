"""What an absence's state means for its SMS: justified or not, and why an SMS is stopped."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from events.domain.errors import DomainError

# The seed's forms offer "AUCUN" for no motif and no justificatif.
_NONE_VALUES = frozenset({"", "aucun"})

UNKNOWN_ABSENCE = ("unknown_absence", "Absence inconnue ou supprimée.")
CANCELLED_JUSTIFIED = (
    "absence_justified",
    "Absence justifiée avant la diffusion : SMS annulé, la famille n'est pas prévenue.",
)
CANCELLED_DELETED = (
    "absence_deleted",
    "Absence supprimée avant la diffusion : SMS annulé, la famille n'est pas prévenue.",
)
RECIPIENT_GONE = (
    "recipient_removed",
    "Ce destinataire n'est plus dans la base élèves de l'établissement : SMS non envoyé.",
)
SAME_NUMBER = (
    "duplicate_number",
    "Un autre destinataire de cette absence a le même numéro : un seul SMS est envoyé.",
)


def clean_label(value: str | None) -> str | None:
    """A motif or justificatif as stored: None for an empty value or the seed's "AUCUN"."""
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _NONE_VALUES else value


def is_justified(absence: dict[str, Any]) -> bool:
    """ "Justified": a justificatif or a legitimate motif has been recorded."""
    return clean_label(absence.get("evidence")) is not None or bool(
        absence.get("reason_legitimate")
    )


def check_period(starts_at: datetime, ends_at: datetime) -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise DomainError(
            "invalid_period", "Les dates de l'absence doivent préciser leur fuseau horaire."
        )
    if ends_at < starts_at:
        raise DomainError(
            "invalid_period", "La fin de l'absence (« Au ») précède son début (« Du »)."
        )
    if ends_at - starts_at > timedelta(days=366):
        raise DomainError("invalid_period", "Une absence ne peut pas dépasser un an.")
