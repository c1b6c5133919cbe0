# ruff: noqa: RUF001 - Chinese values use full-width punctuation on purpose
"""Bulk import of a unit's instruments from a CSV or XLSX file (the formats: `transfer_formats.py`).

An import is all-or-nothing: every row is validated first, errors are reported per row and column
(row numbers as a spreadsheet shows them, the header being row 1), and only a clean file is
written, in one transaction with bulk_create/bulk_update. The asset number is a row's identity:
a row whose asset number already exists in the unit updates that instrument.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sharing_platform.errors import DomainConflictError, DomainPermissionError, DomainValidationError, ErrorItem
from sharing_platform.spreadsheets import FORMULA_PREFIXES

from ..catalogue_cache import catalogue_changed
from ..error_codes import InstrumentErrorCode
from ..models import Instrument, InstrumentCategory, Unit
from ..permissions import can_manage_unit_instruments
from .transfer_formats import (
    BOOLEAN,
    CATEGORY,
    COLUMNS,
    COLUMNS_BY_KEY,
    DATE,
    DECIMAL,
    INTEGER,
    REQUIRED_KEYS,
    STATUS,
    Sheet,
    cell_is_blank,
    header_key,
    header_normalise,
    sheet_read,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

IMPORT_MAX_REPORTED_ERRORS = 200
MONEY_LIMIT = Decimal("1000000000000")  # 14 digits, 2 of them decimals
CENT = Decimal("0.01")

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
    extra = [cell for cell in cells[len(keys) :] if not cell_is_blank(cell)]
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
