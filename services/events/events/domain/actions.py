"""An SMS action's fields (Paramétrages › Actions) and their validation, with the seed's labels."""

from __future__ import annotations

from typing import Any

import phonenumbers

from events.domain.errors import DomainError
from events.domain.texts import DEFAULT_TEMPLATE, check_template

PROCESSING = "Envoi de SMS"  # "Traitement": the only one an SMS action has
ACCOUNT_CODES = frozenset({0})  # "Code fournisseur de service": one account per school for now


def check_action(values: dict[str, Any], phone_region: str) -> dict[str, Any]:
    """The action's values, checked field by field; every fault is reported with its message."""
    faults: dict[str, str] = {}
    code = (values.get("code") or "").strip()
    label = (values.get("label") or "").strip()
    delay = values.get("response_delay_days")
    template = (values.get("template") or "").strip() or DEFAULT_TEMPLATE
    phone = (values.get("contact_phone") or "").strip() or None
    if not code:
        faults["code"] = "Le libellé court est obligatoire."
    elif len(code) > 20:
        faults["code"] = "Le libellé court ne doit pas dépasser 20 caractères."
    if not label:
        faults["label"] = "Le libellé long est obligatoire."
    elif len(label) > 100:
        faults["label"] = "Le libellé long ne doit pas dépasser 100 caractères."
    if delay is None:
        faults["response_delay_days"] = "Le délai de réponse avant alerte est obligatoire."
    elif not 0 <= delay <= 365:
        faults["response_delay_days"] = (
            "Le délai de réponse avant alerte est un nombre de jours entre 0 et 365."
        )
    if len(template) > 1000:
        faults["template"] = "Le modèle de document ne doit pas dépasser 1000 caractères."
    else:
        try:
            check_template(template)
        except DomainError as exc:
            faults["template"] = exc.message
    if phone is not None and not _valid_phone(phone, phone_region):
        faults["contact_phone"] = f"Le numéro de l'émetteur est invalide : {phone}."
    if values.get("provider_account_code", 0) not in ACCOUNT_CODES:
        faults["provider_account_code"] = (
            "Code fournisseur de service inconnu : l'établissement a un seul compte, de code 0."
        )
    if faults:
        raise DomainError("invalid_action", " ".join(faults.values()), fields=faults)
    return {
        "code": code,
        "label": label,
        "response_delay_days": delay,
        "template": template,
        "contact_phone": phone,
        "provider_account_code": values.get("provider_account_code", 0),
        "active": values.get("active", True),
    }


def _valid_phone(raw: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(raw, region))
    except phonenumbers.NumberParseException:
        return False
