"""Every error the routing package raises.

One sentence per message, naming the field and the bad value (OSMnx style):
build ``msg = ...`` then ``raise X(msg)``.
"""

from __future__ import annotations

from dataclasses import dataclass


class RoutingError(Exception):
    """Base class of every SchoolRun domain error."""


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One problem with one cell of an input file.

    ``row`` is the 1-based line number in the file as a spreadsheet shows it
    (the header is row 1, the first data row is row 2); 0 means the whole file.
    """

    file: str
    row: int
    field: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}" if self.row else self.file
        return f"{where}, field '{self.field}' = {self.value!r}: {self.message}"


class InvalidScenarioError(RoutingError, ValueError):
    """The scenario (or one of its rows) breaks a rule; ``issues`` lists every bad cell."""

    def __init__(self, msg: str, issues: tuple[RowIssue, ...] = ()) -> None:
        super().__init__(msg)
        self.issues = issues

    def __str__(self) -> str:
        base = super().__str__()
        if not self.issues:
            return base
        lines = [base, *(f"  - {issue}" for issue in self.issues[:50])]
        if len(self.issues) > 50:
            lines.append(f"  ... and {len(self.issues) - 50} more")
        return "\n".join(lines)


class UnreachableLocationError(RoutingError, ValueError):
    """A point cannot be placed on, or reached through, the travel network."""


class NoSolutionError(RoutingError):
    """No plan at all could be produced (a partial plan with unassigned pupils is not this)."""


class NetworkUnavailableError(RoutingError):
    """A road network could not be downloaded or read (no internet, missing file)."""


class InfeasiblePlanError(RoutingError):
    """A plan failed the independent checker and must not be returned as if it were fine."""

    def __init__(self, msg: str, violations: tuple[object, ...] = ()) -> None:
        super().__init__(msg)
        self.violations = violations


class PlanTransitionError(RoutingError, ValueError):
    """A plan cannot move from its status to the one asked (``routing.lifecycle``)."""


class EditRefusedError(RoutingError, ValueError):
    """An officer's edit of a plan would break a rule (``routing.plan_edit``).

    ``violations`` are the checker's findings for the edited plan; the message names the
    first rule and pupil.
    """

    def __init__(self, msg: str, violations: tuple[object, ...] = ()) -> None:
        super().__init__(msg)
        self.violations = violations
