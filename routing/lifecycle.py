"""A plan's lifecycle: draft -> approved -> published -> superseded.

A plan is written as a draft. An officer approves it (a human signs off before any school
sees a time: UK GDPR art. 22), then publishes it; publishing a plan of a scenario
supersedes the plan of that scenario published before, so a new plan never silently
replaces a published one. Only a published plan's times reach schools. Plain domain
rules: who may act and what is recorded live in the service.
"""

from __future__ import annotations

from enum import StrEnum

from routing.errors import PlanTransitionError


class PlanStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


# The only moves there are; superseded is final (a new plan is made instead).
ALLOWED_TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.APPROVED}),
    PlanStatus.APPROVED: frozenset({PlanStatus.PUBLISHED}),
    PlanStatus.PUBLISHED: frozenset({PlanStatus.SUPERSEDED}),
    PlanStatus.SUPERSEDED: frozenset(),
}

_WHY_NOT: dict[tuple[PlanStatus, PlanStatus], str] = {
    (PlanStatus.DRAFT, PlanStatus.PUBLISHED): "approve it first",
    (PlanStatus.APPROVED, PlanStatus.APPROVED): "it is already approved",
    (PlanStatus.PUBLISHED, PlanStatus.APPROVED): "it is already published",
    (PlanStatus.PUBLISHED, PlanStatus.PUBLISHED): "it is already published",
}


def check_transition(plan_id: int, current: PlanStatus, target: PlanStatus) -> None:
    """Raise ``PlanTransitionError`` unless a plan in ``current`` may become ``target``.

    Raises
    ------
    PlanTransitionError
        Naming the plan, both statuses and, where there is one, what to do instead.
    """
    if target in ALLOWED_TRANSITIONS[current]:
        return
    why = _WHY_NOT.get((current, target))
    if why is None and current is PlanStatus.SUPERSEDED:
        why = "a superseded plan stays superseded; make a new plan"
    msg = f"Plan {plan_id} is {current.value} and cannot become {target.value}"
    raise PlanTransitionError(msg + (f": {why}." if why else "."))


def visible_to_schools(status: PlanStatus) -> bool:
    """Whether schools may see the plan's times (published plans only)."""
    return status is PlanStatus.PUBLISHED
