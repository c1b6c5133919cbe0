"""Bounds on the work an uploaded XLSX can cause, checked before openpyxl parses it.

An XLSX is a zip of XML parts. Three kinds of file tied up a web worker for a minute: a tiny sheet
declaring `A1:XFD1048576` (openpyxl pads every row to the declared size), a deflate bomb (a few MB
unpacking to gigabytes), and a sheet without a declared size whose rows reach far right or far down
(openpyxl scans it all to find its size, then pads every row). So, before openpyxl sees the file,
`xlsx_guard`:

1. checks the zip directory alone: number of parts, each part's and the total unpacked size, the
   compression ratio. Python's zipfile never inflates a part beyond its declared size (a part that
   lies about it fails its checksum), so these sizes bound all later reading;
2. streams every XML part once, with byte searches and regular expressions that run in C, and
   refuses at the first limit: a document type declaration (how entity bombs start), a declared
   `<dimension ref=...>` beyond the row and column limits, a row number or cell column beyond them,
   more rows, cells or tags than the limits. These are what the file really holds.

The import then opens the workbook read-only, checks the dimension openpyxl read (`check_declared_size`),
ignores it for padding, and refuses a row reaching past the column limit as it reads (transfer_formats.py).
What openpyxl may do is thus bounded by a small multiple of the largest legitimate import.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from django.utils.translation import gettext as _

from sharing_platform.errors import DomainValidationError

from ..error_codes import InstrumentErrorCode

# Formatted but empty rows at the bottom of a sheet are skipped; past this row we stop reading.
IMPORT_MAX_SHEET_ROWS = 100_000
# The exchange format has 23 columns; empty or formatted columns beyond them are tolerated up to here.
IMPORT_MAX_COLUMNS = 200
# Cells written in sheets, empty and formatted ones included (5,001 rows x 23 columns is 115,023).
IMPORT_MAX_CELLS = 300_000
# XML tags ("<") in all parts together: a 5,000-row workbook has 540,000 to 640,000.
IMPORT_MAX_XML_TAGS = 1_000_000
# Unpacked sizes. A 5,000-row export is about 10 MB of sheet XML; a deflate bomb expands about
# 1,000 times, spreadsheet XML 5 to 30 times; parts under XLSX_RATIO_FROM_BYTES may compress at will.
XLSX_MAX_MEMBERS = 1000
XLSX_MAX_MEMBER_BYTES = 50 * 1024 * 1024
XLSX_MAX_TOTAL_BYTES = 100 * 1024 * 1024
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM_BYTES = 1024 * 1024
READ_CHUNK = 256 * 1024
OVERLAP = 256  # bytes of the previous chunk searched again, so a tag split by a chunk border is seen

# Searched in C: start tags of rows and cells (also with a namespace prefix such as `<x:row `; a
# prefixed "x:row>" is left out, as end tags end that way too), the declared dimension, and `r="..."`
# references whose row has 6 digits or more or whose column has 2 or 3 letters (the only candidates
# past the limits; legitimate sheets have almost none). The tag budget bounds whatever these miss.
_ROW_TAGS = (b"<row ", b"<row>", b":row ")
_CELL_TAGS = (b"<c ", b"<c>", b"<c/>", b":c ", b":c/>")
_DIMENSION = re.compile(rb'dimension\s[^>]{0,200}?\bref\s*=\s*["\']([^"\']{0,64})')
_FAR_ROW = re.compile(rb' r="\$?[A-Za-z]{0,3}\$?(\d{6,})"')
_WIDE_CELL = re.compile(rb' r="\$?([A-Za-z]{2,3})\$?(\d+)"')
_CELL_REFERENCE = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d+)\Z")


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA, 16384 -> XFD."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}"


def unreadable_error() -> DomainValidationError:
    return DomainValidationError(
        _("The file is not a readable Excel workbook (.xlsx). Save it again as .xlsx or CSV."),
        field="file",
        code=InstrumentErrorCode.MALFORMED_FILE,
    )


def sheet_too_long_error() -> DomainValidationError:
    return DomainValidationError(
        _(
            "The sheet goes on past row %(limit)d (empty or formatted rows count too). Delete the unused rows "
            "below the data, or copy the data into a new sheet, and upload again."
        )
        % {"limit": IMPORT_MAX_SHEET_ROWS},
        field="file",
        code=InstrumentErrorCode.SHEET_TOO_LARGE,
    )


def sheet_too_wide_error(row: int, column: int) -> DomainValidationError:
    return DomainValidationError(
        _(
            "Row %(row)d has cells as far as column %(column)s; an import reads at most %(limit)d columns. Delete "
            "the unused columns to the right of the data and upload again."
        )
        % {"row": row, "column": column_letter(column), "limit": IMPORT_MAX_COLUMNS},
        field="file",
        code=InstrumentErrorCode.SHEET_TOO_LARGE,
    )


def _too_many_cells_error() -> DomainValidationError:
    return DomainValidationError(
        _(
            "The workbook holds more than %(limit)s cells (empty and formatted ones included); a workbook of "
            "5,000 instruments has about 115,000. Copy the data into a new workbook and upload again."
        )
        % {"limit": f"{IMPORT_MAX_CELLS:,}"},
        field="file",
        code=InstrumentErrorCode.SHEET_TOO_LARGE,
    )


def _too_many_tags_error() -> DomainValidationError:
    return DomainValidationError(
        _(
            "The workbook holds more than %(limit)s XML tags (cells, rows and formatting, empty ones included); "
            "a workbook of 5,000 instruments has about 600,000. Copy the data into a new workbook and upload "
            "again."
        )
        % {"limit": f"{IMPORT_MAX_XML_TAGS:,}"},
        field="file",
        code=InstrumentErrorCode.SHEET_TOO_LARGE,
    )


def _declared_too_large_error(ref: str, columns: int, rows: int) -> DomainValidationError:
    return DomainValidationError(
        _(
            "The sheet declares its used range as %(range)s (%(rows)d rows, %(columns)d columns); an import reads "
            "at most %(max_rows)d rows and %(max_columns)d columns. Delete the unused rows and columns around "
            "the data, or copy the data into a new workbook, and upload again."
        )
        % {
            "range": ref[:40],
            "rows": rows,
            "columns": columns,
            "max_rows": IMPORT_MAX_SHEET_ROWS,
            "max_columns": IMPORT_MAX_COLUMNS,
        },
        field="file",
        code=InstrumentErrorCode.SHEET_TOO_LARGE,
    )


def _check_archive(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    if len(members) > XLSX_MAX_MEMBERS:
        raise DomainValidationError(
            _("The workbook holds %(count)d parts; a spreadsheet to import has at most %(limit)d.")
            % {"count": len(members), "limit": XLSX_MAX_MEMBERS},
            field="file",
            code=InstrumentErrorCode.FILE_TOO_LARGE,
        )
    total = 0
    for member in members:
        size = member.file_size
        total += size
        if size > XLSX_MAX_MEMBER_BYTES or total > XLSX_MAX_TOTAL_BYTES:
            raise DomainValidationError(
                _(
                    "The workbook unpacks to more than %(limit)s MB (its part %(part)s alone to %(size)s MB); an "
                    "import reads at most %(limit)s MB. Remove unused sheets, rows and pictures, or save the data "
                    "as CSV."
                )
                % {
                    "limit": _megabytes(min(XLSX_MAX_TOTAL_BYTES, XLSX_MAX_MEMBER_BYTES)),
                    "part": member.filename[:100],
                    "size": _megabytes(size),
                },
                field="file",
                code=InstrumentErrorCode.FILE_TOO_LARGE,
            )
        ratio = size / max(member.compress_size, 1)
        if size > XLSX_RATIO_FROM_BYTES and ratio > XLSX_MAX_RATIO:
            raise DomainValidationError(
                _(
                    "The workbook's part %(part)s expands %(ratio)d times when unpacked; spreadsheets expand at "
                    "most %(limit)d times, so the file is refused as a possible zip bomb. Save it again as .xlsx "
                    "or CSV."
                )
                % {"part": member.filename[:100], "ratio": ratio, "limit": XLSX_MAX_RATIO},
                field="file",
                code=InstrumentErrorCode.SUSPICIOUS_FILE,
            )
    return members


def check_declared_size(sheet: Any) -> None:
    """Refuse an openpyxl sheet whose declared used range (`<dimension ref=...>`) is beyond the limits."""
    rows, columns = sheet.max_row or 0, sheet.max_column or 0
    if rows > IMPORT_MAX_SHEET_ROWS or columns > IMPORT_MAX_COLUMNS:
        ref = f"{column_letter(sheet.min_column or 1)}{sheet.min_row or 1}:{column_letter(columns)}{rows}"
        raise _declared_too_large_error(ref, columns, rows)


class _Counts:
    """Running totals of one scan: tags and cells over the workbook, rows in the current part."""

    def __init__(self):
        self.tags = 0
        self.cells = 0
        self.rows_in_part = 0


def _check_dimension(ref: str) -> None:
    match = _CELL_REFERENCE.match(ref.split(":")[-1].strip())
    if match is None:
        return
    columns, rows = _column_number(match.group(1)), int(match.group(2))
    if rows > IMPORT_MAX_SHEET_ROWS or columns > IMPORT_MAX_COLUMNS:
        raise _declared_too_large_error(ref, columns, rows)


def _scan_chunk(window: bytes, fresh: bytes, counts: _Counts) -> None:
    """Check one chunk: `fresh` is the new bytes, `window` the same preceded by the previous chunk's tail."""
    counts.tags += fresh.count(b"<")
    if counts.tags > IMPORT_MAX_XML_TAGS:
        raise _too_many_tags_error()
    if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
        # Spreadsheets never declare a document type; a declaration is how entity bombs start.
        raise unreadable_error()
    counts.rows_in_part += sum(fresh.count(tag) for tag in _ROW_TAGS)
    if counts.rows_in_part > IMPORT_MAX_SHEET_ROWS:
        raise sheet_too_long_error()
    counts.cells += sum(fresh.count(tag) for tag in _CELL_TAGS)
    if counts.cells > IMPORT_MAX_CELLS:
        raise _too_many_cells_error()
    if b"dimension" in window:
        for match in _DIMENSION.finditer(window):
            _check_dimension(match.group(1).decode("ascii", "replace"))
    for match in _FAR_ROW.finditer(window):
        if int(match.group(1)) > IMPORT_MAX_SHEET_ROWS:
            raise sheet_too_long_error()
    for match in _WIDE_CELL.finditer(window):
        column = _column_number(match.group(1).decode("ascii"))
        if column > IMPORT_MAX_COLUMNS:
            raise sheet_too_wide_error(int(match.group(2)), column)


def _scan_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, counts: _Counts) -> None:
    counts.rows_in_part = 0
    tail = b""
    with archive.open(member) as stream:
        while fresh := stream.read(READ_CHUNK):
            _scan_chunk(tail + fresh, fresh, counts)
            tail = fresh[-OVERLAP:]


def xlsx_guard(content: bytes) -> None:
    """Refuse, with the reason, an XLSX whose unpacked size or content exceeds the import's limits.

    Raises DomainValidationError (400); inflates no more than the limits allow.
    """
    counts = _Counts()
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for member in _check_archive(archive):
                if member.filename.lower().endswith((".xml", ".rels")):
                    _scan_part(archive, member, counts)
    # RuntimeError: an encrypted part; NotImplementedError: an unknown compression method.
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        raise unreadable_error() from error
