"""Split a run's problem into parts, solve the parts in parallel, merge one plan.

One OR-Tools model of several hundred pupils finds its first plan slowly and improves it
slowly; parts of at most ``SolveParams.max_part_requests`` requests solve fast, and two
run at once on two cores. The split follows how the problem falls apart anyway:

1. requests that must share a vehicle (siblings at different schools) are one unit, and
   schools linked by such units are one school group;
2. a school group larger than a part is cut into sectors by the angle of its pupils'
   homes around the schools (pupils in one direction can share a vehicle);
3. small groups are merged with their nearest neighbours (by place) while they fit, so a
   part holds nearby schools and mixed-school routes can still form where allowed.

Incompatible pairs need no care here: two parts never share a vehicle. A vehicle type's
``num_available`` is shared out between the parts in proportion to their requests.

The parts run on the run's executor (:mod:`routing.executor`: a ``spawn`` process pool,
or Ray tasks; OR-Tools imported in the workers);
each part gets a share of the run's time budget in proportion to its size and never runs
past the run's deadline, so the whole run ends within ``SolveParams.time_limit_s``.

Measured on the embedded Havering scenario (802 pupils, 35 schools, approximate travel
model, this 2-core machine shared with other work): 7 parts of 100-119 requests per run;
``time_limit_s=120`` per run plans AM and PM in 236 s wall including loading (day cost
£25,323, 346 routes, no checker violations); ``time_limit_s=60`` in 117 s (£26,098).
With the solver's warm start (``routing.solver.warmstart``), 120 s per run: £20,622-21,091 a day
(about 211 routes, 106-109 vehicles, minibuses included) in 237 s wall.
Recommended: 120 s per run (AM + PM within 5 minutes).
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from routing.errors import NoSolutionError
from routing.executor import open_executor
from routing.model import (
    Plan,
    Route,
    Run,
    Scenario,
    SolveParams,
    SolveProgress,
    Unassigned,
    UnassignedCode,
)
from routing.problem import COST_UNITS_PER_PENCE, Problem, Request, build_problem, restrict
from routing.rides import count_rides_over, ride_times_s

if TYPE_CHECKING:
    from routing.matrix import TravelMatrix

logger = logging.getLogger(__name__)

NOT_PLACED_REASON = "no feasible vehicle found within the time limit"

ProgressFn = Callable[[SolveProgress], None]

MERGE_MARGIN_S = 2.0
"""Seconds kept back at the end of a run for mapping plans back and merging them."""

MIN_PART_LIMIT_S = 1.0
"""No part is given less search time than this (its first solution needs some)."""

SEED_SHARE = 0.15
"""With ``SolveParams.search`` "auto" (the default) or "alns": the parts (OR-Tools from
the warm start) get this share of the run's time; their merged plan then seeds the
ruin-and-recreate search over the whole run, which moves pupils across the parts' seams,
for the rest. Havering AM, the default policy, 120 s, seed 0, quiet machine, after the
search's kernels became twice as fast (2026-12-07, docs/benchmarks-policy.md): parts 40%:
£10,248; 15%: £10,163. (On 2026-12-03, the slower search, cost only, load 18-22: 25%
£10,049; 40% £9,963; 60% £10,266; the parts alone £11,601.)"""


WHOLE_RUN_MAX_REQUESTS = 2000
"""Runs larger than this keep the parts' plan (no whole-run search): the search's arrays
over a run are (2 x requests)^2 and would not fit the county's memory budget."""

COMPLETE_SHARE = 0.2
COMPLETE_MIN_S = 10.0
"""After the search, the completion step (``routing.solver.complete``) may start placing
left-out pupils for this share of the run's time limit (at least ``COMPLETE_MIN_S``)."""


class _UnionFind:
    def __init__(self, items: Sequence[str]) -> None:
        self.parent = {x: x for x in items}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _home_loc(problem: Problem, r: Request) -> int:
    return r.pickup_loc if problem.run is Run.AM else r.dropoff_loc


def _school_loc(problem: Problem, r: Request) -> int:
    return r.dropoff_loc if problem.run is Run.AM else r.pickup_loc


def _xy(problem: Problem, loc: int) -> tuple[float, float]:
    """Local planar coordinates (km) for angles and nearness; (0, 0) if none are known."""
    if not problem.lons:
        return (0.0, 0.0)
    lat = problem.lats[loc]
    return (problem.lons[loc] * 111.32 * math.cos(math.radians(lat)), lat * 110.57)


