"""``solve(problem, params, initial=None)``: the parts of a solve, assembled in order.

1. the index space (``space``): nodes, vehicles, matrices over nodes;
2. the initial plan: the one passed in (a previous plan, a decomposition's parts), else
   the warm start (``warmstart``: large single-school routes, right-sized) for cost
   problems;
3. the search: the ruin-and-recreate search (``improve``/``alns``; PyVRP for plain
   VRPTW shapes) for distance problems (the literature's benchmarks) and, with
   ``SolveParams.search = "alns"``, for pupil problems too; else OR-Tools' guided local
   search (``ortools_model``);
4. after the search: sibling groups split by the search taken out, left-out requests
   inserted (``repair``), each route right-sized (``sizing``);
5. the Plan (``plans``), with times recomputed from the problem's matrices: AM as late as
   feasible (no early pickups, no waiting at school), PM as early as feasible.

Measured (this 2-core machine, medians): with the warm start, Havering 2-school slice at
10 s per run about £7,900 a day (today £9,782; OR-Tools' own first solution £11,122-11,526);
whole of Havering at 120 s per run about £20,600-21,100 (42-43% under today), with longer
rides (mean 20 -> 27.5 min, rides over 45 min 70 -> about 280). The ALNS on the Cordeau
a-set (60 s, one process, median of 3 seeds, docs/benchmarks-cordeau-60s.md): mean gap to
the optimum +0.24%, plain OR-Tools +2.7%.

Determinism: ``SolveParams.seed`` permutes the order of the requests in the space (seed 0
keeps the problem's order) and seeds the ALNS; OR-Tools' search uses no random numbers,
so with ``solution_limit`` a run is fully reproducible.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from routing.model import Plan, SolveParams, SolveProgress
from routing.problem import ObjectiveKind, Problem
from routing.solver.ortools_model import search_ortools
from routing.solver.plans import (
    empty_plan,
    initial_from_plan,
    plan_from_routes,
    space_routes_of_visits,
)
from routing.solver.repair import repair, split_groups
from routing.solver.sizing import right_size
from routing.solver.space import IndexSpace, SpaceRoute, Visit
from routing.solver.warmstart import InitialRoute, initial_routes

logger = logging.getLogger(__name__)

WARM_START_SHARE = 0.15
"""At most this share of a solve's time limit goes to building the warm start."""

ProgressFn = Callable[[SolveProgress], None]


def solve(
    problem: Problem,
    params: SolveParams,
    initial: Plan | None = None,
    progress: ProgressFn | None = None,
    *,
    solution_limit: int | None = None,
    warm_start: bool = True,
    use_alns: bool = True,
) -> Plan:
    """Plan one run (or one part of a run).

    Parameters
    ----------
    problem
        The requests, vehicle classes and matrices (from ``build_problem`` or a benchmark).
    params
        ``time_limit_s`` (wall clock, seconds), ``first_solution`` (an OR-Tools
        first-solution strategy name, or "auto"), ``seed``, ``num_workers`` (parallel
        seeds of the ALNS/PyVRP search).
    initial
        A plan to start from (a previous plan, the merged parts of a decomposition):
        pupils the problem does not have are skipped, the rest of each route kept in
        order. None: the warm start (cost problems, unless ``warm_start`` is False).
    progress
        Called with a :class:`SolveProgress` on each improving solution (at most twice
        a second) and once at the end; ``best_cost_pence`` is the best cost so far.
    solution_limit
        Stop OR-Tools after this many solutions (with a generous time limit, a
        reproducible run); keeps the OR-Tools path.
    warm_start
        Without ``initial``, start from the warm start (cost problems only).
    use_alns
        Distance problems that ``routing.solver.improve`` models completely go to its
        search instead of OR-Tools (not with ``solution_limit``).

    Returns
    -------
    Plan
        Routes numbered ``AM-001``... in the problem's location ids; requests no vehicle
        took are unassigned with reason "no feasible vehicle found within the time limit".

    Raises
    ------
    NoSolutionError
        If OR-Tools returns no solution at all (not even one dropping every request).
    """
    started = time.monotonic()
    if not problem.requests:
        return empty_plan(problem, started)
    space = IndexSpace(problem, params.seed)
    start = _initial_routes(space, params, initial, warm_start)
    by_alns = problem.objective is ObjectiveKind.DISTANCE or params.search == "alns"
    if use_alns and by_alns and solution_limit is None:
        plan = _solve_improved(space, params, start, started)
        if plan is not None:
            _report_done(progress, problem, plan, started)
            return plan
    plan = _solve_ortools(space, params, start, started, progress, solution_limit)
    _report_done(progress, problem, plan, started)
    return plan


