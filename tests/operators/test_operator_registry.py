"""The registry a process builds, and what each certified operator's module tells the form."""

from __future__ import annotations

import httpx
import pytest

from dispatcher.domain.reasons import MESSAGES_FR
from shared.operators import digitaleo, envoyersmspro, pluriware
from shared.operators.base import PermanentOperatorError
from shared.operators.registry import default_registry

CERTIFIED = {"pluriware": pluriware, "envoyersmspro": envoyersmspro, "digitaleo": digitaleo}


async def test_every_certified_operator_is_spoken_and_the_simulator_only_when_allowed() -> None:
    async with httpx.AsyncClient() as client:
        production = default_registry(client, allow_simulator=False)
        demo = default_registry(client, allow_simulator=True)

    assert production.dialects == sorted(CERTIFIED)
    assert demo.dialects == sorted([*CERTIFIED, "simulator"])
    with pytest.raises(PermanentOperatorError) as missing:
        production.get("simulator")
    assert missing.value.reason_code == "no_provider"


@pytest.mark.parametrize("dialect", sorted(CERTIFIED))
def test_each_operator_says_in_french_what_the_four_form_fields_hold(dialect: str) -> None:
    fields = CERTIFIED[dialect].FORM_FIELDS

    assert list(fields) == ["key", "password", "option1", "option2"]
    assert all(text.strip() for text in fields.values())


def test_the_envoyer_sms_pro_form_names_option_1s_exact_value() -> None:
    assert f"« {envoyersmspro.KEY_API_OPTION} »" in envoyersmspro.FORM_FIELDS["option1"]


@pytest.mark.parametrize("dialect", sorted(CERTIFIED))
def test_every_reason_of_a_mapping_table_has_its_message_for_staff(dialect: str) -> None:
    reasons = {reason for _, reason in CERTIFIED[dialect].ANSWERS.values() if reason}

    assert reasons <= set(MESSAGES_FR)
