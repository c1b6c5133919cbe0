"""Error codes of institutional sign-on and identity providers (see sharing_platform/errors.py)."""

from sharing_platform.errors import ErrorCode


class IdentityErrorCode(ErrorCode):
    PROVIDER_IN_USE = "provider_in_use"
    PROVIDER_UNKNOWN = "provider_unknown"
    PROVIDER_DISABLED = "provider_disabled"
    LINKED_TO_ANOTHER_PROVIDER = "linked_to_another_provider"
    ACCOUNT_DISABLED = "account_disabled"
    CONCURRENT_SIGN_IN = "concurrent_sign_in"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 -- a code, not a password
    IDENTITY_TAKEN = "identity_taken"
    NO_PENDING_SIGN_IN = "no_pending_sign_in"
    USE_FORM = "use_form"
    TICKET_MISSING = "ticket_missing"
    SINGLE_LOGOUT = "single_logout"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    SERVER_UNREACHABLE = "server_unreachable"
    PROVIDER_MISCONFIGURED = "provider_misconfigured"
    PROVIDER_ERROR = "provider_error"
    TLS_FAILED = "tls_failed"
    BIND_REFUSED = "bind_refused"
    CREDENTIALS_MISSING = "credentials_missing"
    NO_USER_ID = "no_user_id"
    TICKET_INVALID = "ticket_invalid"
    # An OpenID Connect answer failing one check (identity/protocols/oidc.py, security_refusal).
    STATE_INVALID = "state_invalid"
    NONCE_INVALID = "nonce_invalid"
    AUD_INVALID = "aud_invalid"
    ISS_INVALID = "iss_invalid"
    SIGNATURE_INVALID = "signature_invalid"
    EXP_INVALID = "exp_invalid"
    TOKEN_INVALID = "token_invalid"  # noqa: S105 -- a code, not a password
    # The person behind accounts (identity/persons.py).
    NOT_UNIT_ADMIN = "not_unit_admin"
    NOT_A_MEMBER = "not_a_member"
    IDENTIFIER_MISSING = "identifier_missing"
    IDENTIFIER_INVALID = "identifier_invalid"
    ALREADY_VOUCHED = "already_vouched"
    IDENTITY_CONFLICT = "identity_conflict"
    ALREADY_DECIDED = "already_decided"
