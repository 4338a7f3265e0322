"""Reading a volunteer list from CSV or XLSX into (line number, data) rows for the import.

Headers may be the column keys (``phone``) or their names in Chinese or English (手机号);
enum cells may hold keys or names (急救、驾驶员). Anything unrecognized is passed on as
written, so the import reports it against its line instead of silently dropping it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from webapp.text import is_whole_number, without_control_characters
from webapp.volunteers.errors import ImportFileError
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
#: what a "yes" looks like in a spreadsheet cell
YES = {"yes", "y", "true", "1", "是", "同意", "已同意", "√", "✓", "x"}
LIST_SEPARATORS = re.compile(r"[,，、;；/|]+")
#: a zip that inflates beyond this is not a volunteer list
MAX_XLSX_INFLATED = 50 * 1024 * 1024
LOCALES = ("zh_Hans", "en")


def _key(text: Any) -> str:
    return " ".join(str(text or "").split()).lower()


def _names(pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Every way a value may be written (key, Chinese name, English name) → the key."""
    found: dict[str, str] = {}
    for locale in LOCALES:
        with force_locale(locale):
            for key, name in pairs:
                found[_key(name)] = key
    for key, _name in pairs:
        found[_key(key)] = key
    return found


def header_names() -> dict[str, str]:
    return {**HEADER_ALIASES, **_names(COLUMNS)}


def _one(value: str, names: dict[str, str]) -> str | None:
    text = _key(value)
    return names.get(text, text) if text else None


def _many(value: str, names: dict[str, str]) -> list[str]:
    return [names.get(_key(part), _key(part)) for part in LIST_SEPARATORS.split(value) if _key(part)]


def _birth_year(value: str) -> int | str | None:
    text = value.strip()
    if not text:
        return None
    return int(text) if is_whole_number(text, 4) else text


def vocabulary() -> dict[str, dict[str, str]]:
    """For each enum column, every way its values may be written."""
    return {
        "gender": _names(list(GENDER_LABELS.items())),
        "skills": _names(list(SKILL_LABELS.items())),
        "languages": _names(list(LANGUAGE_LABELS.items())),
        "availability": _names(list(AVAILABILITY_LABELS.items())),
    }


def row_data(cells: dict[str, str], vocab: dict[str, dict[str, str]]) -> dict[str, Any]:
    """One row's cells (by column key) as the data ``import_volunteers`` takes."""
    return {
        "name": cells.get("name", ""),
        "phone": cells.get("phone", ""),
        "community_code": cells.get("community_code", "").strip(),
        "consent": _key(cells.get("consent")) in YES,
        "gender": _one(cells.get("gender", ""), vocab["gender"]),
        "birth_year": _birth_year(cells.get("birth_year", "")),
        "team": cells.get("team", ""),
        "skills": _many(cells.get("skills", ""), vocab["skills"]),
        "languages": _many(cells.get("languages", ""), vocab["languages"]),
        "availability": _one(cells.get("availability", ""), vocab["availability"]),
        "guardian_name": cells.get("guardian_name", ""),
        "guardian_consent": _key(cells.get("guardian_consent")) in YES,
        "notes": cells.get("notes", ""),
    }


def _cell(value: Any) -> str:
    # spreadsheets store phone numbers and years as numbers: 13800138000.0 → "13800138000"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # stray control characters (a NUL, Excel's vertical tab) would be refused in a form; a file of
    # thousands of rows loses them instead, like the spaces around a cell
    return "" if value is None else without_control_characters(str(value), multiline=True).strip()


def _rows(lines: Iterable[tuple[int, list[Any]]]) -> list[tuple[int, dict[str, Any]]]:
    lines = iter(lines)
    try:
        _line, header = next(lines)
    except StopIteration:
        raise ImportFileError("import_empty") from None
    names = header_names()
    keys = [names.get(_key(title)) for title in header]
    missing = [key for key in REQUIRED if key not in keys]
    if missing:
        raise ImportFileError("import_columns", missing)
    rows, vocab = [], vocabulary()
    for line, values in lines:
        cells = {key: _cell(value) for key, value in zip(keys, values, strict=False) if key}
        if any(cells.values()):
            rows.append((line, row_data(cells, vocab)))
    return rows


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Chinese Windows saves "CSV" in GBK unless told otherwise
        return body.decode("gb18030")
    except UnicodeDecodeError:
        raise ImportFileError("import_format") from None


def read_csv(body: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Rows with the line each starts on (the header is line 1).

    :raises ImportFileError: undecodable text or missing required columns.
    """
    reader = csv.reader(io.StringIO(_decode(body), newline=""))

    def lines():
        start = 1
        try:
            for values in reader:
                yield start, values
                start = reader.line_num + 1
        except csv.Error:
            raise ImportFileError("import_format") from None

    return _rows(lines())


def read_xlsx(body: bytes) -> list[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet with their row numbers (the header is row 1).

    :raises ImportFileError: not a readable workbook, or missing required columns.
    """
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_INFLATED:
                raise ImportFileError("import_format")
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            lines = [(number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), 1)]
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError("import_format") from None
    return _rows(lines)


def read_file(filename: str, body: bytes) -> list[tuple[int, dict[str, Any]]]:
    """CSV or XLSX, told apart by content (an XLSX is a zip) rather than by name alone.

    :raises ImportFileError: as ``read_csv`` and ``read_xlsx``.
    """
    if body.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return read_xlsx(body)
    if filename.lower().endswith((".xls", ".numbers", ".ods")):
        raise ImportFileError("import_format")
    return read_csv(body)


def template_headers() -> list[str]:
    """The template's header row, in the page's language."""
    return [str(name) for _key, name in COLUMNS]
