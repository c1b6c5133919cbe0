"""Error codes of units, instruments and bulk import/export (see sharing_platform/errors.py)."""

from sharing_platform.errors import ErrorCode


class InstrumentErrorCode(ErrorCode):
    # units and members
    INVALID_CREDIT_CODE = "invalid_credit_code"  # fails the GB 32100-2015 check
    DUPLICATE_CREDIT_CODE = "duplicate_credit_code"  # another unit has registered this code
    INVALID_REGION = "invalid_region"
    UNKNOWN_REGION = "unknown_region"
    READ_ONLY = "read_only"  # a field that cannot be changed here (or any more)
    VERIFIED_IDENTITY = "verified_identity"  # a verified unit's identity fields are fixed
    WRONG_STATUS = "wrong_status"  # the unit is not in a status that allows this
    REASON_REQUIRED = "reason_required"
    ALREADY_MEMBER = "already_member"
    LAST_ADMIN = "last_admin"  # a unit keeps at least one administrator
    # the catalogue and the registry
    UNKNOWN_CATEGORY = "unknown_category"
    NULL_CHARACTERS_NOT_ALLOWED = "null_characters_not_allowed"
    RETIRED = "retired"  # a retired instrument cannot be changed
    RETIRE_BLOCKED = "retire_blocked"  # pending or upcoming bookings keep it in service
    # bulk import and export
    IMPORT_INVALID = "import_invalid"  # rows are wrong; `errors` lists each (row, field, message)
    NO_ROWS = "no_rows"
    MISSING_COLUMNS = "missing_columns"
    UNKNOWN_COLUMNS = "unknown_columns"
    DUPLICATE_COLUMN = "duplicate_column"
    BAD_ENCODING = "bad_encoding"
    EMPTY_FILE = "empty_file"
    MALFORMED_FILE = "malformed_file"
    FILE_TOO_LARGE = "file_too_large"
    SHEET_TOO_LARGE = "sheet_too_large"  # declares or holds more rows, columns or cells than an import may
    SUSPICIOUS_FILE = "suspicious_file"  # compressed far beyond what a real workbook is (a deflate bomb)
    TOO_MANY_ROWS = "too_many_rows"
    UNSUPPORTED_FORMAT = "unsupported_format"
    INVALID_PARENT = "invalid_parent"
