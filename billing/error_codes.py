"""Error codes of charges, statements and payments (see sharing_platform/errors.py)."""

from sharing_platform.errors import ErrorCode


class BillingErrorCode(ErrorCode):
    ADJUST_ADJUSTMENT = "adjust_adjustment"
    CHARGE_NEGATIVE = "charge_negative"
    NOT_PROVIDER = "not_provider"
    INTERNAL = "internal"
    NO_UNBILLED_CHARGES = "no_unbilled_charges"
    TOTAL_NOT_POSITIVE = "total_not_positive"
    ALREADY_BILLED = "already_billed"
    PAYMENT_NOT_DECLARED = "payment_not_declared"  # only a declared payment can be confirmed or turned down
    HAS_PAYMENTS = "has_payments"
    CANCELLED = "cancelled"
    ALREADY_PAID = "already_paid"
    OVERPAYMENT = "overpayment"
    TOO_MANY_DECIMALS = "too_many_decimals"
    NEGATIVE_AMOUNT = "negative_amount"
    ZERO_AMOUNT = "zero_amount"
