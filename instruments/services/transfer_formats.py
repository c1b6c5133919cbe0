# ruff: noqa: RUF001 - Chinese headers use full-width punctuation on purpose
"""The file formats of instrument import and export: the column map, the spreadsheet limits, reading CSV
(UTF-8 or GBK) and XLSX into a grid, and writing CSV and XLSX.

One column list serves both directions, so an exported file imports back without changes. What the
cells mean and whether they are valid is the import service's business (`transfer.py`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sharing_platform.errors import DomainValidationError
from sharing_platform.spreadsheets import csv_bytes, xlsx_cell, xlsx_row

from ..error_codes import InstrumentErrorCode
from ..models import Instrument
from .xlsx_guard import (
    IMPORT_MAX_COLUMNS,
    IMPORT_MAX_SHEET_ROWS,
    check_declared_size,
    sheet_too_long_error,
    sheet_too_wide_error,
    unreadable_error,
    xlsx_guard,
)

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

IMPORT_MAX_ROWS = 5000
ACCEPTED_ENCODINGS = ("UTF-8", "UTF-8 with BOM", "GBK / GB18030")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TEXT, DECIMAL, DATE, BOOLEAN, INTEGER, CATEGORY, STATUS = (
    "text",
    "decimal",
    "date",
    "boolean",
    "integer",
    "category",
    "status",
)


@dataclass(frozen=True)
class Column:
    """One column of the exchange format: its stable key (the model field), Chinese header and kind."""

    key: str
    header_zh: str
    kind: str = TEXT
    required: bool = False
    aliases: tuple[str, ...] = ()
    help_text: Any = ""

    @property
    def model_field(self):
        return Instrument._meta.get_field(self.key)

    @property
    def header_en(self) -> str:
        with translation.override("en"):
            return str(self.model_field.verbose_name)


COLUMNS: tuple[Column, ...] = (
    Column(
        "asset_number",
        "资产编号",
        required=True,
        aliases=("仪器编号", "资产号", "编号"),
        help_text=gettext_lazy("The unit's inventory number; identifies the row. An existing number updates."),
    ),
    Column("name", "名称", required=True, aliases=("仪器名称", "中文名称")),
    Column("name_en", "英文名称"),
    Column(
        "category",
        "类别",
        kind=CATEGORY,
        required=True,
        aliases=("仪器类别", "分类", "仪器分类"),
        help_text=gettext_lazy("Category code, or its English or Chinese name."),
    ),
    Column("model_number", "规格型号", aliases=("型号", "model")),
    Column("manufacturer", "生产厂家", aliases=("生产厂商", "制造商", "厂家")),
    Column("country_of_origin", "产地国别", aliases=("产地", "国别", "country")),
    Column("purchase_date", "购置日期", kind=DATE, help_text=gettext_lazy("YYYY-MM-DD.")),
    Column(
        "original_value",
        "原值（元）",
        kind=DECIMAL,
        required=True,
        aliases=("原值", "资产原值"),
        help_text=gettext_lazy("CNY, 0 or more, at most two decimals."),
    ),
    Column("location", "放置地点", aliases=("安放地址", "地点", "存放地点")),
    Column(
        "status",
        "状态",
        kind=STATUS,
        aliases=("运行状态",),
        help_text=gettext_lazy("available, maintenance or retired (可用, 维修中, 已停用); blank means available."),
    ),
    Column("description", "仪器简介", aliases=("简介", "描述")),
    Column("specifications", "主要技术指标", aliases=("技术指标",)),
    Column("services", "服务内容", aliases=("主要功能", "服务")),
    Column(
        "hourly_rate_internal",
        "校内收费（元/小时）",
        kind=DECIMAL,
        required=True,
        aliases=("内部收费（元/小时）", "内部收费", "校内收费"),
        help_text=gettext_lazy("CNY per hour."),
    ),
    Column(
        "hourly_rate_external",
        "对外收费（元/小时）",
        kind=DECIMAL,
        required=True,
        aliases=("校外收费（元/小时）", "对外收费", "校外收费", "外部收费"),
        help_text=gettext_lazy("CNY per hour."),
    ),
    Column("deposit", "押金（元）", kind=DECIMAL, aliases=("押金",), help_text=gettext_lazy("CNY; blank means 0.")),
    Column(
        "requires_approval",
        "预约需审核",
        kind=BOOLEAN,
        aliases=("需要审核", "需审核"),
        help_text=gettext_lazy("yes or no (是/否); blank means yes."),
    ),
    Column(
        "requires_qualification",
        "需上岗资质",
        kind=BOOLEAN,
        aliases=("需要资质", "需资质"),
        help_text=gettext_lazy("yes or no (是/否); blank means no."),
    ),
    Column(
        "min_credit_score",
        "最低信用分",
        kind=INTEGER,
        aliases=("最低信用分数",),
        help_text=gettext_lazy("350 to 950, or blank for none."),
    ),
    Column("contact_name", "联系人"),
    Column("contact_phone", "联系电话", aliases=("电话",)),
    Column("contact_email", "联系邮箱", aliases=("电子邮箱", "邮箱", "email")),
)
COLUMNS_BY_KEY = {column.key: column for column in COLUMNS}
REQUIRED_KEYS = tuple(column.key for column in COLUMNS if column.required)


def header_normalise(text: str) -> str:
    """Compare headers loosely: full-width forms, case, spaces, underscores and hyphens do not matter."""
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return re.sub(r"[\s_\-]+", "", text)


def _header_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in COLUMNS:
        for spelling in (column.key, column.header_zh, column.header_en, *column.aliases):
            lookup.setdefault(header_normalise(spelling), column.key)
    return lookup


HEADER_LOOKUP = _header_lookup()


def header_key(title: str) -> str | None:
    """The column a header names: a key, an English or Chinese header, or both ("名称 name")."""
    key = HEADER_LOOKUP.get(header_normalise(title))
    if key is None:
        parts = unicodedata.normalize("NFKC", title).rsplit(maxsplit=1)
        keys = {
            HEADER_LOOKUP.get(header_normalise(part)) or HEADER_LOOKUP.get(header_normalise(part.strip(" /|()")))
            for part in parts
        }
        if len(parts) == 2 and len(keys) == 1:
            key = keys.pop()
    return key


def template_header() -> list[str]:
    """The header of the blank template: Chinese header and stable key side by side."""
    return [f"{column.header_zh} {column.key}" for column in COLUMNS]


# --- Reading files -------------------------------------------------------------------------------


@dataclass
class Sheet:
    """The raw grid of a file: the header row and the data rows with their spreadsheet row numbers."""

    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]]


def cell_is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _too_many_rows_error() -> DomainValidationError:
    return DomainValidationError(
        _("The file has more than %(limit)d instrument rows. Split it into smaller files.")
        % {"limit": IMPORT_MAX_ROWS},
        field="file",
        code=InstrumentErrorCode.TOO_MANY_ROWS,
    )


def _grid_to_sheet(grid: Iterable[Iterable[Any]]) -> Sheet:
    header: list[str] | None = None
    header_row = 0
    rows: list[tuple[int, list[Any]]] = []
    for number, raw in enumerate(grid, start=1):
        if number > IMPORT_MAX_SHEET_ROWS:
            raise sheet_too_long_error()
        cells = list(raw)
        if len(cells) > IMPORT_MAX_COLUMNS:
            # Empty cells past the limit (a CSV padded with commas) are dropped; data there is refused.
            extra = [index for index, cell in enumerate(cells) if not cell_is_blank(cell)]
            if extra and extra[-1] >= IMPORT_MAX_COLUMNS:
                raise sheet_too_wide_error(number, extra[-1] + 1)
            del cells[IMPORT_MAX_COLUMNS:]
        if all(cell_is_blank(cell) for cell in cells):
            continue
        if header is None:
            header = ["" if cell is None else str(cell) for cell in cells]
            header_row = number
            continue
        rows.append((number, cells))
        if len(rows) > IMPORT_MAX_ROWS:
            raise _too_many_rows_error()
    if header is None:
        raise DomainValidationError(
            _("The file is empty: it has no header row."), field="file", code=InstrumentErrorCode.EMPTY_FILE
        )
    return Sheet(header=header, header_row=header_row, rows=rows)


def _decode_csv(content: bytes) -> str:
    encodings = ", ".join(ACCEPTED_ENCODINGS)
    wrong_encoding = DomainValidationError(
        _(
            "The CSV file could not be read as text. Accepted encodings: %(encodings)s. In Excel choose "
            "'CSV UTF-8 (comma delimited)' or 'CSV (comma delimited)'; or upload an .xlsx file."
        )
        % {"encodings": encodings},
        field="file",
        code=InstrumentErrorCode.BAD_ENCODING,
    )
    # UTF-16/32 text (Excel's "Unicode text") and binary files carry NUL bytes; GB18030 would
    # otherwise happily decode many of them into nonsense.
    if b"\x00" in content or content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise wrong_encoding
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(char) == "Cc" and char not in "\t\r\n" for char in text):
            raise wrong_encoding
        return text
    raise wrong_encoding


def _read_csv(content: bytes) -> Sheet:
    text = _decode_csv(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    if first_line.count(delimiter) == 0:
        delimiter = ","
    try:
        return _grid_to_sheet(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise DomainValidationError(
            _("The CSV file is malformed: %(error)s.") % {"error": error},
            field="file",
            code=InstrumentErrorCode.MALFORMED_FILE,
        ) from error


def _xlsx_rows(sheet) -> Iterator[tuple]:
    """The sheet's rows as far as their last real cell, refusing a row that reaches past the column limit.

    The declared size is not used for padding (`reset_dimensions`), so the work follows the cells the
    file really holds; openpyxl yields an empty row for each missing one, which `_grid_to_sheet` counts.
    """
    sheet.reset_dimensions()
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if len(row) > IMPORT_MAX_COLUMNS:
            raise sheet_too_wide_error(number, len(row))
        yield row


def _read_xlsx(content: bytes) -> Sheet:
    from openpyxl import load_workbook

    xlsx_guard(content)  # unpacked sizes, compression ratio, XML tags: before openpyxl opens the file
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (zip, XML, key errors) for broken files
        raise unreadable_error() from error
    try:
        if not workbook.worksheets:
            raise DomainValidationError(
                _("The workbook has no sheets."), field="file", code=InstrumentErrorCode.EMPTY_FILE
            )
        sheet = workbook.worksheets[0]
        check_declared_size(sheet)  # before a single row is read
        return _grid_to_sheet(_xlsx_rows(sheet))
    # XML parse errors are SyntaxErrors (ElementTree's and lxml's).
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, SyntaxError) as error:
        raise unreadable_error() from error
    finally:
        workbook.close()


def _check_size(size: int) -> None:
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise DomainValidationError(
            _("The file is too large (%(size)s bytes); the limit is %(limit)s bytes (%(megabytes)s MB).")
            % {"size": size, "limit": limit, "megabytes": round(limit / (1024 * 1024), 1)},
            field="file",
            code=InstrumentErrorCode.FILE_TOO_LARGE,
        )


def upload_content(upload: UploadedFile) -> bytes:
    """The bytes of an uploaded file, refusing oversize files before reading them into memory."""
    _check_size(upload.size or 0)
    return upload.read(settings.IMPORT_MAX_BYTES + 1)


def sheet_read(*, name: str, content: bytes) -> Sheet:
    """Turn an uploaded file into a grid; refuses oversize, empty, binary and mis-encoded files."""
    _check_size(len(content))
    if not content.strip():
        raise DomainValidationError(_("The file is empty."), field="file", code=InstrumentErrorCode.EMPTY_FILE)
    lower_name = (name or "").lower()
    if content.startswith(b"\xd0\xcf\x11\xe0") or lower_name.endswith(".xls"):
        raise DomainValidationError(
            _("Old Excel files (.xls) are not accepted. Save the sheet as .xlsx or as CSV."),
            field="file",
            code=InstrumentErrorCode.UNSUPPORTED_FORMAT,
        )
    if content.startswith(b"PK\x03\x04") or lower_name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    return _read_csv(content)


# --- Export --------------------------------------------------------------------------------------


def _export_value(instrument: Instrument, column: Column) -> Any:
    value = getattr(instrument, column.key)
    if column.kind == CATEGORY:
        return value.code
    if column.kind == BOOLEAN:
        return "yes" if value else "no"
    if value is None:
        return ""
    return value


def instrument_export_file(
    *, instruments: Iterable[Instrument], file_format: str, chinese_headers: bool = False
) -> tuple[bytes, str]:
    """The file bytes and content type of an export in `csv` or `xlsx`."""
    if file_format not in {"csv", "xlsx"}:
        raise DomainValidationError(_("format must be csv or xlsx."), field="format")
    rows = export_rows(instruments, chinese_headers=chinese_headers)
    if file_format == "csv":
        return export_csv(rows), CSV_CONTENT_TYPE
    return export_xlsx(rows), XLSX_CONTENT_TYPE


def template_file(*, file_format: str) -> tuple[bytes, str]:
    """A blank import template: the bilingual header, and in XLSX a help sheet explaining every column."""
    if file_format not in {"csv", "xlsx"}:
        raise DomainValidationError(_("format must be csv or xlsx."), field="format")
    if file_format == "csv":
        return export_csv([template_header()]), CSV_CONTENT_TYPE
    return export_xlsx([template_header()], with_help=True), XLSX_CONTENT_TYPE


def export_rows(instruments: Iterable[Instrument], *, chinese_headers: bool = False) -> Iterable[list[Any]]:
    """The header row, then one row per instrument, in the columns the import accepts."""
    yield [column.header_zh if chinese_headers else column.key for column in COLUMNS]
    for instrument in instruments:
        yield [_export_value(instrument, column) for column in COLUMNS]


def export_csv(rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a BOM, so Excel opens Chinese text correctly; formula-like text is quoted (an
    apostrophe the import strips again)."""
    return csv_bytes(rows)


def export_xlsx(rows: Iterable[list[Any]], *, with_help: bool = False) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="instruments")
    for row in rows:
        cells = []
        for value in row:
            cell = xlsx_cell(sheet, value)  # text that looks like a formula stays text
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    if with_help:
        help_sheet = workbook.create_sheet(title="help 说明")
        help_sheet.append(xlsx_row(help_sheet, ["key", "中文表头", "English", "required 必填", "notes"]))
        for column in COLUMNS:
            help_sheet.append(
                xlsx_row(
                    help_sheet,
                    [
                        column.key,
                        column.header_zh,
                        column.header_en,
                        "yes 是" if column.required else "",
                        str(column.help_text),
                    ],
                )
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_guide() -> list[dict[str, Any]]:
    """What each column means, for the import page and the template's help sheet."""
    return [
        {
            "key": column.key,
            "header_zh": column.header_zh,
            "label": column.model_field.verbose_name,
            "required": column.required,
            "help_text": column.help_text,
        }
        for column in COLUMNS
    ]