def split_requests(problem: Problem, max_part_requests: int) -> list[list[str]]:
    """Request ids of each part, each part at most ``max_part_requests`` (units permitting).

    Parameters
    ----------
    problem
        The whole run.
    max_part_requests
        Largest part wanted (a unit that must share a vehicle is never cut, so a part can
        exceed this only when one unit does).

    Returns
    -------
    list[list[str]]
        Parts in a stable order (largest first), every request in exactly one part.
    """
    requests = list(problem.requests)
    if len(requests) <= max_part_requests:
        return [[r.request_id for r in requests]] if requests else []
    by_id = {r.request_id: r for r in requests}
    units = _UnionFind([r.request_id for r in requests])
    for group in problem.same_vehicle:
        present = [g for g in group if g in by_id]
        for other in present[1:]:
            units.union(present[0], other)
    unit_members: dict[str, list[str]] = {}
    for r in requests:
        unit_members.setdefault(units.find(r.request_id), []).append(r.request_id)
    schools = _UnionFind(sorted({r.school_id for r in requests}))
    for members in unit_members.values():
        sids = [by_id[m].school_id for m in members]
        for s in sids[1:]:
            schools.union(sids[0], s)
    group_units: dict[str, list[list[str]]] = {}
    for members in unit_members.values():
        root = schools.find(by_id[members[0]].school_id)
        group_units.setdefault(root, []).append(members)

    chunks: list[list[list[str]]] = []  # each chunk: list of units
    for root in sorted(group_units):
        gunits = group_units[root]
        size = sum(len(u) for u in gunits)
        if size <= max_part_requests:
            chunks.append(gunits)
            continue
        # Sectors by the angle of homes around the group's schools.
        school_locs = {_school_loc(problem, by_id[m]) for u in gunits for m in u}
        pts = [_xy(problem, loc) for loc in school_locs]
        cx = sum(p[0] for p in pts) / len(pts)
        cy = sum(p[1] for p in pts) / len(pts)

        def angle(unit: list[str], cx: float = cx, cy: float = cy) -> float:
            hx, hy = _xy(problem, _home_loc(problem, by_id[unit[0]]))
            return math.atan2(hy - cy, hx - cx)

        ordered = sorted(gunits, key=lambda u: (angle(u), u[0]))
        num_sectors = math.ceil(size / max_part_requests)
        target = math.ceil(size / num_sectors)
        current: list[list[str]] = []
        count = 0
        for u in ordered:
            if current and count + len(u) > target:
                chunks.append(current)
                current, count = [], 0
            current.append(u)
            count += len(u)
        if current:
            chunks.append(current)

    # Merge small chunks with their nearest neighbour while they fit.
    def centre(chunk: list[list[str]]) -> tuple[float, float]:
        pts = [_xy(problem, _school_loc(problem, by_id[m])) for u in chunk for m in u]
        pts += [_xy(problem, _home_loc(problem, by_id[m])) for u in chunk for m in u]
        return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))

    sizes = [sum(len(u) for u in c) for c in chunks]
    centres = [centre(c) for c in chunks]
    alive = list(range(len(chunks)))
    while True:
        alive.sort(key=lambda i: (sizes[i], i))
        merged = False
        for i in alive:
            best: tuple[float, int] | None = None
            for j in alive:
                if j == i or sizes[i] + sizes[j] > max_part_requests:
                    continue
                d = math.dist(centres[i], centres[j])
                if best is None or d < best[0]:
                    best = (d, j)
            if best is not None:
                j = best[1]
                chunks[j] = chunks[j] + chunks[i]
                total = sizes[i] + sizes[j]
                centres[j] = (
                    (centres[i][0] * sizes[i] + centres[j][0] * sizes[j]) / total,
                    (centres[i][1] * sizes[i] + centres[j][1] * sizes[j]) / total,
                )
                sizes[j] = total
                alive.remove(i)
                merged = True
                break
        if not merged:
            break
    parts = [[m for u in chunks[i] for m in u] for i in alive]
    parts.sort(key=lambda p: (-len(p), p[0]))
    return parts


