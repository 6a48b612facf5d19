"""Re-plan an edited scenario against the plan in use, with the least upheaval.

When one pupil joins, leaves, moves house or changes needs, the families of the others
should not get a new driver, escort or time. So a re-plan repairs the previous plan
instead of starting again:

1. locked routes are kept as they are (a leaver taken off, the others' times held);
2. every other route keeps its vehicle, assistant, pupil order and, within 5 minutes,
   its home times (re-timed by the solver's own schedule rules); a pupil whose home or
   school moved, whose request changed (a sibling joined), or whose new needs the route
   can no longer meet is taken off it;
3. each pupil taken off, and each new pupil, goes where the change is cheapest, priced
   by :class:`UpheavalPrices`: the route's extra cost, plus a price for every other
   pupil whose home time moves by more than 5 minutes; or a new vehicle (its cost plus
   the price of a new vehicle). A pinned pupil goes only to their route;
4. the pupils no route takes are planned onto new vehicles by the solver
   (:func:`routing.solver.solve` over just them, within the fleet that is left).

The search of a fresh solve prices cost alone, so a warm-started whole-run search
(``solve(..., initial=previous)``) would buy pennies with other families' changes; the
repair prices each change instead, and ``scripts/replan_upheaval.py`` measures both
against a fresh plan (docs/replan.md). The result passes the independent checker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from routing.checks import check_plan
from routing.errors import InfeasiblePlanError, NoSolutionError
from routing.matrix import TravelMatrix
from routing.model import (
    Plan,
    PupilFlag,
    Route,
    Run,
    Scenario,
    SolveParams,
    StopKind,
    Unassigned,
    UnassignedCode,
)
from routing.plan_diff import PlanComparison, compare_plans
from routing.plan_edit import (
    PlanLocks,
    RunWork,
    best_insertion,
    home_times,
    retime,
    route_visits,
)
from routing.problem import restrict
from routing.solver import NOT_PLACED_REASON, route_for_visits, solve

logger = logging.getLogger(__name__)

COORD_MOVED_DEG = 1e-5
"""A home or school further than this (about a metre) from the previous stop has moved."""

NEAREST_ROUTES = 8
"""Routes tried for each pupil to place: those with homes nearest theirs (and pins)."""


@dataclass(frozen=True, slots=True)
class UpheavalPrices:
    """What the re-plan charges for each change, in pence of one day (on top of cost)."""

    time_change_pence: int = 1500  # another pupil's home time moved by more than 5 min
    new_vehicle_pence: int = 3000  # a vehicle added to the run
    leftover_time_limit_s: float = 2.0  # the solver's time for pupils no route takes


@dataclass(frozen=True)
class ReplanResult:
    """The re-plan, what changed against the previous plan, and how long it took."""

    plan: Plan
    comparison: PlanComparison
    kept_route_ids: tuple[str, ...]  # routes whose pupils, order and vehicle stayed
    seconds: float


def _request_still_here(work: RunWork, route: Route, rid: str) -> bool:
    """Whether the request's pupils are all on the route and its two ends where they were."""
    request = work.by_id[rid]
    on_route = set(route.pupil_ids())
    if not set(request.pupil_ids) <= on_route:
        return False
    problem = work.problem
    for stop in route.stops:
        if not set(stop.pupil_ids) & set(request.pupil_ids):
            continue
        loc = request.pickup_loc if stop.kind is StopKind.PICKUP else request.dropoff_loc
        if problem.location_ids[loc] != stop.location_id:
            return False
        if problem.lons and (
            abs(problem.lons[loc] - stop.lon) > COORD_MOVED_DEG
            or abs(problem.lats[loc] - stop.lat) > COORD_MOVED_DEG
        ):
            return False
    return True


def _keep_route(work: RunWork, route: Route, locked: bool) -> tuple[Route | None, list[str]]:
    """The route re-timed with the requests that can stay, and the request ids taken off."""
    visits = route_visits(work, route)
    stay = {rid for rid, _ in visits if _request_still_here(work, route, rid)}
    off = [rid for rid in dict.fromkeys(rid for rid, _ in visits) if rid not in stay]
    visits = [v for v in visits if v[0] in stay]
    held = {rid: at for rid, at in home_times(work, route).items() if rid in stay}
    slack = 0 if locked else None
    new = (retime(work, route, visits, held, slack) if slack is not None else None) or retime(
        work, route, visits, held
    )
    if new is not None or not visits:
        return new, off
    # A need changed so that the route breaks a rule: take off the one it no longer carries.
    for rid in dict.fromkeys(r for r, _ in visits):
        rest = [v for v in visits if v[0] != rid]
        new = retime(work, route, rest, held) if rest else None
        if new is not None:
            return new, [*off, rid]
    return None, [*off, *dict.fromkeys(r for r, _ in visits)]


