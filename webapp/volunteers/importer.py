"""Reading a volunteer list from CSV or XLSX into (line number, data) rows for the import.

Headers may be the column keys (``phone``) or their names in Chinese or English (手机号);
enum cells may hold keys or names (急救、驾驶员). Anything unrecognized is passed on as
written, so the import reports it against its line instead of silently dropping it.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.imports import Sheet, cell_key, is_yes, spellings
from webapp.imports import read_file as read_sheet
from webapp.text import is_whole_number
from webapp.volunteers.labels import AVAILABILITY_LABELS, GENDER_LABELS, LANGUAGE_LABELS, SKILL_LABELS

#: (key, name): the template's columns, in order
COLUMNS = (
    ("name", _l("Name")),
    ("phone", _l("Mobile phone")),
    ("community_code", _l("Community code")),
    ("consent", _l("Consent given")),
    ("gender", _l("Gender")),
    ("birth_year", _l("Birth year")),
    ("team", _l("Team")),
    ("skills", _l("Skills")),
    ("languages", _l("Languages")),
    ("availability", _l("Availability")),
    ("guardian_name", _l("Guardian's name")),
    ("guardian_consent", _l("Guardian consent given")),
    ("notes", _l("Notes")),
)
REQUIRED = ("name", "phone", "community_code", "consent")
#: other headers people commonly write for the same columns
HEADER_ALIASES = {
    "手机": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "社区代码": "community_code",
    "同意": "consent",
    "本人同意": "consent",
}
LIST_SEPARATORS = re.compile(r"[,，、;；/|]+")


def _one(value: str, names: dict[str, str]) -> str | None:
    text = cell_key(value)
    return names.get(text, text) if text else None


def _many(value: str, names: dict[str, str]) -> list[str]:
    return [names.get(cell_key(part), cell_key(part)) for part in LIST_SEPARATORS.split(value) if cell_key(part)]


def _birth_year(value: str) -> int | str | None:
    text = value.strip()
    if not text:
        return None
    return int(text) if is_whole_number(text, 4) else text


def vocabulary() -> dict[str, dict[str, str]]:
    """For each enum column, every way its values may be written."""
    return {
        "gender": spellings(list(GENDER_LABELS.items())),
        "skills": spellings(list(SKILL_LABELS.items())),
        "languages": spellings(list(LANGUAGE_LABELS.items())),
        "availability": spellings(list(AVAILABILITY_LABELS.items())),
    }


def row_data(cells: dict[str, str], vocab: dict[str, dict[str, str]]) -> dict[str, Any]:
    """One row's cells (by column key) as the data ``import_volunteers`` takes."""
    return {
        "name": cells.get("name", ""),
        "phone": cells.get("phone", ""),
        "community_code": cells.get("community_code", "").strip(),
        "consent": is_yes(cells.get("consent")),
        "gender": _one(cells.get("gender", ""), vocab["gender"]),
        "birth_year": _birth_year(cells.get("birth_year", "")),
        "team": cells.get("team", ""),
        "skills": _many(cells.get("skills", ""), vocab["skills"]),
        "languages": _many(cells.get("languages", ""), vocab["languages"]),
        "availability": _one(cells.get("availability", ""), vocab["availability"]),
        "guardian_name": cells.get("guardian_name", ""),
        "guardian_consent": is_yes(cells.get("guardian_consent")),
        "notes": cells.get("notes", ""),
    }


SHEET = Sheet(COLUMNS, REQUIRED, HEADER_ALIASES)


def read_file(filename: str, body: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The file's rows as the data ``import_volunteers`` takes, with the line each starts on.

    :raises ImportFileError: the file cannot be read, or lacks required columns.
    """
    vocab = vocabulary()
    return [(line, row_data(cells, vocab)) for line, cells in read_sheet(filename, body, SHEET)]


def template_headers() -> list[str]:
    """The template's header row, in the page's language."""
    return SHEET.template_headers()
