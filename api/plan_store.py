"""Plans in the database: written once per job, read as routes, trips and summaries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from api.convert import from_jsonable, to_jsonable
from api.models import (
    PlanRouteRow,
    PlanRow,
    PlanStopRow,
    PlanTripRow,
    PlanUnassignedRow,
)
from routing.collection_report import pickup_place_words
from routing.model import (
    CollectionWalk,
    Plan,
    Route,
    Run,
    Scenario,
    Stop,
    StopKind,
    Unassigned,
    UnassignedCode,
)
from routing.reports import display_name


def plan_summary(scenario: Scenario, plan: Plan) -> dict[str, Any]:
    """Totals any role may see: routes, distance, cost per day and year, counts."""
    day_cost_pence = plan.cost_pence
    runs: dict[str, Any] = {}
    for run in Run:
        routes = plan.routes_for(run)
        if not routes and not any(u.run is run for u in plan.unassigned):
            continue
        runs[run.value] = {
            "num_routes": len(routes),
            "num_pupils_carried": sum(len(r.pupil_ids()) for r in routes),
            "num_unassigned": sum(1 for u in plan.unassigned if u.run is run),
            "num_assistants": sum(1 for r in routes if r.has_assistant),
            "distance_m": sum(r.distance_m for r in routes),
            "cost_pence": sum(r.cost_pence for r in routes),
        }
    return {
        "num_routes": len(plan.routes),
        "num_unassigned": len(plan.unassigned),
        "distance_m": sum(r.distance_m for r in plan.routes),
        "day_cost_pence": day_cost_pence,
        "annual_cost_pence": day_cost_pence * scenario.policy.school_days_per_year,
        "school_days_per_year": scenario.policy.school_days_per_year,
        "runs": runs,
    }


def _trips(
    plan_id: int,
    route: Route,
    names: dict[str, str],
    schools: dict[str, str],
    places: dict[str, str],
) -> list[PlanTripRow]:
    pickups: dict[str, int] = {}
    dropoffs: dict[str, int] = {}
    for stop in route.stops:
        target = pickups if stop.kind is StopKind.PICKUP else dropoffs
        for pid in stop.pupil_ids:
            target[pid] = stop.service_start_s
    return [
        PlanTripRow(
            plan_id=plan_id,
            run=route.run.value,
            pupil_id=pid,
            school_id=schools.get(pid, ""),
            route_id=route.route_id,
            vehicle_type=route.vehicle_type,
            has_assistant=route.has_assistant,
            pickup_s=pickup_s,
            dropoff_s=dropoffs.get(pid, pickup_s),
            display_name=names.get(pid, ""),
            pickup_place=places.get(pid, "home"),
        )
        for pid, pickup_s in pickups.items()
    ]


def add_plan(
    session: Session,
    *,
    scenario_id: int,
    scenario: Scenario,
    plan: Plan,
    comparison: dict[str, Any] | None,
    runs: tuple[Run, ...],
    geojson: dict[str, Any] | None = None,
    job_id: str | None,
) -> PlanRow:
    """Add a plan with its routes, stops, trips and unassigned pupils to ``session``.

    ``plans.job_id`` is unique, so a second write for the same job fails in the
    database rather than leaving a duplicate.
    """
    names = {p.pupil_id: display_name(p) for p in scenario.pupils}
    pupil_school = {p.pupil_id: p.school_id for p in scenario.pupils}
    places = pickup_place_words(plan, scenario)
    row = PlanRow(
        job_id=job_id,
        scenario_id=scenario_id,
        scenario_name=scenario.name,
        runs=[r.value for r in runs],
        travel_model=plan.travel_model[:500],
        solve_seconds=float(plan.solve_seconds),
        objective=int(plan.objective),
        notes=list(plan.notes),
        summary=plan_summary(scenario, plan),
        comparison=to_jsonable(comparison) if comparison is not None else None,
        geojson=geojson,
        walks=to_jsonable(plan.walks),
        school_ids=sorted(
            {pupil_school[pid] for r in plan.routes for pid in r.pupil_ids() if pid in pupil_school}
            | {pupil_school[u.pupil_id] for u in plan.unassigned if u.pupil_id in pupil_school}
        ),
    )
    for i, route in enumerate(plan.routes):
        route_row = PlanRouteRow(
            position=i,
            route_id=route.route_id,
            run=route.run.value,
            vehicle_type=route.vehicle_type,
            seats=route.seats,
            wheelchair_places=route.wheelchair_places,
            has_assistant=route.has_assistant,
            distance_m=route.distance_m,
            duration_s=route.duration_s,
            cost_pence=route.cost_pence,
        )
        route_row.stops = [
            PlanStopRow(
                position=j,
                kind=stop.kind.value,
                pupil_ids=list(stop.pupil_ids),
                location_id=stop.location_id,
                lon=stop.lon,
                lat=stop.lat,
                arrival_s=stop.arrival_s,
                service_start_s=stop.service_start_s,
                departure_s=stop.departure_s,
                school_id=stop.school_id,
            )
            for j, stop in enumerate(route.stops)
        ]
        row.routes.append(route_row)
    row.unassigned = [
        PlanUnassignedRow(
            pupil_id=u.pupil_id,
            school_id=pupil_school.get(u.pupil_id, ""),
            run=u.run.value,
            code=u.code,
            reason=u.reason,
        )
        for u in plan.unassigned
    ]
    session.add(row)
    session.flush()
    for route in plan.routes:
        session.add_all(_trips(row.id, route, names, pupil_school, places))
    session.flush()
    return row


def get_plan(session: Session, plan_id: int, *, with_stops: bool = True) -> PlanRow | None:
    """A plan with its routes (and stops) and unassigned pupils loaded, or None."""
    load = selectinload(PlanRow.routes)
    options = [load.selectinload(PlanRouteRow.stops) if with_stops else load]
    return session.scalar(
        select(PlanRow)
        .where(PlanRow.id == plan_id)
        .options(*options, selectinload(PlanRow.unassigned))
    )


def school_trips(session: Session, plan_id: int, school_id: str, run: Run | None) -> list[Any]:
    """The trips of one school's pupils in one plan, ordered by run and pickup time.

    Plain rows (not ORM objects): this is the hot read of the pickup list.
    """
    query = select(
        PlanTripRow.run,
        PlanTripRow.pickup_s,
        PlanTripRow.dropoff_s,
        PlanTripRow.display_name,
        PlanTripRow.vehicle_type,
        PlanTripRow.route_id,
        PlanTripRow.has_assistant,
        PlanTripRow.pickup_place,
    ).where(PlanTripRow.plan_id == plan_id, PlanTripRow.school_id == school_id)
    if run is not None:
        query = query.where(PlanTripRow.run == run.value)
    query = query.order_by(PlanTripRow.run, PlanTripRow.pickup_s, PlanTripRow.display_name)
    return list(session.execute(query).all())


def plan_from_row(row: PlanRow) -> Plan:
    """The stored plan as a domain ``Plan`` (routes, stops and unassigned loaded)."""
    return Plan(
        scenario_name=row.scenario_name,
        routes=tuple(
            Route(
                route_id=r.route_id,
                run=Run(r.run),
                vehicle_type=r.vehicle_type,
                seats=r.seats,
                wheelchair_places=r.wheelchair_places,
                has_assistant=r.has_assistant,
                stops=tuple(
                    Stop(
                        kind=StopKind(s.kind),
                        pupil_ids=tuple(s.pupil_ids),
                        location_id=s.location_id,
                        lon=s.lon,
                        lat=s.lat,
                        arrival_s=s.arrival_s,
                        service_start_s=s.service_start_s,
                        departure_s=s.departure_s,
                        school_id=s.school_id,
                    )
                    for s in r.stops
                ),
                distance_m=r.distance_m,
                duration_s=r.duration_s,
                cost_pence=r.cost_pence,
            )
            for r in row.routes
        ),
        unassigned=tuple(
            Unassigned(
                pupil_id=u.pupil_id, run=Run(u.run), reason=u.reason, code=UnassignedCode(u.code)
            )
            for u in row.unassigned
        ),
        travel_model=row.travel_model,
        solve_seconds=row.solve_seconds,
        objective=row.objective,
        notes=tuple(str(n) for n in row.notes),
        walks=tuple(from_jsonable(CollectionWalk, w) for w in row.walks or ()),
    )
