"""Error codes of the partner API (see sharing_platform/errors.py)."""

from sharing_platform.errors import ErrorCode


class PartnerErrorCode(ErrorCode):
    KEY_MALFORMED = "key_malformed"  # the Authorization header is not `Api-Key <key>`
    KEY_UNKNOWN = "key_unknown"
    KEY_REVOKED = "key_revoked"
    KEY_EXPIRED = "key_expired"
    PARTNER_INACTIVE = "partner_inactive"  # the partner organisation is suspended
    IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"  # empty or longer than 255 characters
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"  # the same key with a different request
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"  # the first request with this key still runs
    URL_REFUSED = "url_refused"  # a webhook URL that is not allowed (scheme, private address)
    UNKNOWN_SUBJECT = "unknown_subject"  # a credit report names no unit or user we know
    SCORE_OUT_OF_RANGE = "score_out_of_range"
