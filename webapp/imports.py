"""Lists uploaded as CSV or XLSX, read into (line number, cells) rows, shared by every import.

A ``Sheet`` says which columns a list has: headers may be the column keys (``phone``) or their
names in Chinese or English (手机号), or a common alias. Cells arrive as text, trimmed, without
control characters; what each import makes of them is its own business, and it refuses the
whole file with every faulty line (``ImportRefused``), so nothing is half imported.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale

from webapp.errors import DomainError
from webapp.text import without_control_characters

#: a zip that inflates beyond this is not a list of people
MAX_XLSX_INFLATED = 50 * 1024 * 1024
LOCALES = ("zh_Hans", "en")
#: what a "yes" looks like in a spreadsheet cell
YES = {"yes", "y", "true", "1", "是", "同意", "已同意", "√", "✓", "x"}


class ImportRefused(DomainError):
    """Rows that cannot be imported, as (line number, field, message code); nothing was written (422)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        # one problem names its own message (e.g. an empty file); several, the general one
        super().__init__(code=problems[0][2] if len(problems) == 1 else None)
        self.args = ("; ".join(f"line {line}: {name}: {code}" for line, name, code in problems),)

    def field_messages(self) -> dict[str, list[str]]:
        """Each faulty line's messages, under ``line N`` (``column: message``): the API's ``fields``."""
        from webapp.errors import message

        found: dict[str, list[str]] = {}
        for line, name, code in self.problems:
            found.setdefault(f"line {line}", []).append(f"{name}: {message(code)}")
        return found


class ImportFileError(ImportRefused):
    """The file itself cannot be read: ``code`` for the message, ``columns`` that are missing.

    Its one problem is on line 1, the file's, so a page lists it like any faulty line.
    """

    def __init__(self, code: str, columns: Iterable[str] = ()):
        self.columns = list(columns)
        super().__init__([(1, "file", code)])


def cell_key(text: Any) -> str:
    """A cell as compared with names: spaces folded, lower case."""
    return " ".join(str(text or "").split()).lower()


def spellings(pairs: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Every way a value may be written (key, Chinese name, English name) → the key."""
    pairs = list(pairs)
    found: dict[str, str] = {}
    for locale in LOCALES:
        with force_locale(locale):
            for key, name in pairs:
                found[cell_key(name)] = key
    for key, _name in pairs:
        found[cell_key(key)] = key
    return found


def is_yes(value: Any) -> bool:
    return cell_key(value) in YES


@dataclass(frozen=True)
class Sheet:
    """The columns of one kind of list: (key, translatable name) in the template's order."""

    columns: tuple[tuple[str, Any], ...]
    required: tuple[str, ...]
    #: other headers people commonly write for a column
    aliases: Mapping[str, str] = field(default_factory=dict)

    def header_names(self) -> dict[str, str]:
        return {**self.aliases, **spellings(self.columns)}

    def template_headers(self) -> list[str]:
        """The template's header row, in the page's language."""
        return [str(name) for _key, name in self.columns]

    def names(self) -> dict[str, str]:
        """Each column's name in the page's language, by key."""
        return {key: str(name) for key, name in self.columns}


def _cell(value: Any) -> str:
    # spreadsheets store phone numbers and years as numbers: 13800138000.0 → "13800138000"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    # stray control characters (a NUL, Excel's vertical tab) would be refused in a form; a file of
    # thousands of rows loses them instead, like the spaces around a cell
    return "" if value is None else without_control_characters(str(value), multiline=True).strip()


def _rows(lines: Iterable[tuple[int, list[Any]]], sheet: Sheet) -> list[tuple[int, dict[str, str]]]:
    lines = iter(lines)
    try:
        _line, header = next(lines)
    except StopIteration:
        raise ImportFileError("import_empty") from None
    names = sheet.header_names()
    keys = [names.get(cell_key(title)) for title in header]
    missing = [key for key in sheet.required if key not in keys]
    if missing:
        raise ImportFileError("import_columns", missing)
    rows = []
    for line, values in lines:
        cells = {key: _cell(value) for key, value in zip(keys, values, strict=False) if key}
        if any(cells.values()):
            rows.append((line, cells))
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


def read_csv(body: bytes, sheet: Sheet) -> list[tuple[int, dict[str, str]]]:
    """Rows with the line each starts on (the header is line 1).

    :raises ImportFileError: undecodable text or missing required columns.
    """
    reader = csv.reader(io.StringIO(_decode(body), newline=""))

    def lines() -> Iterator[tuple[int, list[Any]]]:
        start = 1
        try:
            for values in reader:
                yield start, values
                start = reader.line_num + 1
        except csv.Error:
            raise ImportFileError("import_format") from None

    return _rows(lines(), sheet)


def read_xlsx(body: bytes, sheet: Sheet) -> list[tuple[int, dict[str, str]]]:
    """Rows of the first worksheet with their row numbers (the header is row 1).

    :raises ImportFileError: not a readable workbook, or missing required columns.
    """
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_INFLATED:
                raise ImportFileError("import_format")
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=True)
        try:
            worksheet = workbook.worksheets[0]
            lines = [(n, list(values)) for n, values in enumerate(worksheet.iter_rows(values_only=True), 1)]
        finally:
            workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise ImportFileError("import_format") from None
    return _rows(lines, sheet)


def read_file(filename: str, body: bytes, sheet: Sheet) -> list[tuple[int, dict[str, str]]]:
    """CSV or XLSX, told apart by content (an XLSX is a zip) rather than by name alone.

    :raises ImportFileError: as ``read_csv`` and ``read_xlsx``.
    """
    if body.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return read_xlsx(body, sheet)
    if filename.lower().endswith((".xls", ".numbers", ".ods")):
        raise ImportFileError("import_format")
    return read_csv(body, sheet)
