"""A "Suivi des SMS" list as a CSV file that a French spreadsheet opens as it is.

French spreadsheets (Excel and LibreOffice set to French) read `;` as the separator (`,` is the
decimal mark), recognise UTF-8 only with a byte-order mark, read dd/mm/yyyy as a date and expect
CRLF line ends. A cell starting with = + - @ would be run as a formula: such cells get a leading
apostrophe, which the spreadsheet hides.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from reporting.domain.listing import ListedSms

BOM = "\ufeff"
HEADER = (
    "Action",
    "Nom élève",
    "Division",
    "Evènement",
    "Destinataire",
    "Etat de diffusion",
    "Etat",
    "Date de l'état",
    "Heure de l'état",
    "Date de diffusion",
    "N° de message",
    "Motif",
    "A vérifier",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_row(sms: ListedSms) -> tuple[str, ...]:
    """The cells of one SMS, dates and times in the school's time zone."""
    zone = ZoneInfo(sms.time_zone)
    changed = sms.state_changed_at.astimezone(zone)
    diffused = sms.diffused_at.astimezone(zone)
    return tuple(
        _cell(v)
        for v in (
            sms.action_label,
            sms.pupil_name,
            sms.division,
            sms.event_label,
            sms.recipient_role,
            sms.status_line,
            sms.state_label,
            f"{changed:%d/%m/%Y}",
            f"{changed:%H:%M}",
            f"{diffused:%d/%m/%Y}",
            sms.provider_message_id,
            sms.reason_message,
            "oui" if sms.mark else "",
        )
    )


def _text(rows: Iterable[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_header() -> str:
    """The start of the file: the byte-order mark and the column names."""
    return BOM + _text([HEADER])


def csv_lines(rows: Iterable[ListedSms]) -> str:
    """The lines of these SMS, each ended by CRLF."""
    return _text(csv_row(sms) for sms in rows)


def csv_file_name(uai: str, tab: str) -> str:
    """ "suivi-sms-0750001A-delivered.csv" (ASCII only: it goes into a header)."""
    return f"suivi-sms-{uai}-{tab}.csv"
