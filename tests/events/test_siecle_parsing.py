"""Reading the SIECLE exports without a database: labels, dates, booleans, numbers, hardening."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from siecle_files import Export, Link, Person, Pupil, guardians_xml, pupils_xml, zipped

from events.app.directory import eligible, ineligible_code, ineligible_reason
from events.domain import siecle, siecle_guardians
from events.domain.directory_phones import mask_mobile, read_mobile
from events.domain.siecle_sync import Incoming, effective, plan_import
from events.domain.siecle_xml import FileRefused, Limits, read

TODAY = date(2026, 11, 30)
LIMITS = Limits(upload_bytes=1_000_000)


def pupils_of(pupils: list[Pupil]) -> siecle.PupilsExport:
    xml = read("Eleves.xml", pupils_xml(pupils), LIMITS)
    return siecle.parse_pupils(xml, siecle.read_header(xml, "0750001A"), "FR", TODAY)


def labels_of(persons: list[Person], links: list[Link]) -> list[tuple[str, str]]:
    xml = read("Resp.xml", guardians_xml(persons, links), LIMITS)
    parsed = siecle_guardians.parse_guardians(xml, siecle.read_header(xml, "0750001A"), "FR")
    return [(link.recipient.role_label, link.recipient.name) for link in parsed.links]


def test_a_pupil_leaving_later_is_current_and_one_who_left_is_skipped() -> None:
    parsed = pupils_of(
        [
            Pupil("E1", "MARTIN", "Léa", left_on="15/12/2026"),
            Pupil("E2", "PETIT", "Jules", left_on="29/11/2026"),
        ]
    )
    assert [p.key for p in parsed.pupils] == ["E1"]
    assert [(s.code, s.line) for s in parsed.skipped] == [("departed", 7)]


def test_the_division_comes_from_the_d_structure_and_the_old_name_field_is_read() -> None:
    [pupil] = pupils_of([Pupil("E1", "ÉLÉGANT", "Zoé", "6E", old_name_field=True)]).pupils
    assert (pupil.last_name, pupil.first_name, pupil.division) == ("ÉLÉGANT", "Zoé", "6E")


@pytest.mark.parametrize(
    ("raw", "accepts"), [("1", True), ("true", True), ("0", False), ("false", False), ("", False)]
)
def test_accepte_sms_reads_both_boolean_forms(raw: str, accepts: bool) -> None:
    [pupil] = pupils_of([Pupil("E1", "A", "B", mobile="0612345678", accepts_sms=raw)]).pupils
    assert pupil.own is not None and pupil.own.accepts_sms is accepts


def test_the_legal_representative_who_pays_is_legal_1_whatever_the_file_order() -> None:
    persons = [Person("P1", "A", "Un"), Person("P2", "B", "Deux")]
    links = [Link("E1", "P1", level=1), Link("E1", "P2", level=1, pays=True)]
    assert labels_of(persons, links) == [
        ("Légal 1 - Financier", "Mme B Deux"),
        ("Légal 2", "Mme A Un"),
    ]


def test_without_a_payer_legal_representatives_are_numbered_by_person_id() -> None:
    persons = [Person("10", "A", "Dix"), Person("9", "B", "Neuf")]
    links = [Link("E1", "10", level=1), Link("E1", "9", level=1)]
    assert [label for label, _name in labels_of(persons, links)] == ["Légal 1", "Légal 2"]
    assert labels_of(persons, links)[0][1] == "Mme B Neuf"


def test_contacts_become_correspondents_priority_first() -> None:
    persons = [Person("P1", "A", "Un"), Person("P2", "B", "Deux"), Person("P3", "C", "Trois")]
    links = [
        Link("E1", "P1", level=3),
        Link("E1", "P2", level=3, priority=True),
        Link("E1", "P3", level=2),
    ]
    assert labels_of(persons, links) == [
        ("Correspondant n°1", "Mme B Deux"),
        ("Correspondant n°2", "Mme C Trois"),
        ("Correspondant n°3", "Mme A Un"),
    ]


def test_the_old_format_keeps_the_declared_ranks() -> None:
    persons = [Person("P1", "A", "Un"), Person("P2", "B", "Deux", civility="M.")]
    links = [Link("E1", "P1", resp_legal=2), Link("E1", "P2", resp_legal=1, pays=True)]
    assert labels_of(persons, links) == [
        ("Légal 1 - Financier", "M. B Deux"),
        ("Légal 2", "Mme A Un"),
    ]


def test_a_re_import_of_the_same_data_plans_nothing() -> None:
    parsed = pupils_of([Pupil("E1", "MARTIN", "Léa", mobile="0612345678", accepts_sms="1")])
    incoming = Incoming("siecle", parsed.pupils, None)
    first = plan_import(incoming, [], [], uuid4)
    stored_pupils = [{**row, "source": "siecle", "retired_at": None} for row in first.pupil_inserts]
    stored_recipients = [
        {**row, "staff_mobile_set": False, "staff_mobile": None, "staff_accepts_sms": None}
        for row in first.recipient_inserts
    ]
    again = plan_import(incoming, stored_pupils, stored_recipients, uuid4)
    assert not again.changes_anything
    assert again.pupils.unchanged == 1


def test_an_opt_out_from_either_side_wins() -> None:
    def accepts(imported: bool | None, staff: bool | None) -> bool:
        values = effective(
            imported_mobile="+33612345678",
            imported_problem=None,
            imported_accepts_sms=imported,
            staff_mobile_set=False,
            staff_mobile=None,
            staff_accepts_sms=staff,
        )
        return bool(values["accepts_sms"])

    assert [
        accepts(i, s) for i, s in [(True, None), (True, False), (False, True), (None, True)]
    ] == [
        True,
        False,
        False,
        True,
    ]


@pytest.mark.parametrize(
    ("raw", "region", "mobile", "problem"),
    [
        ("06 12 34 56 78", "FR", "+33612345678", None),
        ("0033 6 12 34 56 78", "FR", "+33612345678", None),
        ("0690 12 34 56", "GP", "+590690123456", None),
        ("06 12 34 56 78", "RE", "+33612345678", None),
        ("0692 12 34 56", "FR", "+262692123456", None),
        ("87 12 34 56", "PF", "+68987123456", None),
        ("06 12 34 56 78", "PF", None, "invalid_number"),
        ("01 45 67 89 10", "FR", None, "not_a_mobile"),
        ("0262 41 00 00", "RE", None, "not_a_mobile"),
        ("12345", "FR", None, "invalid_number"),
        ("", "FR", None, None),
    ],
)
def test_numbers_are_read_with_the_schools_region_and_the_shared_french_plan(
    raw: str, region: str, mobile: str | None, problem: str | None
) -> None:
    reading = read_mobile(raw, region)
    assert (reading.mobile, reading.problem) == (mobile, problem)


def test_masks_keep_the_country_code_whole() -> None:
    assert mask_mobile("+33612345678") == "+33 6 ** ** ** 78"
    assert mask_mobile("+262692123456") == "+262 6 ** ** ** 56"


@pytest.mark.parametrize(
    "prolog",
    [
        '<!DOCTYPE BEE_ELEVES SYSTEM "http://example.invalid/eleves.dtd">\n',
        '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n',
    ],
)
def test_doctype_and_entities_are_refused(prolog: str) -> None:
    with pytest.raises(FileRefused) as refused:
        read("Eleves.xml", pupils_xml([], prolog=prolog), LIMITS)
    assert refused.value.code == "xml_forbidden_construct"


def test_the_iso_8859_15_declaration_is_honoured() -> None:
    xml = read("Eleves.xml", pupils_xml([Pupil("E1", "CŒUR", "Zoé")]), LIMITS)
    assert xml.root.path("DONNEES", "ELEVES", "ELEVE") is not None
    header = siecle.read_header(xml, "0750001a")
    assert (header.kind, header.school_year, header.exported_on) == (
        "pupils",
        2026,
        date(2026, 11, 20),
    )
    assert pupils_of([Pupil("E1", "CŒUR", "Zoé")]).pupils[0].last_name == "CŒUR"


def test_an_unreadable_export_date_is_refused_with_its_line() -> None:
    xml = read("Eleves.xml", pupils_xml([], Export(exported_on="2026-11-20")), LIMITS)
    with pytest.raises(FileRefused) as refused:
        siecle.read_header(xml, "0750001A")
    assert refused.value.code == "bad_export_date"
    assert refused.value.details["line"] == 3


def test_a_zip_remade_on_a_mac_is_read_without_its_attribute_copies() -> None:
    archive = zipped(
        ("ElevesSansAdresses.xml", pupils_xml([Pupil("E1", "A", "B")])),
        ("__MACOSX/._ElevesSansAdresses.xml", b"\x00\x05\x16\x07"),
    )
    xml = read("Export.zip", archive, LIMITS)
    assert xml.name == "Export.zip › ElevesSansAdresses.xml"


def test_a_zip_with_many_entries_is_refused_before_reading_any() -> None:
    members = [(f"__MACOSX/._{i}", b"x") for i in range(20)]
    archive = zipped(("ElevesSansAdresses.xml", pupils_xml([])), *members)
    with pytest.raises(FileRefused) as refused:
        read("Export.zip", archive, LIMITS)
    assert refused.value.code == "zip_member_count"


def test_an_eleve_without_its_id_refuses_the_file_with_the_line() -> None:
    data = pupils_xml([Pupil("E1", "A", "B")]).replace(b'ELEVE_ID="E1" ', b"", 1)
    xml = read("Eleves.xml", data, LIMITS)
    with pytest.raises(FileRefused) as refused:
        siecle.parse_pupils(xml, siecle.read_header(xml, "0750001A"), "FR", TODAY)
    assert (refused.value.code, refused.value.details["line"]) == ("missing_id", 6)


def test_a_repeated_pupil_id_keeps_the_first_and_reports_the_second() -> None:
    parsed = pupils_of([Pupil("E1", "A", "Premier"), Pupil("E1", "B", "Second")])
    assert [p.first_name for p in parsed.pupils] == ["Premier"]
    assert [a.code for a in parsed.anomalies] == ["duplicate_pupil"]


def test_eligibility_reads_rows_with_only_the_original_columns() -> None:
    row = {"mobile": "+33612345678", "accepts_sms": False}
    assert (eligible(row), ineligible_code(row)) == (False, "opted_out")
    assert ineligible_reason({"mobile": None, "accepts_sms": True}) == (
        "Aucun numéro de téléphone mobile renseigné."
    )
    assert eligible({"mobile": "+33612345678", "accepts_sms": True})
    assert ineligible_code({"mobile": "+33612345678", "accepts_sms": True, "retired": True}) == (
        "retired"
    )
