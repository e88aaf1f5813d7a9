"""What staff read in "Suivi des SMS": the status line, the counts and the pagination label."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from shared.states import SmsState

# Shown when a rejection or a verdict reached us without its French message (sms.status carries
# only the code); the dispatcher's own message, when known, always wins.
REASON_MESSAGES_FR: dict[str, str] = {
    "invalid_number": (
        "Le numéro de téléphone du destinataire n'est pas valide : "
        "vérifier la fiche du responsable."
    ),
    "bad_credentials": (
        "Le fournisseur de service refuse l'identification : vérifier la clé et le mot de passe "
        "dans les paramètres du fournisseur de service."
    ),
    "no_credit": (
        "Le compte auprès du fournisseur de service n'a plus de crédit : contacter le fournisseur."
    ),
    "no_provider": (
        "Aucun fournisseur de service n'est paramétré : le choisir dans "
        "Paramétrages > Fournisseur de services."
    ),
    "operator_unreachable": (
        "Le service d'envoi de SMS est injoignable ou ne répond pas : "
        "vérifier les paramètres du fournisseur de service."
    ),
    "expired": (
        "Aucun accusé de réception de l'opérateur dans le délai de validité : "
        "le SMS est considéré comme non remis."
    ),
}


def reason_message(reason_code: str | None, stored: str | None) -> str | None:
    """The French reason staff see: the one the message carried, else the code's usual text."""
    if stored:
        return stored
    if reason_code is None:
        return None
    return REASON_MESSAGES_FR.get(reason_code)


def status_line(
    state: SmsState,
    changed_at: datetime,
    time_zone: str,
    provider_message_id: str | None,
) -> str:
    """ "Msg 719573 - en transit - 13/09/2011 à 15:44", in the school's time zone.

    Without an operator message id (not yet sent, or refused before the operator), the "Msg …"
    part is left out.
    """
    local = changed_at.astimezone(ZoneInfo(time_zone))
    parts = [f"Msg {provider_message_id}"] if provider_message_id else []
    parts += [state.label_fr, f"{local:%d/%m/%Y} à {local:%H:%M}"]
    return " - ".join(parts)


def count_message(count: int) -> str:
    """ "Il y a actuellement 9 SMS" """
    return f"Il y a actuellement {count} SMS"


@dataclass(frozen=True)
class PageWindow:
    """Which records of `total` one page shows (1-based, 0 when the page shows none)."""

    page: int
    page_size: int
    total: int
    first: int
    last: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def label(self) -> str:
        """ "Enregistrement(s) 1 à 9, sur 9 trouvé(s)" """
        if self.total == 0:
            return "Aucun enregistrement trouvé"
        if self.first == 0:
            return f"Aucun enregistrement sur la page {self.page}, sur {self.total} trouvé(s)"
        return f"Enregistrement(s) {self.first} à {self.last}, sur {self.total} trouvé(s)"


def page_window(page: int, page_size: int, total: int) -> PageWindow:
    """The window of page `page` (from 1) of `page_size` records over `total` records."""
    if page < 1 or page_size < 1 or total < 0:
        raise ValueError("page and page_size start at 1; total is never negative")
    offset = (page - 1) * page_size
    if offset >= total:
        return PageWindow(page, page_size, total, 0, 0)
    return PageWindow(page, page_size, total, offset + 1, min(offset + page_size, total))