def _nearest_routes(work: RunWork, routes: dict[str, Route], rid: str) -> list[str]:
    """The routes to try for a request: its school's first, nearest homes first."""
    problem = work.problem
    am = problem.run is Run.AM
    request = work.by_id[rid]
    home = request.pickup_loc if am else request.dropoff_loc
    school = request.dropoff_loc if am else request.pickup_loc
    scored: list[tuple[bool, int, str]] = []
    for route_id, route in routes.items():
        ends = [work.by_id[x] for x, _ in route_visits(work, route)]
        if not ends:
            continue
        homes = [r.pickup_loc if am else r.dropoff_loc for r in ends]
        same_school = any((r.dropoff_loc if am else r.pickup_loc) == school for r in ends)
        nearest = min(int(problem.duration_s[home, loc]) for loc in homes)
        scored.append((not same_school, nearest, route_id))
    return [route_id for _, _, route_id in sorted(scored)[:NEAREST_ROUTES]]


def _same_vehicle_partners(work: RunWork) -> dict[str, set[str]]:
    """Request id -> the other requests that must share its vehicle (siblings apart)."""
    out: dict[str, set[str]] = {}
    for group in work.problem.same_vehicle:
        for rid in group:
            out.setdefault(rid, set()).update(x for x in group if x != rid)
    return out


def _route_of_partner(work: RunWork, routes: dict[str, Route], partners: set[str]) -> str | None:
    for route_id, route in routes.items():
        if any(v[0] in partners for v in route_visits(work, route)):
            return route_id
    return None


def _take_off(
    work: RunWork, routes: dict[str, Route], partners: set[str], locks: PlanLocks
) -> list[str]:
    """Take ``partners`` off their (unlocked) routes, so the solver plans them together."""
    taken: list[str] = []
    for route_id, route in list(routes.items()):
        visits = route_visits(work, route)
        off = {v[0] for v in visits if v[0] in partners}
        if not off or route_id in locks.locked_route_ids:
            continue
        rest = [v for v in visits if v[0] not in off]
        held = home_times(work, route)
        new = retime(work, route, rest, held) if rest else None
        if rest and new is None:
            continue  # kept whole rather than broken; the checker has the last word
        if new is None:
            del routes[route_id]
        else:
            routes[route_id] = new
        taken += sorted(off)
    return taken


def _solo_cost(work: RunWork, rid: str) -> int | None:
    part = restrict(work.problem, {rid})
    route = route_for_visits(part, [(rid, True), (rid, False)])
    return None if route is None else route.cost_pence


def _place(
    work: RunWork,
    routes: dict[str, Route],
    open_ids: set[str],
    rid: str,
    pinned: str | None,
    prices: UpheavalPrices,
) -> bool:
    """Put request ``rid`` on the route where it costs least; False: a new vehicle is cheaper."""
    candidates = (
        [pinned]
        if pinned in routes
        else _nearest_routes(work, {k: v for k, v in routes.items() if k in open_ids}, rid)
    )
    best: tuple[int, str, Route] | None = None
    for route_id in candidates:
        found = best_insertion(
            work, routes[route_id], rid, moved_price_pence=prices.time_change_pence
        )
        if found is None:
            continue
        score = found.cost_change_pence + found.num_moved * prices.time_change_pence
        if best is None or score < best[0]:
            best = (score, route_id, found.route)
    solo = _solo_cost(work, rid)
    if best is None or (
        pinned is None and solo is not None and solo + prices.new_vehicle_pence < best[0]
    ):
        return False
    routes[best[1]] = best[2]
    return True


def _new_routes(
    work: RunWork,
    leftover: list[str],
    routes: dict[str, Route],
    params: SolveParams,
    limit_s: float,
) -> tuple[list[Route], list[Unassigned]]:
    """The solver's routes for the requests no route took, within the fleet left."""
    if not leftover:
        return [], []
    problem = work.problem
    used: dict[str, int] = {}
    for r in routes.values():
        used[r.vehicle_type] = used.get(r.vehicle_type, 0) + 1
    left: dict[str, int | None] = {
        c.vehicle_type: max(0, c.num_available - used.get(c.vehicle_type, 0))
        for c in problem.vehicle_classes
        if c.num_available is not None
    }
    part = restrict(problem, leftover, num_available=left, name=f"{problem.name} re-plan")
    try:
        solved = solve(part, replace(params, time_limit_s=limit_s, num_workers=1))
    except NoSolutionError:
        # No solution within the limit (a busy machine, many pupils to place): each on a
        # vehicle of their own, the cheapest that can carry them, or unassigned.
        solved = _solo_plan(work, leftover)
    taken = {int(r.route_id.split("-")[-1]) for r in routes.values() if r.route_id[-3:].isdigit()}
    number = max(taken, default=0)
    out: list[Route] = []
    for route in solved.routes:
        number += 1
        out.append(replace(route, route_id=f"{problem.run.value}-{number:03d}"))
    return out, list(solved.unassigned)


def _solo_plan(work: RunWork, leftover: list[str]) -> Plan:
    routes: list[Route] = []
    unplaced: list[Unassigned] = []
    for rid in leftover:
        route = route_for_visits(restrict(work.problem, {rid}), [(rid, True), (rid, False)])
        if route is None:
            unplaced += [
                Unassigned(pid, work.problem.run, NOT_PLACED_REASON, code=UnassignedCode.NOT_PLACED)
                for pid in work.by_id[rid].pupil_ids
            ]
        else:
            routes.append(route)
    return Plan(work.problem.name, tuple(routes), tuple(unplaced), work.problem.travel_model)


