"""Versioned parameters of the credit model: the one place to tune it."""

from .models import CreditEvent

K = CreditEvent.Kind

MODEL_VERSION = "2026.11-1"

POSITIVE_KINDS = {
    K.BOOKING_FULFILLED, K.PUNCTUAL_CHECK_IN, K.PAYMENT_ON_TIME, K.APPROVED_ON_TIME, K.REFUSAL_JUSTIFIED,
    K.SERVICE_DELIVERED, K.REVIEW_GIVEN, K.DISPUTE_WON, K.ENDORSEMENT_RECEIVED, K.APPEAL_UPHELD, K.REPAIR_GRANTED,
}  # fmt: skip
NEGATIVE_KINDS = {
    K.LATE_CHECK_IN, K.NO_SHOW, K.LATE_CANCELLATION, K.USAGE_OVERRUN, K.DAMAGE_CONFIRMED, K.MISUSE_CONFIRMED,
    K.FRAUD_CONFIRMED, K.PAYMENT_LATE, K.RESPONSE_LATE, K.REFUSAL_UNJUSTIFIED, K.PROVIDER_CANCELLATION,
    K.INSTRUMENT_FAULT, K.DATA_DELIVERED_LATE, K.BREACH_CONFIRMED, K.DISPUTE_LOST,
}  # fmt: skip


def default_polarity(kind: str) -> int:
    """+1 for kept commitments, -1 for broken ones, 0 where the value carries the meaning (reviews, reports)."""
    if kind in POSITIVE_KINDS:
        return 1
    if kind in NEGATIVE_KINDS:
        return -1
    return 0
