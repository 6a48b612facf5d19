"""The plan lifecycle in the database: approve, publish (superseding), every step audited.

The rule of which moves there are is ``routing.lifecycle``; this module records who moved
a plan and when, and keeps one published plan per scenario.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal
from api.models import PlanRow, ScenarioRow
from routing.errors import PlanTransitionError
from routing.lifecycle import PlanStatus, check_transition


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def approve(session: Session, request: Request, officer: Principal, plan: PlanRow) -> None:
    """Mark a draft plan approved by ``officer`` now (the caller commits); a draft kept
    broken by a forced edit cannot be approved."""
    check_transition(plan.id, PlanStatus(plan.status), PlanStatus.APPROVED)
    if plan.is_broken:
        msg = (
            f"Plan {plan.id} is a draft kept although it breaks {len(plan.violations or [])} "
            "rule(s) and cannot be approved: edit it until the checker passes it."
        )
        raise PlanTransitionError(msg)
    plan.status = PlanStatus.APPROVED.value
    plan.approved_by_user_id = officer.user_id
    plan.approved_by = officer.username
    plan.approved_at = _now(request)
    audit.record(session, request, officer, "plan.approve", f"plan:{plan.id}")


def publish(session: Session, request: Request, officer: Principal, plan: PlanRow) -> list[int]:
    """Publish an approved plan, superseding the scenario's published one (the caller
    commits); returns the ids of the plans it superseded."""
    check_transition(plan.id, PlanStatus(plan.status), PlanStatus.PUBLISHED)
    # Serialise publications of one scenario (PostgreSQL; SQLite has one writer anyway),
    # so two officers publishing at once cannot leave two plans published.
    session.get(ScenarioRow, plan.scenario_id, with_for_update=True)
    now = _now(request)
    earlier = session.scalars(
        select(PlanRow).where(
            PlanRow.scenario_id == plan.scenario_id,
            PlanRow.status == PlanStatus.PUBLISHED.value,
            PlanRow.id != plan.id,
        )
    ).all()
    for old in earlier:
        check_transition(old.id, PlanStatus(old.status), PlanStatus.SUPERSEDED)
        old.status = PlanStatus.SUPERSEDED.value
        old.superseded_at = now
        audit.record(session, request, officer, "plan.supersede", f"plan:{old.id}", by_plan=plan.id)
    plan.status = PlanStatus.PUBLISHED.value
    plan.published_at = now
    superseded = [old.id for old in earlier]
    audit.record(
        session, request, officer, "plan.publish", f"plan:{plan.id}", superseded=superseded
    )
    return superseded


def published_for_school(session: Session, plan_id: int, school_id: str) -> bool:
    """Whether a school may see the plan's times: it is published and includes the school."""
    row = session.execute(
        select(PlanRow.status, PlanRow.school_ids).where(PlanRow.id == plan_id)
    ).first()
    return (
        row is not None
        and row.status == PlanStatus.PUBLISHED.value
        and school_id in (row.school_ids or ())
    )
