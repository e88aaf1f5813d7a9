"""Why an SMS was not sent, in the words staff read (the seed's message where it has one)."""

from __future__ import annotations

from shared.states import SmsState

OPERATOR_UNREACHABLE = (
    "Le service d'envoi de SMS est injoignable ou ne répond pas : "
    "Vérifier les paramètres du fournisseur de service."
)

MESSAGES_FR: dict[str, str] = {
    "operator_unreachable": OPERATOR_UNREACHABLE,
    "bad_credentials": (
        "Le fournisseur de service refuse les identifiants : vérifier la clé d'identification "
        "et le mot de passe (Paramétrages › Fournisseur de services)."
    ),
    "no_credit": "Le crédit SMS du compte est épuisé : contacter le fournisseur de service.",
    "no_provider": (
        "Aucun fournisseur de service n'est configuré pour l'établissement "
        "(Paramétrages › Fournisseur de services)."
    ),
    "provider_not_supported": (
        "Ce fournisseur de service n'est pas encore pris en charge par la plateforme : "
        "contacter l'académie."
    ),
    "sms_not_enabled": (
        "L'envoi de SMS n'est pas autorisé pour l'établissement : attendre le feu vert de "
        "l'académie."
    ),
    "invalid_number": "Numéro de téléphone invalide ou injoignable.",
    "operator_refused": "Le fournisseur de service a refusé l'envoi.",
}


def message_fr(reason_code: str) -> str:
    return MESSAGES_FR.get(reason_code, MESSAGES_FR["operator_refused"])


def rejected_state(reason_code: str) -> SmsState:
    """A bad number is "invalidé"; every other refusal is "échec d'envoi"."""
    return SmsState.INVALID if reason_code == "invalid_number" else SmsState.FAILED
