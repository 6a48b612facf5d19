"""An officer's edits and re-plans of stored plans: each a new version, every step audited.

The rules are ``routing.plan_edit`` (lock, pin, move, reorder; the checker's verdict and
the cost change), ``routing.replan`` (the least-upheaval re-plan) and
``routing.plan_diff`` (what changed between two versions); this module loads what they
need from the database, stores the result as a new plan row (a draft whose parent is
the plan edited, ``version`` one more, locks carried) and audits it. Locks change the
plan's row in place: they change no time, only what later edits and re-plans may touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal
from api.errors import ApiError, not_found
from api.models import PlanRow
from api.plan_store import add_plan, get_plan, plan_from_row
from api.scenario_store import load_scenario, with_server_files
from api.schemas import (
    ChangeResponse,
    EditRequest,
    EditResponse,
    LocksResponse,
    PlanChangesResponse,
    ViolationResponse,
)
from routing.checks import Violation
from routing.comparison import compare, comparison_to_dict
from routing.matrix import TravelMatrix
from routing.model import Plan, Run, Scenario, SolveParams
from routing.network import build_travel_matrix
from routing.pipeline import replan_source
from routing.plan_diff import PlanComparison, compare_plans, upheaval
from routing.plan_edit import EditResult, lock_route, move_pupil, pin_pupil, reorder_route
from routing.plan_locks import PlanLocks
from routing.replan import ReplanResult, UpheavalPrices
from routing.reports import routes_geojson


@dataclass(frozen=True)
class Loaded:
    """A stored plan with what the domain needs to edit it."""

    row: PlanRow
    scenario: Scenario
    source_dir: Path | None
    plan: Plan
    locks: PlanLocks


def load(session: Session, plan_id: int) -> Loaded:
    """The plan, its scenario and locks (404 when either is gone)."""
    row = get_plan(session, plan_id)
    if row is None:
        raise not_found("plan", plan_id)
    loaded = load_scenario(session, row.scenario_id)
    if loaded is None:
        raise not_found("scenario", row.scenario_id)
    scenario, source_dir = with_server_files(*loaded)
    return Loaded(row, scenario, source_dir, plan_from_row(row), PlanLocks.from_dict(row.locks))


def _need(value: str | None, name: str, action: str) -> str:
    if not value:
        raise ApiError(422, "invalid_request", f"A '{action}' edit needs '{name}'.")
    return value


def _edit(loaded: Loaded, matrix: TravelMatrix | None, edit: EditRequest) -> EditResult | PlanLocks:
    """The domain edit the request asks for (locks alone for lock and unlock)."""
    action = edit.action
    if action in ("lock", "unlock"):
        route_id = _need(edit.route_id, "route_id", action)
        return lock_route(loaded.plan, loaded.locks, route_id, locked=action == "lock")
    assert matrix is not None
    args = (loaded.scenario, matrix, loaded.plan, loaded.locks)
    if action == "reorder":
        route_id = _need(edit.route_id, "route_id", action)
        order = edit.order or []
        return reorder_route(*args, route_id, order, force=edit.force)
    pupil_id = _need(edit.pupil_id, "pupil_id", action)
    run = Run(_need(edit.run, "run", action))
    if action == "pin":
        route_id = _need(edit.route_id, "route_id", action)
        return pin_pupil(*args, pupil_id, run, route_id, force=edit.force)
    to_route = _need(edit.to_route_id, "to_route_id", action)
    return move_pupil(
        *args, pupil_id, run, to_route, home_position=edit.home_position, force=edit.force
    )


def violations_body(
    violations: tuple[Violation, ...] | tuple[object, ...],
) -> list[ViolationResponse]:
    return [
        ViolationResponse(
            kind=v.kind.value, run=v.run.value, route_id=v.route_id, pupil_id=v.pupil_id,
            message=v.message,
        )
        for v in violations
        if isinstance(v, Violation)
    ]  # fmt: skip


def _locks_body(locks: PlanLocks) -> LocksResponse:
    data = locks.to_dict()
    return LocksResponse(
        locked_route_ids=list(data["locked_route_ids"]),  # type: ignore[call-overload]
        pins=list(data["pins"]),  # type: ignore[call-overload]
    )


def _store_version(
    session: Session,
    loaded: Loaded,
    plan: Plan,
    matrix: TravelMatrix,
    locks: PlanLocks,
    *,
    scenario_id: int | None = None,
    scenario: Scenario | None = None,
    violations: tuple[Violation, ...] = (),
    note: str,
) -> PlanRow:
    """A new draft row: ``plan`` as the next version of ``loaded``'s plan."""
    scenario = scenario or loaded.scenario
    row = add_plan(
        session,
        scenario_id=scenario_id or loaded.row.scenario_id,
        scenario=scenario,
        plan=plan,
        comparison=comparison_to_dict(compare(scenario, matrix, plan)),
        geojson=routes_geojson(plan),
        runs=tuple(Run(r) for r in loaded.row.runs),
        job_id=None,
    )
    row.parent_plan_id = loaded.row.id
    row.version = (loaded.row.version or 1) + 1
    row.locks = locks.to_dict()
    row.is_broken = bool(violations)
    row.violations = [v.model_dump() for v in violations_body(violations)] or None
    row.edit_note = note[:500]
    session.flush()
    return row


