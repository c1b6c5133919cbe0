"""Error codes of accounts and tokens (see sharing_platform/errors.py)."""

from sharing_platform.errors import ErrorCode


class AccountErrorCode(ErrorCode):
    INVALID_CREDENTIALS = "invalid_credentials"  # wrong username or password
    DUPLICATE = "duplicate"  # the username or e-mail address is taken
    TOKEN_LIMIT = "token_limit"  # noqa: S105 -- an error code, not a password: too many live tokens
    UNKNOWN_USER = "unknown_user"  # no (active) account by that id, name or external id
    EMAIL_TAKEN = "email_taken"  # another account uses this e-mail address (partner-created users)
    SIGNIN_LOCKED = "signin_locked"  # too many failed sign-ins for the account or the client address
    LINK_EXPIRED = "link_expired"
    LINK_INVALID = "link_invalid"
