"""SSCC-18 carton labels as an 856 carries them (MAN*GM: the ``00`` AI and 18 digits)."""

from __future__ import annotations

from crossdock.core.errors import PermanentError

APPLICATION_IDENTIFIER = "00"
"""The GS1 application identifier of an SSCC."""


def check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for ``digits`` (an SSCC's first 17)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def sscc_label(carton_id: str) -> str:
    """The 20-digit MAN02 for a carton id given as 18 digits or as 20 with the ``00`` AI.

    Raises :class:`PermanentError` (code ``mapping``) when the id is not an SSCC-18 or its check
    digit is wrong: a partner's receiving dock scans these, so a wrong one must never be sent.
    """
    digits = carton_id.strip()
    if len(digits) == 20 and digits.startswith(APPLICATION_IDENTIFIER):
        digits = digits[2:]
    if len(digits) != 18 or not digits.isdigit():
        raise PermanentError(f"carton id {carton_id!r} is not an SSCC-18", code="mapping")
    if check_digit(digits[:17]) != int(digits[17]):
        raise PermanentError(f"carton id {carton_id!r} has a wrong check digit", code="mapping")
    return APPLICATION_IDENTIFIER + digits