def apply_edit(
    session: Session,
    request: Request,
    officer: Principal,
    plan_id: int,
    edit: EditRequest,
    *,
    cache_dir: Path | None,
) -> EditResponse:
    """Apply one edit to a stored plan (the caller commits); refused edits raise
    ``EditRefusedError`` (422, naming the rule and the pupil)."""
    loaded = load(session, plan_id)
    matrix = None
    if edit.action not in ("lock", "unlock"):
        matrix = build_travel_matrix(loaded.scenario, loaded.source_dir, cache_dir=cache_dir)
    found = _edit(loaded, matrix, edit)
    if isinstance(found, PlanLocks):
        loaded.row.locks = found.to_dict()
        audit.record(
            session, request, officer, f"plan.{edit.action}", f"plan:{plan_id}",
            route_id=edit.route_id,
        )  # fmt: skip
        return EditResponse(
            plan_id=plan_id, parent_plan_id=loaded.row.parent_plan_id,
            version=loaded.row.version or 1, status=loaded.row.status,
            is_broken=loaded.row.is_broken,
            description=f"Route {edit.route_id} {edit.action}ed", cost_change_pence=0,
            changed_route_ids=[], violations=[], locks=_locks_body(found),
        )  # fmt: skip
    assert matrix is not None
    row = _store_version(
        session, loaded, found.plan, matrix, found.locks, violations=found.violations,
        note=found.description,
    )  # fmt: skip
    audit.record(
        session, request, officer, "plan.edit", f"plan:{row.id}", edit=edit.action,
        parent=plan_id, routes=list(found.changed_route_ids), broken=found.is_broken,
    )  # fmt: skip
    return EditResponse(
        plan_id=row.id, parent_plan_id=plan_id, version=row.version, status=row.status,
        is_broken=found.is_broken, description=found.description,
        cost_change_pence=found.cost_change_pence,
        changed_route_ids=list(found.changed_route_ids),
        violations=violations_body(found.violations), locks=_locks_body(found.locks),
    )  # fmt: skip


def changes_response(plan_id: int, since_id: int, old: Plan, new: Plan) -> PlanChangesResponse:
    diff: PlanComparison = compare_plans(old, new)
    return PlanChangesResponse(
        plan_id=plan_id,
        since_plan_id=since_id,
        cost_change_pence=diff.cost_change_pence,
        num_upset=upheaval(old, new),
        routes_added=list(diff.routes_added),
        routes_removed=list(diff.routes_removed),
        routes_changed=list(diff.routes_changed),
        changes=[
            ChangeResponse(
                pupil_id=c.pupil_id, run=c.run.value, change=c.kind.value, old=c.old,
                new=c.new, minutes=c.minutes,
            )
            for c in diff.changes
        ],
    )  # fmt: skip


def plan_changes(session: Session, plan_id: int, since_id: int | None) -> PlanChangesResponse:
    """What changed from plan ``since_id`` (default: the plan's parent) to ``plan_id``."""
    row = get_plan(session, plan_id)
    if row is None:
        raise not_found("plan", plan_id)
    since_id = since_id or row.parent_plan_id
    if since_id is None:
        msg = f"Plan {plan_id} has no parent: say which plan to compare it with (?since=ID)."
        raise ApiError(422, "invalid_request", msg)
    other = get_plan(session, since_id)
    if other is None:
        raise not_found("plan", since_id)
    return changes_response(plan_id, since_id, plan_from_row(other), plan_from_row(row))


def replan_plan(
    session: Session,
    request: Request,
    officer: Principal,
    plan_id: int,
    scenario_id: int,
    *,
    time_limit_s: float,
    cache_dir: Path | None,
) -> tuple[PlanRow, ReplanResult]:
    """Re-plan scenario ``scenario_id`` against stored plan ``plan_id`` (its locks kept);
    the result is stored as the plan's next version, a draft of that scenario."""
    loaded = load(session, plan_id)
    found = load_scenario(session, scenario_id)
    if found is None:
        raise not_found("scenario", scenario_id)
    scenario, source_dir = with_server_files(*found)

    result, replanned = replan_source(
        scenario,
        source_dir,
        loaded.plan,
        SolveParams(time_limit_s=time_limit_s, num_workers=1),
        locks=loaded.locks,
        prices=UpheavalPrices(leftover_time_limit_s=time_limit_s),
        cache_dir=cache_dir,
    )
    row = _store_version(
        session, loaded, result.plan, result.matrix, loaded.locks, scenario_id=scenario_id,
        scenario=scenario, note=f"Re-planned scenario {scenario_id} against plan {plan_id}",
    )  # fmt: skip
    audit.record(
        session, request, officer, "plan.replan", f"plan:{row.id}", parent=plan_id,
        scenario=scenario_id, kept=len(replanned.kept_route_ids),
        changes=len(replanned.comparison.changes),
    )  # fmt: skip
    return row, replanned
