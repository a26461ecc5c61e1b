"""Validation results: per set (AK5), per group (AK9), per interchange, with their statuses.

Statuses follow X12-RULES §5:

- A set is **R**ejected when it has any set-level (718) error: one the reader attached (trailer
  missing 2, ST02/SE02 mismatch 3, SE01 count 4, bad ST01/ST02 6/7, duplicate ST02 23) or set
  not supported (1); or when its group is rejected. Segment and element errors make it
  **E** (accepted with errors, 718 code 5), as sample 19 does for an invalid LIN02 qualifier,
  unless :attr:`ValidationPolicy.reject_segment_errors` asks for R. Otherwise **A**.
- A group is **R** when it has a group-level (716) error (every set then counts as R) or when
  every set is rejected; **P** when some sets are rejected; **E** when some carry errors;
  else **A**. AK902 quotes the received GE01, AK903 counts the sets received, AK904 those
  accepted (A or E).

Warnings never change a status; they stay on the results for operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crossdock.channels.edi.x12.model import Finding, Severity


@dataclass(frozen=True, kw_only=True)
class ValidationPolicy:
    """How strictly errors decide a set's AK5 status."""

    reject_segment_errors: bool = False
    """True: a set with segment or element errors is rejected (R), not accepted with errors (E)."""


@dataclass(slots=True)
class SetResult:
    """One transaction set's validation."""

    set_id: str
    """ST01."""
    control_number: str
    """ST02."""
    implementation_reference: str = ""
    """ST03 (005010), echoed in AK203."""
    findings: list[Finding] = field(default_factory=list)
    """Every finding, in order: set-level ones, then each segment finding (720) followed by its
    element findings (723), then warnings."""
    group_rejected: bool = False
    policy: ValidationPolicy = field(default_factory=ValidationPolicy)

    @property
    def errors(self) -> list[Finding]:
        """The findings the 997 carries."""
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        """Findings for operators only."""
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def set_codes(self) -> list[str]:
        """The 718 codes (AK502…), at most five: set-level errors, then 5 for segment errors."""
        found: list[str] = []
        for finding in self.errors:
            if finding.level == "set" and finding.code not in found:
                found.append(finding.code)
        found.sort(key=lambda code: int(code) if code.isdigit() else 999)
        if any(f.level in ("segment", "element") for f in self.errors) and "5" not in found:
            found.append("5")
        return found[:5]

    @property
    def status(self) -> str:
        """AK501: ``A``, ``E`` or ``R``."""
        codes = self.set_codes
        if self.group_rejected or any(code != "5" for code in codes):
            return "R"
        if codes:
            return "R" if self.policy.reject_segment_errors else "E"
        return "A"

    @property
    def accepted(self) -> bool:
        """AK5 A or E: the set goes on to be processed."""
        return self.status != "R"


@dataclass(slots=True)
class GroupResult:
    """One functional group's validation."""

    functional_id: str
    """GS01."""
    control_number: str
    """GS06."""
    version: str
    """GS08."""
    declared_count: int
    """GE01 as received (the number of sets when GE01 is missing or not a number)."""
    sets: list[SetResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Group findings (716 codes), the reader's and ours."""

    @property
    def group_codes(self) -> list[str]:
        """The 716 codes (AK905…), at most five."""
        found: list[str] = []
        for finding in self.findings:
            if finding.severity is Severity.ERROR and finding.code not in found:
                found.append(finding.code)
        return found[:5]

    @property
    def rejected(self) -> bool:
        """A group-level error rejects the whole group."""
        return bool(self.group_codes)

    @property
    def received(self) -> int:
        """AK903."""
        return len(self.sets)

    @property
    def accepted(self) -> int:
        """AK904."""
        return 0 if self.rejected else sum(1 for s in self.sets if s.accepted)

    @property
    def status(self) -> str:
        """AK901: ``A``, ``E``, ``P`` or ``R``."""
        if self.rejected or (self.sets and self.accepted == 0):
            return "R"
        if self.accepted < self.received:
            return "P"
        return "E" if any(s.status == "E" for s in self.sets) else "A"


@dataclass(slots=True)
class InterchangeResult:
    """One interchange's validation: its envelope findings and its groups."""

    control_number: str
    """ISA13."""
    groups: list[GroupResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Envelope findings (TA1 note codes), warnings included."""

    @property
    def envelope_errors(self) -> list[Finding]:
        """Envelope errors: these make the TA1 E or R."""
        return [f for f in self.findings if f.severity is Severity.ERROR]