def _replan_run(
    scenario: Scenario,
    matrix: TravelMatrix,
    previous: Plan,
    locks: PlanLocks,
    run: Run,
    params: SolveParams,
    prices: UpheavalPrices,
) -> tuple[list[Route], list[Unassigned], list[str], list[PupilFlag]]:
    work = RunWork.build(scenario, matrix, run)
    pre_unassigned = work.unplannable
    routes: dict[str, Route] = {}
    pending: list[str] = []
    kept: list[str] = []
    for route in previous.routes_for(run):
        locked = route.route_id in locks.locked_route_ids
        new, off = _keep_route(work, route, locked)
        pending += off
        if new is not None:
            routes[route.route_id] = new
            if not off and len(new.pupil_ids()) == len(route.pupil_ids()):
                kept.append(route.route_id)
    placed = {pid for r in routes.values() for pid in r.pupil_ids()}
    pending += [
        r.request_id
        for r in work.problem.requests
        if not set(r.pupil_ids) & placed and r.request_id not in pending
    ]
    open_ids = {rid for rid in routes if rid not in locks.locked_route_ids}
    # Hardest first: wheelchairs, assistants and lone travellers have fewest places.
    pending.sort(
        key=lambda rid: (-work.by_id[rid].wheelchairs, not work.by_id[rid].needs_assistant)
    )
    leftover: list[str] = []
    partners = _same_vehicle_partners(work)
    for rid in dict.fromkeys(pending):
        pinned = next(
            (p for pid in work.by_id[rid].pupil_ids if (p := locks.pinned_route(pid, run))), None
        )
        with_partner = _route_of_partner(work, routes, partners.get(rid, set()))
        if with_partner is not None and with_partner in open_ids:
            pinned = with_partner
        if _place(work, routes, open_ids, rid, pinned, prices):
            continue
        leftover.append(rid)
        leftover += _take_off(work, routes, partners.get(rid, set()), locks)
    added, unplaced = _new_routes(work, leftover, routes, params, prices.leftover_time_limit_s)
    return [*routes.values(), *added], [*pre_unassigned, *unplaced], kept, list(work.problem.flags)


def replan(
    scenario: Scenario,
    matrix: TravelMatrix,
    previous: Plan,
    *,
    locks: PlanLocks | None = None,
    params: SolveParams | None = None,
    prices: UpheavalPrices | None = None,
    runs: tuple[Run, ...] | None = None,
) -> ReplanResult:
    """Plan ``scenario`` (an edited copy of the one ``previous`` was made for) with the
    least upheaval for the pupils already carried.

    Parameters
    ----------
    scenario, matrix
        The edited scenario and its travel matrix.
    previous
        The plan in use; its route ids are kept for the routes that stay.
    locks
        Locked routes (kept as they are) and pinned pupils.
    params
        Solver settings for the pupils no route can take (seed, search).
    prices
        What each change costs in the choice of where a pupil goes.
    runs
        The runs to re-plan (default: the previous plan's).

    Returns
    -------
    ReplanResult
        The plan (checked), its comparison with ``previous`` and the routes kept whole.

    Raises
    ------
    InfeasiblePlanError
        If the re-plan breaks a rule (it is never returned then).
    """
    started = time.perf_counter()
    locks = locks or PlanLocks()
    params = params or SolveParams()
    prices = prices or UpheavalPrices()
    runs = runs or tuple(
        r for r in Run if previous.routes_for(r) or any(u.run is r for u in previous.unassigned)
    )
    routes: list[Route] = []
    unassigned: list[Unassigned] = []
    kept: list[str] = []
    flags: list[PupilFlag] = []
    for run in runs:
        run_routes, run_unassigned, run_kept, run_flags = _replan_run(
            scenario, matrix, previous, locks, run, params, prices
        )
        routes += run_routes
        unassigned += run_unassigned
        kept += run_kept
        flags += run_flags
    plan = Plan(
        scenario_name=scenario.name,
        routes=tuple(routes),
        unassigned=tuple(unassigned),
        travel_model=matrix.model,
        solve_seconds=round(time.perf_counter() - started, 3),
        notes=(*previous.notes, "Re-planned against the previous plan with the least upheaval."),
        flags=tuple(flags),
    )
    violations = tuple(check_plan(scenario, matrix, plan, runs=runs))
    if violations:
        msg = (
            f"The re-plan of scenario '{scenario.name}' breaks {len(violations)} rule(s); "
            f"first: {violations[0].message}"
        )
        raise InfeasiblePlanError(msg, violations)
    seconds = time.perf_counter() - started
    logger.info("re-plan of %s: %d routes kept whole, %.1f s", scenario.name, len(kept), seconds)
    return ReplanResult(plan, compare_plans(previous, plan), tuple(kept), seconds)


__all__ = ["ReplanResult", "UpheavalPrices", "replan"]