def _share_vehicles(problem: Problem, parts: list[list[str]]) -> list[dict[str, int | None]]:
    """Each part's share of each limited vehicle type, in proportion to its requests."""
    limited = {
        c.vehicle_type: c.num_available
        for c in problem.vehicle_classes
        if c.num_available is not None
    }
    total = sum(len(p) for p in parts) or 1
    shares: list[dict[str, int | None]] = [{} for _ in parts]
    for name, available in limited.items():
        assert available is not None
        base = [available * len(p) // total for p in parts]
        rest = available - sum(base)
        order = sorted(range(len(parts)), key=lambda k: (-len(parts[k]), k))
        for k in order[:rest]:
            base[k] += 1
        for k, b in enumerate(base):
            shares[k][name] = b
    return shares


_PROGRESS_QUEUE: Any = None  # set in each pool worker by _init_worker


def _init_worker(queue: Any) -> None:
    """Pool initializer: where the worker reports each finished part."""
    global _PROGRESS_QUEUE
    _PROGRESS_QUEUE = queue


def _solve_bin(
    parts: Sequence[Problem],
    params: SolveParams,
    deadline: float,
    on_part: Callable[[Plan], None] | None = None,
    on_improve: ProgressFn | None = None,
) -> list[Plan]:
    """Solve one worker's parts in turn, each given its share of the time left.

    The share is recomputed as each part starts (time left x the part's requests / the
    requests still to solve), so a slow start or a slow part is absorbed by the rest and
    the worker finishes by ``deadline`` (``time.time()`` seconds).
    """
    from routing.solver import solve  # OR-Tools is imported in the worker only

    plans: list[Plan] = []
    remaining = sum(len(p.requests) for p in parts) or 1
    for part in parts:
        share = (deadline - time.time()) * len(part.requests) / remaining
        limit = max(MIN_PART_LIMIT_S, min(params.time_limit_s, share))
        try:
            plan = solve(
                part,
                replace(params, time_limit_s=limit),
                progress=on_improve,
                solution_limit=params.solution_limit,
            )
        except NoSolutionError:
            logger.warning("%s: no solution", part.name)
            plan = _not_placed(part, NOT_PLACED_REASON)
        remaining = max(1, remaining - len(part.requests))
        plans.append(plan)
        if on_part is not None:
            on_part(plan)
        elif _PROGRESS_QUEUE is not None:
            _PROGRESS_QUEUE.put((plan.cost_pence, count_rides_over(plan)))
    return plans


def _solve_bins(
    bins: list[list[Problem]],
    params: SolveParams,
    deadline: float,
    on_done: Callable[[int, int], None],
) -> list[Plan]:
    """Each bin on a worker of ``params.executor``; ``on_done(cost, rides over 45 min)``
    as parts finish.

    A local pool's workers report each part through a queue (set by the initializer);
    Ray's workers are shared, so there a bin's parts are reported when the bin is done.
    """
    local = params.executor == "local"
    queue = multiprocessing.get_context("spawn").Queue() if local else None
    plans: list[Plan] = []
    with open_executor(
        params.executor,
        max_workers=len(bins),
        initializer=_init_worker if local else None,
        initargs=(queue,) if local else (),
    ) as pool:
        futures = [pool.submit(_solve_bin, b, params, deadline) for b in bins]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            while queue is not None and not queue.empty():
                cost, rides = queue.get()
                on_done(int(cost), int(rides))
            if queue is None:
                for fut in done:
                    for plan in fut.result():
                        on_done(plan.cost_pence, count_rides_over(plan))
        for fut in futures:
            plans += fut.result()
    return plans


def _bins(parts: Sequence[Problem], workers: int) -> list[list[Problem]]:
    """Longest-first assignment of parts to workers, balancing requests."""
    bins: list[list[Problem]] = [[] for _ in range(workers)]
    load = [0] * workers
    for part in sorted(parts, key=lambda p: -len(p.requests)):
        k = min(range(workers), key=lambda w: (load[w], w))
        bins[k].append(part)
        load[k] += len(part.requests)
    return [b for b in bins if b]


def _not_placed(problem: Problem, reason: str) -> Plan:
    return Plan(
        scenario_name=problem.name,
        routes=(),
        unassigned=tuple(
            Unassigned(pid, problem.run, reason, code=UnassignedCode.NOT_PLACED)
            for r in problem.requests
            for pid in r.pupil_ids
        ),
        travel_model=problem.travel_model,
    )


def whole_run_searchable(problem: Problem) -> bool:
    """True when the ruin-and-recreate search over the whole run applies: some requests,
    and at most ``WHOLE_RUN_MAX_REQUESTS``."""
    return 0 < len(problem.requests) <= WHOLE_RUN_MAX_REQUESTS


def objective_pence(problem: Problem, plan: Plan) -> float:
    """What the run's search minimises, in pence: the plan's cost plus, when the policy
    values a pupil's minute, the value of every planned ride (``Request.ride_cost_per_s``)."""
    rated = [r for r in problem.requests if r.ride_cost_per_s]
    if not rated:
        return float(plan.cost_pence)
    rides = ride_times_s(plan)
    value = sum(r.ride_cost_per_s * rides.get((problem.run, r.pupil_ids[0]), 0) for r in rated)
    return plan.cost_pence + value / COST_UNITS_PER_PENCE


def plan_run(
    scenario: Scenario,
    matrix: TravelMatrix,
    run: Run,
    params: SolveParams,
    progress: ProgressFn | None = None,
) -> Plan:
    """Plan one run of a scenario: pre-check, split, solve parts in parallel, merge.

    Parameters
    ----------
    scenario
        The scenario.
    matrix
        Its travel matrix.
    run
        AM or PM.
    params
        ``time_limit_s`` is the budget of the whole run (all parts, wall clock);
        ``num_workers`` processes solve the parts; ``max_part_requests`` caps a part.
    progress
        Called as parts finish (``parts_done`` of ``parts_total``, cost so far in pence).

    Returns
    -------
    Plan
        Routes ``AM-001``... (unique over the run), pupils the pre-check or the search
        could not place in ``unassigned`` with their reasons.
    """
    started = time.monotonic()
    problem, pre_unassigned = build_problem(scenario, matrix, run)
    # A solution limit asks for a reproducible plan: the whole-run search stops on the
    # clock, so it is left out (as solve() leaves the ruin-and-recreate search out).
    whole_run = (
        params.search in ("auto", "alns")
        and params.solution_limit is None
        and whole_run_searchable(problem)
    )
    seed_params = replace(params, search="ortools")
    params = seed_params
    if whole_run:
        params = replace(seed_params, time_limit_s=SEED_SHARE * seed_params.time_limit_s)
    deadline = time.time() + params.time_limit_s - (time.monotonic() - started)
    parts = split_requests(problem, params.max_part_requests)
    if len(parts) <= 1:
        part_problems = [problem]
    else:
        shares = _share_vehicles(problem, parts)
        part_problems = [
            restrict(problem, ids, num_available=share, name=f"{problem.name} part {k + 1}")
            for k, (ids, share) in enumerate(zip(parts, shares, strict=True))
        ]
    total = len(part_problems)
    logger.info(
        "%s: %d requests in %d part(s) of sizes %s",
        problem.name,
        len(problem.requests),
        total,
        [len(p.requests) for p in part_problems],
    )
    workers = min(params.num_workers, total)
    # Parts stop MERGE_MARGIN_S early, leaving time to map back and merge.
    part_deadline = deadline - MERGE_MARGIN_S
    plans: list[Plan] = []
    costs: list[int] = []
    long_rides: list[int] = []  # rides over 45 min of each finished part

    def report_cost(cost: int | None, message: str, rides: int | None = None) -> None:
        if progress is not None:
            progress(
                SolveProgress(
                    run=run,
                    parts_done=len(costs),
                    parts_total=total,
                    elapsed_s=time.monotonic() - started,
                    best_cost_pence=cost,
                    message=message,
                    rides_over_45_min=rides,
                )
            )

    def report(message: str) -> None:
        rides = sum(long_rides) if long_rides else None
        report_cost(sum(costs) if costs else None, message, rides)

    def on_done(cost: int, rides: int) -> None:
        costs.append(cost)
        long_rides.append(rides)
        report(f"{run.value}: {len(costs)} of {total} part(s) done")

    def on_part(plan: Plan) -> None:
        on_done(plan.cost_pence, count_rides_over(plan))

    report(f"{run.value}: solving {total} part(s) on {workers} process(es)")
    if workers <= 1:

        def on_improve(p: SolveProgress) -> None:
            # In process, the search's improving plans show too (a single part's bar moves);
            # their rides are not known until the part ends.
            if p.parts_done == 0 and p.best_cost_pence is not None:
                rides = sum(long_rides) if long_rides else None
                report_cost(sum(costs) + p.best_cost_pence, f"{run.value}: improving", rides)

        plans = _solve_bin(part_problems, params, part_deadline, on_part, on_improve)
    else:
        plans = _solve_bins(_bins(part_problems, workers), params, part_deadline, on_done)
        # A part's report can still be in the queue when its future resolves: the last
        # report counts every part from the plans themselves, not from the queue.
        if len(costs) < total:
            costs[:] = [p.cost_pence for p in plans]
            long_rides[:] = [count_rides_over(p) for p in plans]
            report(f"{run.value}: {total} of {total} part(s) done")
    merged = merge_plans(
        scenario.name,
        run,
        [p for p in plans if p is not None],
        pre_unassigned,
        travel_model=matrix.model,
        notes=problem.notes,
    )
    if whole_run:
        merged = _search_whole_run(problem, merged, seed_params, started, pre_unassigned)
        report_cost(
            merged.cost_pence, f"{run.value}: whole-run search done", count_rides_over(merged)
        )
    before = len(merged.unassigned)
    merged = _complete(problem, merged, seed_params if whole_run else params)
    if len(merged.unassigned) < before:
        report_cost(
            merged.cost_pence,
            f"{run.value}: {before - len(merged.unassigned)} left-out pupil-run(s) placed",
            count_rides_over(merged),
        )
    merged = replace(
        merged, solve_seconds=round(time.monotonic() - started, 3), flags=problem.flags
    )
    logger.info(
        "%s: %d routes, %d unassigned, %.1f s",
        problem.name,
        len(merged.routes),
        len(merged.unassigned),
        merged.solve_seconds,
    )
    return merged


def _complete(problem: Problem, plan: Plan, params: SolveParams) -> Plan:
    """Every pupil the search left out whom a vehicle can carry, placed (``complete``)."""
    # Imported here as in _search_whole_run: the workers import the solver first.
    from routing.solver.complete import complete_run

    budget = max(COMPLETE_MIN_S, COMPLETE_SHARE * params.time_limit_s)
    return complete_run(problem, plan, time.monotonic() + budget)


def _search_whole_run(
    problem: Problem,
    seed: Plan,
    params: SolveParams,
    started: float,
    pre_unassigned: Sequence[Unassigned],
) -> Plan:
    """The ruin-and-recreate search over the whole run, from the parts' merged plan."""
    from routing.solver import solve  # OR-Tools is imported in the workers first

    left = max(MIN_PART_LIMIT_S, params.time_limit_s - (time.monotonic() - started) - 1.0)
    plan = solve(problem, replace(params, time_limit_s=left, search="alns"), initial=seed)
    final = merge_plans(
        seed.scenario_name,
        problem.run,
        [plan],
        pre_unassigned,
        travel_model=seed.travel_model,
        notes=problem.notes,
    )
    # Never worse than the seed: fewer pupils left out first, then the objective.
    if (len(final.unassigned), objective_pence(problem, final)) > (
        len(seed.unassigned),
        objective_pence(problem, seed),
    ):
        logger.info("%s: the whole-run search kept the parts' plan", problem.name)
        return seed
    return final


def merge_plans(
    scenario_name: str,
    run: Run,
    plans: Sequence[Plan],
    pre_unassigned: Sequence[Unassigned] = (),
    *,
    travel_model: str = "",
    notes: Sequence[str] = (),
) -> Plan:
    """One plan of a run from its parts' plans: route ids renumbered ``AM-001``..."""
    routes: list[Route] = []
    for plan in plans:
        for route in plan.routes:
            routes.append(replace(route, route_id=f"{run.value}-{len(routes) + 1:03d}"))
    unassigned = tuple(pre_unassigned) + tuple(u for p in plans for u in p.unassigned)
    all_notes = tuple(dict.fromkeys([*notes, *(n for p in plans for n in p.notes)]))
    return Plan(
        scenario_name=scenario_name,
        routes=tuple(routes),
        unassigned=unassigned,
        travel_model=travel_model or (plans[0].travel_model if plans else ""),
        solve_seconds=max((p.solve_seconds for p in plans), default=0.0),
        objective=sum(p.objective for p in plans),
        notes=all_notes,
    )
