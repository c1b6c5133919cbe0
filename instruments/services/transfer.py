# ruff: noqa: RUF001 - Chinese headers and values use full-width punctuation on purpose
"""Bulk import and export of a unit's instruments (CSV in UTF-8 or GBK, XLSX).

One column list serves both directions, so an exported file imports back without changes.
An import is all-or-nothing: every row is validated first, errors are reported per row and column
(row numbers as a spreadsheet shows them, the header being row 1), and only a clean file is
written, in one transaction with bulk_create/bulk_update. The asset number is a row's identity:
a row whose asset number already exists in the unit updates that instrument.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError, ErrorItem
from sharing_platform.spreadsheets import FORMULA_PREFIXES, csv_bytes, xlsx_cell, xlsx_row

from ..catalogue_cache import catalogue_changed
from ..error_codes import InstrumentErrorCode
from ..models import Instrument, InstrumentCategory, Unit
from ..permissions import can_manage_unit_instruments
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
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import UploadedFile

IMPORT_MAX_ROWS = 5000
IMPORT_MAX_REPORTED_ERRORS = 200
ACCEPTED_ENCODINGS = ("UTF-8", "UTF-8 with BOM", "GBK / GB18030")
MONEY_LIMIT = Decimal("1000000000000")  # 14 digits, 2 of them decimals
CENT = Decimal("0.01")
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

STATUS_WORDS = {
    "available": Instrument.Status.AVAILABLE,
    "可用": Instrument.Status.AVAILABLE,
    "可预约": Instrument.Status.AVAILABLE,
    "正常": Instrument.Status.AVAILABLE,
    "maintenance": Instrument.Status.MAINTENANCE,
    "inmaintenance": Instrument.Status.MAINTENANCE,
    "维修中": Instrument.Status.MAINTENANCE,
    "维护中": Instrument.Status.MAINTENANCE,
    "维修": Instrument.Status.MAINTENANCE,
    "retired": Instrument.Status.RETIRED,
    "已停用": Instrument.Status.RETIRED,
    "停用": Instrument.Status.RETIRED,
    "报废": Instrument.Status.RETIRED,
}
TRUE_WORDS = {"yes", "y", "true", "t", "1", "是", "需要", "要", "√", "✓"}
FALSE_WORDS = {"no", "n", "false", "f", "0", "否", "不需要", "不要", "×", "✗"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")


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


def _cell_is_blank(value: Any) -> bool:
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
            extra = [index for index, cell in enumerate(cells) if not _cell_is_blank(cell)]
            if extra and extra[-1] >= IMPORT_MAX_COLUMNS:
                raise sheet_too_wide_error(number, extra[-1] + 1)
            del cells[IMPORT_MAX_COLUMNS:]
        if all(_cell_is_blank(cell) for cell in cells):
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


# --- Validating rows -----------------------------------------------------------------------------


class CellError(Exception):
    """A cell's value is unusable; the message says how to fix it."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = str(value).strip()
    if text.startswith("'") and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    # Control characters (NUL in particular) are refused by PostgreSQL and never meant.
    return "".join(char for char in text if char in "\t\n" or unicodedata.category(char) != "Cc")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        raise CellError(_("Enter a number such as 1250.50, not yes/no."))
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = _text(value)
        if not text:
            return None
        text = re.sub(r"[\s,，¥￥]|元$", "", unicodedata.normalize("NFKC", text))
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(_("Enter a number such as 1250.50.")) from None
    if not number.is_finite():
        raise CellError(_("Enter a number such as 1250.50."))
    if number < 0:
        raise CellError(_("Must be 0 or more."))
    if number.quantize(CENT) != number:
        raise CellError(_("Use at most two decimal places."))
    if number >= MONEY_LIMIT:
        raise CellError(_("The amount is too large."))
    return number.quantize(CENT)


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        parsed = value.date()
    elif isinstance(value, date):
        parsed = value
    else:
        text = _text(value)
        if not text:
            return None
        text = unicodedata.normalize("NFKC", text)
        for date_format in DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, date_format).date()  # noqa: DTZ007 - a calendar date, no time
                break
            except ValueError:
                continue
        else:
            raise CellError(_("Enter a date as YYYY-MM-DD, for example 2019-06-30."))
    if parsed.year < 1900 or parsed > timezone.localdate():
        raise CellError(_("The date must be between 1900 and today."))
    return parsed


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = header_normalise(_text(value))
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(_("Enter yes or no (是 or 否)."))


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        raise CellError(_("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        number = value
    else:
        text = _text(value)
        if not text:
            return None
        if not re.fullmatch(r"\d+", text):
            raise CellError(_("Enter a whole number."))
        number = int(text)
    if not 350 <= number <= 950:
        raise CellError(_("A credit score is between 350 and 950."))
    return number


def _status(value: Any) -> str | None:
    text = header_normalise(_text(value))
    if not text:
        return None
    if text in STATUS_WORDS:
        return STATUS_WORDS[text]
    raise CellError(_("Use available, maintenance or retired (可用, 维修中, 已停用)."))


class CategoryLookup:
    """Categories by code, English name or Chinese name (one query for the whole file)."""

    def __init__(self) -> None:
        self.by_key: dict[str, InstrumentCategory | None] = {}
        for category in InstrumentCategory.objects.all():
            for spelling in (category.code, category.name_en, category.name_zh):
                key = header_normalise(spelling)
                existing = self.by_key.get(key, category)
                # A spelling shared by two categories is ambiguous; only the code then identifies.
                self.by_key[key] = category if existing is None or existing.pk == category.pk else None
            self.by_key[header_normalise(category.code)] = category

    def __call__(self, value: Any) -> InstrumentCategory | None:
        text = _text(value)
        if not text:
            return None
        key = header_normalise(text)
        if key not in self.by_key:
            raise CellError(
                _('Unknown category "%(value)s". Use a category code or name from the list.') % {"value": text}
            )
        category = self.by_key[key]
        if category is None:
            raise CellError(_('The name "%(value)s" fits several categories; use its code.') % {"value": text})
        return category


BLANK_DEFAULTS: dict[str, Any] = {
    "deposit": Decimal("0.00"),
    "status": Instrument.Status.AVAILABLE,
    "requires_approval": True,
    "requires_qualification": False,
}


@dataclass
class RowError:
    row: int
    column: str | None
    message: str

    def as_dict(self) -> ErrorItem:
        item: ErrorItem = {"row": self.row, "message": self.message}
        if self.column:
            item["field"] = self.column  # the column, named by its key
        return item


@dataclass
class ImportRow:
    """A validated row and what importing it does: create, update or nothing."""

    row: int
    asset_number: str
    name: str
    action: str
    changed_fields: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "action": self.action,
            "asset_number": self.asset_number,
            "name": self.name,
            "changed_fields": self.changed_fields,
        }


@dataclass
class ImportResult:
    unit: Unit
    dry_run: bool
    rows: list[ImportRow]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    def as_dict(self) -> dict:
        return {
            "unit": self.unit.pk,
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rows": [row.as_dict() for row in self.rows if row.action != "unchanged"],
        }


def _map_header(sheet: Sheet) -> list[str | None]:
    keys: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for title in sheet.header:
        if not title.strip():
            keys.append(None)
            continue
        key = header_key(title)
        if key is None:
            unknown.append(title.strip())
        elif key in seen:
            raise DomainValidationError(
                _('The columns "%(first)s" and "%(second)s" both mean %(key)s; keep one.')
                % {"first": seen[key], "second": title.strip(), "key": key},
                field="file",
                code=InstrumentErrorCode.DUPLICATE_COLUMN,
            )
        else:
            seen[key] = title.strip()
        keys.append(key)
    if unknown:
        raise DomainValidationError(
            _("Unknown columns: %(columns)s. Allowed columns are: %(allowed)s.")
            % {"columns": ", ".join(unknown), "allowed": ", ".join(column.key for column in COLUMNS)},
            field="file",
            code=InstrumentErrorCode.UNKNOWN_COLUMNS,
        )
    missing = [key for key in REQUIRED_KEYS if key not in seen]
    if missing:
        raise DomainValidationError(
            _("Required columns are missing: %(columns)s.")
            % {"columns": ", ".join(f"{key} ({COLUMNS_BY_KEY[key].header_zh})" for key in missing)},
            field="file",
            code=InstrumentErrorCode.MISSING_COLUMNS,
        )
    return keys


def _parse_row(
    number: int, cells: list[Any], keys: list[str | None], parsers: dict[str, Callable], errors: list[RowError]
) -> dict[str, Any] | None:
    values: dict[str, Any] = {}
    row_ok = True
    extra = [cell for cell in cells[len(keys) :] if not _cell_is_blank(cell)]
    if extra:
        errors.append(RowError(number, None, _("This row has more cells than the header has columns.")))
        row_ok = False
    for index, key in enumerate(keys):
        if key is None:
            continue
        raw = cells[index] if index < len(cells) else None
        column = COLUMNS_BY_KEY[key]
        try:
            value = parsers.get(column.kind, _text)(raw)
        except CellError as error:
            errors.append(RowError(number, key, str(error)))
            row_ok = False
            continue
        if value is None or value == "":
            if column.required:
                errors.append(RowError(number, key, _("This column is required.")))
                row_ok = False
                continue
            value = BLANK_DEFAULTS.get(key, None if column.kind in {DATE, INTEGER} else "")
        values[key] = value
    return values if row_ok else None


def _field_errors(instance: Instrument, number: int, errors: list[RowError]) -> bool:
    """The model's own field checks (lengths, e-mail, digits) as a last guard, without queries."""
    try:
        instance.clean_fields(exclude={"unit", "category"})
    except ValidationError as error:
        for key, messages in error.message_dict.items():
            errors.extend(RowError(number, key, str(message)) for message in messages)
        return False
    return True


def _current_value(instance: Instrument, key: str) -> Any:
    if key == "category":
        return instance.category_id
    return getattr(instance, key)


def _new_value(values: dict[str, Any], key: str) -> Any:
    if key == "category":
        return values[key].pk
    return values[key]


def _plan(unit: Unit, sheet: Sheet) -> tuple[list[ImportRow], list[Instrument], list[Instrument], set[str]]:
    keys = _map_header(sheet)
    present = [key for key in keys if key is not None]
    parsers: dict[str, Callable] = {
        DECIMAL: _decimal,
        DATE: _date,
        BOOLEAN: _boolean,
        INTEGER: _integer,
        STATUS: _status,
        CATEGORY: CategoryLookup(),
    }
    existing = {instrument.asset_number: instrument for instrument in Instrument.objects.filter(unit=unit)}
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    plan: list[ImportRow] = []
    to_create: list[Instrument] = []
    to_update: list[Instrument] = []
    update_fields: set[str] = set()
    now = timezone.now()
    for number, cells in sheet.rows:
        values = _parse_row(number, cells, keys, parsers, errors)
        if values is None:
            continue
        asset_number = values["asset_number"]
        if asset_number in first_seen:
            errors.append(
                RowError(
                    number,
                    "asset_number",
                    _("The asset number %(number)s is also on row %(row)d; each instrument appears once.")
                    % {"number": asset_number, "row": first_seen[asset_number]},
                )
            )
            continue
        first_seen[asset_number] = number
        instance = existing.get(asset_number)
        if instance is None:
            instance = Instrument(unit=unit, **values)
            if instance.status == Instrument.Status.RETIRED:
                instance.retired_at = now
            if _field_errors(instance, number, errors):
                to_create.append(instance)
                plan.append(ImportRow(number, asset_number, values["name"], "create"))
            continue
        changed = [key for key in present if _current_value(instance, key) != _new_value(values, key)]
        for key in changed:
            setattr(instance, key, values[key])
        if "status" in changed:
            instance.retired_at = now if instance.status == Instrument.Status.RETIRED else None
            update_fields.add("retired_at")
        if not _field_errors(instance, number, errors):
            continue
        if changed:
            instance.updated_at = now
            to_update.append(instance)
            update_fields.update(changed)
        plan.append(ImportRow(number, asset_number, values["name"], "update" if changed else "unchanged", changed))
    if not sheet.rows:
        raise DomainValidationError(
            _("The file has a header but no instrument rows."), field="file", code=InstrumentErrorCode.NO_ROWS
        )
    if errors:
        reported = errors[:IMPORT_MAX_REPORTED_ERRORS]
        message = _(
            "%(count)d problem(s) found in %(rows)d row(s); nothing was imported. Fix them and upload again."
        ) % {
            "count": len(errors),
            "rows": len({error.row for error in errors}),
        }
        raise DomainValidationError(
            message, code=InstrumentErrorCode.IMPORT_INVALID, errors=[error.as_dict() for error in reported]
        )
    if to_update:
        update_fields.add("updated_at")
    return plan, to_create, to_update, update_fields


def instrument_import(
    *, actor: User, unit: Unit, file_name: str, content: bytes, dry_run: bool = False
) -> ImportResult:
    """Create and update a unit's instruments from a CSV or XLSX file, all rows or none.

    A dry run validates and reports what would happen, and writes nothing.
    """
    if not can_manage_unit_instruments(actor, unit):
        raise DomainPermissionError(
            _("Only instrument managers and administrators of this verified unit may import its instruments.")
        )
    sheet = sheet_read(name=file_name, content=content)
    if dry_run:
        plan, _created, _updated, _fields = _plan(unit, sheet)
        return ImportResult(unit=unit, dry_run=True, rows=plan)
    try:
        with transaction.atomic():
            # One import per unit at a time: lock the unit, then re-read its instruments.
            locked = Unit.objects.select_for_update().get(pk=unit.pk)
            if not can_manage_unit_instruments(actor, locked):
                raise DomainPermissionError(_("The unit can no longer be managed by you."))
            plan, to_create, to_update, update_fields = _plan(locked, sheet)
            Instrument.objects.bulk_create(to_create, batch_size=500)
            if to_update:
                Instrument.objects.bulk_update(to_update, sorted(update_fields), batch_size=200)
            catalogue_changed()  # bulk writes send no post_save
    except IntegrityError as error:
        raise DomainConflictError(
            _("Another change to these instruments happened at the same time; nothing was imported. Try again.")
        ) from error
    return ImportResult(unit=unit, dry_run=False, rows=plan)


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
