"""Validation of the 18-character unified social credit code (GB 32100-2015).

Written here rather than taken from python-stdnum: stdnum insists the first eight characters are
digits, while the standard allows letters for the registration authority and the organisation type
(for example "Y1" for other authorities, "N2" for agricultural collectives).
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .error_codes import InstrumentErrorCode

# The 31 characters the standard uses: digits and capitals without I, O, S, V, Z.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18


def uscc_normalise(raw: str) -> str:
    """Strip spaces and hyphens and upper-case, as people type codes from certificates."""
    return "".join(raw.split()).replace("-", "").upper()


def uscc_check_character(first17: str) -> str:
    """The check character for the first 17 characters (modulus 31, weights 3^i mod 31)."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Return what is wrong with a code, in words, or None if it is valid."""
    if len(code) != USCC_LENGTH:
        return str(_("A unified social credit code has 18 characters; this one has %(count)d.") % {"count": len(code)})
    bad = sorted({char for char in code if char not in USCC_ALPHABET})
    if bad:
        return str(
            _("The code contains characters that are not allowed: %(chars)s (I, O, S, V and Z are never used).")
            % {"chars": ", ".join(bad)}
        )
    if not code[2:8].isdigit():
        return str(_("Characters 3 to 8 must be the six-digit administrative division code."))
    expected = uscc_check_character(code[:17])
    if code[17] != expected:
        return str(
            _("The check character is wrong: expected %(expected)s, found %(found)s. Please check for a typing error.")
            % {"expected": expected, "found": code[17]}
        )
    return None


def validate_uscc(value: str) -> None:
    problem = uscc_problem(value)
    if problem:
        raise ValidationError(problem, code=InstrumentErrorCode.INVALID_CREDIT_CODE)


def uscc_build(first17: str) -> str:
    """Complete 17 characters with their check character (used by demo data and tests)."""
    return first17 + uscc_check_character(first17)
