"""The plan lifecycle rule: which status may follow which, and the refusals' messages."""

from __future__ import annotations

import itertools

import pytest

from routing.errors import PlanTransitionError
from routing.lifecycle import ALLOWED_TRANSITIONS, PlanStatus, check_transition, visible_to_schools

D, A, P, S = PlanStatus.DRAFT, PlanStatus.APPROVED, PlanStatus.PUBLISHED, PlanStatus.SUPERSEDED


def test_the_only_moves_are_draft_approved_published_superseded() -> None:
    allowed = {(a, b) for a, targets in ALLOWED_TRANSITIONS.items() for b in targets}
    assert allowed == {(D, A), (A, P), (P, S)}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(PlanStatus, PlanStatus)))
def test_every_other_move_is_refused_naming_plan_and_statuses(
    current: PlanStatus, target: PlanStatus
) -> None:
    if (current, target) in {(D, A), (A, P), (P, S)}:
        check_transition(7, current, target)
        return
    with pytest.raises(PlanTransitionError) as err:
        check_transition(7, current, target)
    assert str(err.value).startswith(f"Plan 7 is {current.value} and cannot become {target.value}")


def test_refusals_say_what_to_do() -> None:
    with pytest.raises(PlanTransitionError, match="approve it first"):
        check_transition(1, D, P)
    with pytest.raises(PlanTransitionError, match="make a new plan"):
        check_transition(1, S, P)


def test_only_published_plans_reach_schools() -> None:
    assert [s for s in PlanStatus if visible_to_schools(s)] == [P]
