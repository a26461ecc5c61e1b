"""The partner pages' forms: what an admin posted to register a partner or issue a key, read
into the values the access store takes, and kept to show again beside a refusal.

A value the form carries as text (an expiry in days, an overlap in hours) that the store cannot
take is an :class:`~crossdock.integration.access.records.AccessError` naming the form's field,
like the store's own refusals, so the page shows both the same way.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from crossdock.integration.access.principal import Scope
from crossdock.integration.access.records import AccessError
from crossdock.visibility.console.views import Form

MAX_KEY_DAYS = 3650
"""The longest expiry the console sets on a key, in days; a key meant to outlive that should not
expire at all (leave the field empty)."""
MAX_OVERLAP_HOURS = 24 * 30
"""The longest a rotated key keeps working beside its successor, as the admin API allows."""
DEFAULT_OVERLAP_HOURS = 24.0
"""How long a rotated key keeps working when the form does not say."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PartnerDraft:
    """The add-partner form as posted, kept to show again beside its errors."""

    partner_id: str = ""
    name: str = ""
    customers: str = ""
    """Customer ids, separated by commas, spaces or new lines."""
    admin: bool = False
    rate_limit: str = ""

    @classmethod
    def of(cls, form: Form) -> PartnerDraft:
        """The draft a posted form carries."""
        return cls(
            partner_id=form.get("partner_id"),
            name=form.get("name"),
            customers=form.get("customer_ids"),
            admin=form.checked("admin"),
            rate_limit=form.get("rate_limit"),
        )

    @property
    def customer_ids(self) -> list[str]:
        """The customer ids, one each."""
        return sorted({c for c in re.split(r"[\s,]+", self.customers) if c})


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyDraft:
    """The new-key and rotate forms as posted, kept to show again beside their errors."""

    scopes: frozenset[Scope] = frozenset()
    label: str = ""
    expires_in_days: str = ""
    overlap_hours: str = ""

    @classmethod
    def of(cls, form: Form) -> KeyDraft:
        """The draft a posted form carries (one checkbox ``scope:<name>`` per scope)."""
        return cls(
            scopes=frozenset(s for s in Scope if form.checked(f"scope:{s.value}")),
            label=form.get("label"),
            expires_in_days=form.get("expires_in_days"),
            overlap_hours=form.get("overlap_hours"),
        )

    def expires_at(self, now: datetime) -> datetime | None:
        """When the key stops working (None: never); AccessError names the field otherwise."""
        if not self.expires_in_days:
            return None
        days = _number(self.expires_in_days, "expires_in_days")
        if not 0 < days <= MAX_KEY_DAYS:
            raise AccessError(
                f"expires in days must be more than 0 and at most {MAX_KEY_DAYS} "
                "(leave it empty for a key that does not expire)",
                field="expires_in_days",
            )
        return now + timedelta(days=days)

    def overlap(self) -> timedelta:
        """How long a rotated key keeps working; AccessError names the field when out of range."""
        if not self.overlap_hours:
            return timedelta(hours=DEFAULT_OVERLAP_HOURS)
        hours = _number(self.overlap_hours, "overlap_hours")
        if not 0 <= hours <= MAX_OVERLAP_HOURS:
            raise AccessError(
                f"the overlap must be between 0 and {MAX_OVERLAP_HOURS} hours",
                field="overlap_hours",
            )
        return timedelta(hours=hours)


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AccessError(f"{text!r} is not a number", field=field) from None
    if not math.isfinite(value):
        raise AccessError(f"{text!r} is not a number", field=field)
    return value
