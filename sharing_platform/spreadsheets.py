"""Cells for CSV and XLSX exports that a spreadsheet program shows and never runs (CSV/formula injection).

Excel, WPS and LibreOffice treat a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
return as a formula: an instrument named `=HYPERLINK("http://x","y")` or `+cmd|' /C calc'!A0` would
become a live link or a command in the file a provider opens (OWASP "CSV injection"). Every export
writes its cells through this module:

- CSV: such text gets a leading apostrophe, the spreadsheet convention for "this is text" (the
  instrument import strips it again, so an exported file imports back unchanged);
- XLSX: such text is written as a text cell (never a formula) with Excel's quote-prefix style, so it
  stays text even when someone edits the cell.

Plain numbers stay numbers, negative ones included (`-12.5` as a number or as text), and a lone
dash (the exports' "no value") stays a dash.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A plain number (negative ones too) and a lone dash, the usual "no value", are not formulas.
_NOT_A_FORMULA = re.compile(r"(-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|-)\Z")


def is_formula_text(value: Any) -> bool:
    """True for text a spreadsheet would read as a formula; False for plain numbers, "-" and non-text."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES) and not _NOT_A_FORMULA.match(value)


def csv_cell(value: Any) -> Any:
    """The value to write to a CSV cell: formula-like text behind an apostrophe, the rest unchanged."""
    return "'" + value if is_formula_text(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def csv_bytes(rows: Iterable[Iterable[Any]], *, lineterminator: str = "\r\n") -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads Chinese text), every cell through `csv_cell`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=lineterminator)
    for row in rows:
        writer.writerow(csv_row(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_cell(sheet, value: Any):
    """An openpyxl cell for `sheet` (normal or write-only) holding `value`, never as a formula.

    openpyxl turns every string starting with "=" into a formula; here all text is text.
    Pass the returned cells to `sheet.append`.
    """
    from openpyxl.cell import Cell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold
    cell = Cell(sheet, row=1, column=1, value=value)  # `append` sets the real position
    if isinstance(value, str):
        cell.data_type = "s"
        if is_formula_text(value):
            cell.quotePrefix = True
    return cell


def xlsx_row(sheet, values: Iterable[Any]) -> list:
    return [xlsx_cell(sheet, value) for value in values]