def _initial_routes(
    space: IndexSpace, params: SolveParams, initial: Plan | None, warm_start: bool
) -> list[InitialRoute]:
    """The routes to start from: ``initial``'s, else the warm start, else none."""
    if initial is not None:
        return initial_from_plan(space, initial)
    if warm_start and space.problem.objective is ObjectiveKind.COST:
        return initial_routes(space, WARM_START_SHARE * params.time_limit_s)
    return []


def _solve_ortools(
    space: IndexSpace,
    params: SolveParams,
    start: list[InitialRoute],
    started: float,
    progress: ProgressFn | None,
    solution_limit: int | None,
) -> Plan:
    """OR-Tools' search from ``start``, then split groups, repair, right-size."""
    wanted: dict[int, int] = {}
    for ci, _ in start:
        wanted[ci] = wanted.get(ci, 0) + 1
    space.add_vehicles(wanted)
    if not space.vehicles:
        return plan_from_routes(space, [], started, 0)
    repair_s = min(1.0, 0.05 * params.time_limit_s)  # kept back for the repair pass
    search_s = max(0.1, params.time_limit_s - repair_s - (time.monotonic() - started))
    routes, objective = search_ortools(space, params, search_s, start, progress, solution_limit)
    logger.info(
        "%s: %d requests, %d vehicles offered, objective %d",
        space.problem.name,
        len(space.requests),
        len(space.vehicles),
        objective,
    )
    return _finish(space, routes, params, started, objective)


def _finish(
    space: IndexSpace, routes: list[SpaceRoute], params: SolveParams, started: float, objective: int
) -> Plan:
    """After any search: split sibling groups, insert left-out requests, right-size, Plan."""
    routes = split_groups(space, routes)
    routes = repair(space, routes, max(started + params.time_limit_s, time.monotonic() + 0.2))
    routes = right_size(space, routes)
    return plan_from_routes(space, routes, started, objective)


def _solve_improved(
    space: IndexSpace, params: SolveParams, start: list[InitialRoute], started: float
) -> Plan | None:
    """The ``improve`` search's plan in the space; None when it does not apply."""
    # Imported here, not for a cycle: numba's import (about 0.7 s) stays out of the
    # decomposition's OR-Tools workers, which spawn a fresh interpreter per run.
    from routing.solver import improve

    problem = space.problem
    if not improve.supported(problem):
        return None
    if not improve.vrptw_shape(problem):
        # Compiling the ALNS is a one-off cost per machine (numba caches it on disk), like
        # an import: it is not taken from the search's time limit, or a first call on a
        # fresh machine would get no search at all and could leave requests unplaced.
        before = time.monotonic()
        improve.warm_up()
        started += time.monotonic() - before
    visits = [
        (ci, [Visit(space.nodes[n].request_idx, space.nodes[n].is_pickup, 0) for n in seq])
        for ci, seq in start
    ]
    left = max(0.1, params.time_limit_s - (time.monotonic() - started))
    found = improve.solve_improved(
        space,
        left,
        params.seed,
        num_workers=params.num_workers,
        initial=visits or None,
        executor=params.executor,
    )
    if found is None:
        return None
    routes = space_routes_of_visits(space, found)
    return _finish(space, routes, params, started, improve.routes_cost(space, found))


def _report_done(progress: ProgressFn | None, problem: Problem, plan: Plan, started: float) -> None:
    if progress is not None:
        progress(
            SolveProgress(
                run=problem.run,
                parts_done=1,
                parts_total=1,
                elapsed_s=time.monotonic() - started,
                best_cost_pence=plan.cost_pence,
                message=f"{problem.name}: done",
            )
        )


__all__ = ["WARM_START_SHARE", "solve"]
