"""An officer's edits of a plan: lock a route, pin a pupil, move a pupil, reorder stops.

Every edit re-times the routes it touches with the solver's own schedule rules
(:func:`routing.solver.route_for_visits`: same windows, ride limits, boarding times, AM as
late as feasible), keeping each route's vehicle type and assistant, and the other
pupils' home times within :data:`~routing.plan_diff.TIME_CHANGE_S` where the rules allow.
The edited plan then goes through the independent checker (:func:`routing.checks.check_plan`)
and the result carries its verdict and the cost change. An edit that breaks a rule is
refused (:class:`~routing.errors.EditRefusedError`, naming the rule and the pupil), or,
with ``force``, kept with the checker's violations: the service saves it only as a draft
marked broken.

Locks and pins (:class:`PlanLocks`) are the officer's, not the solver's: a locked route
keeps its vehicle, assistant and pupil order through edits (an edit touching it is
refused) and re-plans (:mod:`routing.replan`); a pinned pupil stays on their route.

A pupil travels with the siblings of their request (same address and school): moving
one moves the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

from routing.checks import Violation, check_plan
from routing.costing import route_cost_pence
from routing.errors import EditRefusedError, InvalidScenarioError
from routing.matrix import TravelMatrix
from routing.model import Plan, Route, Run, Scenario, Stop, StopKind, Unassigned
from routing.plan_diff import TIME_CHANGE_S
from routing.plan_locks import Pin, PlanLocks
from routing.problem import Problem, Request, build_problem, restrict
from routing.solver import route_for_visits

Visits = list[tuple[str, bool]]  # (request id, is pickup) in visiting order


@dataclass(frozen=True, slots=True)
class EditResult:
    """An edited plan, the checker's verdict on it and what it cost."""

    plan: Plan
    locks: PlanLocks
    violations: tuple[Violation, ...]
    cost_change_pence: int  # edited day cost - previous day cost (routes only)
    changed_route_ids: tuple[str, ...]
    description: str  # what was done, without pupil data beyond ids

    @property
    def is_broken(self) -> bool:
        return bool(self.violations)


# --------------------------------------------------------------------------- one run


@dataclass(slots=True)
class RunWork:
    """One run's problem over every pupil who attends it, and each pupil's request."""

    scenario: Scenario
    problem: Problem
    request_of: dict[str, Request] = field(default_factory=dict)
    by_id: dict[str, Request] = field(default_factory=dict)
    unplannable: tuple[Unassigned, ...] = ()  # the pre-check's: no plan can carry them

    @classmethod
    def build(cls, scenario: Scenario, matrix: TravelMatrix, run: Run) -> RunWork:
        problem, unplannable = build_problem(scenario, matrix, run)
        return cls(
            scenario,
            problem,
            {pid: r for r in problem.requests for pid in r.pupil_ids},
            {r.request_id: r for r in problem.requests},
            unplannable,
        )

    def home_end(self, is_pickup: bool) -> bool:
        """Whether a visit of this kind is at the pupil's home on this run."""
        return is_pickup is (self.problem.run is Run.AM)


def route_visits(work: RunWork, route: Route) -> Visits:
    """(request id, is pickup) in the route's order, one per request end (known pupils only)."""
    out: dict[tuple[str, bool], None] = {}
    for stop in route.stops:
        for pid in stop.pupil_ids:
            r = work.request_of.get(pid)
            if r is not None:
                out[(r.request_id, stop.kind is StopKind.PICKUP)] = None
    return list(out)


def home_times(work: RunWork, route: Route) -> dict[str, int]:
    """Request id -> service start at home (AM pickup, PM drop-off) on ``route``."""
    home_kind = StopKind.PICKUP if work.problem.run is Run.AM else StopKind.DROPOFF
    out: dict[str, int] = {}
    for stop in route.stops:
        if stop.kind is home_kind:
            for pid in stop.pupil_ids:
                r = work.request_of.get(pid)
                if r is not None:
                    out.setdefault(r.request_id, stop.service_start_s)
    return out


def _anchored(part: Problem, anchors: Mapping[str, int], slack_s: int) -> Problem:
    """The part with each anchored request's home window closed to its time +- slack."""
    am = part.run is Run.AM

    def near(r: Request) -> Request:
        at = anchors.get(r.request_id)
        if at is None:
            return r
        lo, hi = r.pickup_window_s if am else r.dropoff_window_s
        window = (max(lo, at - slack_s), min(hi, at + slack_s))
        if window[0] > window[1]:
            return r
        return replace(r, pickup_window_s=window) if am else replace(r, dropoff_window_s=window)

    return replace(part, requests=tuple(near(r) for r in part.requests))


def planned_starts(work: RunWork, route: Route) -> dict[tuple[str, bool], int]:
    """Each request end's service start on ``route`` (siblings at one stop back to back)."""
    starts: dict[tuple[str, bool], int] = {}
    for stop in route.stops:
        is_pickup = stop.kind is StopKind.PICKUP
        at = stop.service_start_s
        for pid in stop.pupil_ids:
            r = work.request_of.get(pid)
            if r is None or (r.request_id, is_pickup) in starts:
                continue
            starts[(r.request_id, is_pickup)] = at
            at += r.pickup_service_s if is_pickup else r.dropoff_service_s
    return starts


def _pinned(part: Problem, starts: Mapping[tuple[str, bool], int]) -> Problem | None:
    """The part with both windows of every request closed to its planned start (None: a
    request has no planned start)."""
    out: list[Request] = []
    for r in part.requests:
        up, down = starts.get((r.request_id, True)), starts.get((r.request_id, False))
        if up is None or down is None:
            return None
        out.append(replace(r, pickup_window_s=(up, up), dropoff_window_s=(down, down)))
    return replace(part, requests=tuple(out))


def _vehicle_part(work: RunWork, template: Route, visits: Visits) -> Problem:
    """The run restricted to the visits' requests, on the template's vehicle and assistant."""
    part = restrict(work.problem, {rid for rid, _ in visits})
    same = tuple(
        c
        for c in part.vehicle_classes
        if c.vehicle_type == template.vehicle_type and c.has_assistant == template.has_assistant
    )
    return replace(part, vehicle_classes=same) if same else part


def retime(
    work: RunWork,
    template: Route,
    visits: Visits,
    anchors: Mapping[str, int] | None = None,
    slack_s: int = TIME_CHANGE_S,
) -> Route | None:
    """The visits as one timed route on ``template``'s vehicle type and assistant.

    With ``anchors`` (request id -> home time) those requests keep their home time within
    ``slack_s`` first; where that cannot hold, times are free. None: no schedule holds
    (a rule would break).
    """
    if not visits:
        return None
    part = _vehicle_part(work, template, visits)
    tries: list[Problem | None] = [_anchored(part, anchors, slack_s), part] if anchors else [part]
    # Neither the latest nor the earliest schedule may hold where the planned times do
    # (a tight ride limit); those times still hold once a stop is skipped.
    tries.append(_pinned(part, planned_starts(work, template)))
    for attempt in tries:
        route = None if attempt is None else route_for_visits(attempt, visits)
        if route is not None:
            return replace(route, route_id=template.route_id)
    return None


def forced_route(work: RunWork, template: Route, visits: Visits) -> Route:
    """The visits timed straight through from the template's first arrival, rules unchecked
    (a forced edit's broken draft: the checker then names what it breaks)."""
    problem = work.problem
    cls = next(
        (c for c in problem.vehicle_classes if c.vehicle_type == template.vehicle_type),
        problem.vehicle_classes[0],
    )
    at = template.stops[0].arrival_s if template.stops else problem.horizon_s[0]
    stops: list[Stop] = []
    prev: int | None = cls.start_loc
    distance = 0
    first_arrival: int | None = None
    for rid, is_pickup in visits:
        r = work.by_id[rid]
        loc = r.pickup_loc if is_pickup else r.dropoff_loc
        if prev is not None:
            at += int(problem.duration_s[prev, loc])
            distance += int(problem.distance_m[prev, loc])
        first_arrival = at if first_arrival is None else first_arrival
        service = r.pickup_service_s if is_pickup else r.dropoff_service_s
        stops.append(
            Stop(
                kind=StopKind.PICKUP if is_pickup else StopKind.DROPOFF,
                pupil_ids=r.pupil_ids,
                location_id=problem.location_ids[loc],
                lon=problem.lons[loc] if problem.lons else 0.0,
                lat=problem.lats[loc] if problem.lats else 0.0,
                arrival_s=at,
                service_start_s=at,
                departure_s=at + service,
                school_id=r.school_id,
            )
        )
        at += service
        prev = loc
    tail = 0
    if cls.end_loc is not None and prev is not None:
        tail = int(problem.duration_s[prev, cls.end_loc])
        distance += int(problem.distance_m[prev, cls.end_loc])
    vt = work.scenario.vehicle_type(template.vehicle_type)
    return replace(
        template,
        stops=tuple(stops),
        distance_m=distance,
        duration_s=at + tail - (first_arrival or at),
        cost_pence=route_cost_pence(vt, distance, template.has_assistant, work.scenario.policy),
    )


def _school_next_to_same(work: RunWork, seq: Visits, rid: str) -> bool:
    """Whether the new request's school-end visit sits next to a visit of the same kind
    at the same school, when the route has one (no second call at a school gate)."""
    am = work.problem.run is Run.AM
    school_is_pickup = not am
    req = work.by_id[rid]
    school_loc = req.pickup_loc if school_is_pickup else req.dropoff_loc

    def at_school(v: tuple[str, bool]) -> bool:
        r = work.by_id[v[0]]
        return v[1] is school_is_pickup and (r.pickup_loc if v[1] else r.dropoff_loc) == school_loc

    k = seq.index((rid, school_is_pickup))
    others = [i for i, v in enumerate(seq) if i != k and at_school(v)]
    return not others or (k - 1 in others) or (k + 1 in others)


def insertions(
    work: RunWork, visits: Visits, rid: str, *, home_position: int | None = None
) -> Iterable[Visits]:
    """Every way to put request ``rid`` into ``visits`` (pickup before drop-off; the school
    end next to the same school's visit; with ``home_position``, the new home visit as the
    route's home visit number ``home_position``, 0 first)."""
    n = len(visits)
    for i in range(n + 1):
        for j in range(i + 1, n + 2):
            seq = list(visits)
            seq.insert(i, (rid, True))
            seq.insert(j, (rid, False))
            if not _school_next_to_same(work, seq, rid):
                continue
            if home_position is not None:
                homes = [v for v in seq if work.home_end(v[1])]
                if homes.index((rid, work.home_end(True))) != home_position:
                    continue
            yield seq


MAX_POSITIONS_TRIED = 12
"""Ways to insert a pupil into one route that are timed exactly: the shortest detours."""


def _legs_s(work: RunWork, seq: Visits) -> int:
    """Driving seconds along the visits (no waiting, no service): a detour's measure."""
    problem = work.problem
    locs = [
        work.by_id[rid].pickup_loc if is_pickup else work.by_id[rid].dropoff_loc
        for rid, is_pickup in seq
    ]
    return sum(int(problem.duration_s[a, b]) for a, b in pairwise(locs))


@dataclass(frozen=True, slots=True)
class Insertion:
    route: Route
    cost_change_pence: int
    num_moved: int  # other requests whose home time moved by more than the slack


def num_moved(work: RunWork, route: Route, anchors: Mapping[str, int], slack_s: int) -> int:
    now = home_times(work, route)
    return sum(1 for rid, at in anchors.items() if rid in now and abs(now[rid] - at) > slack_s)


def best_insertion(
    work: RunWork,
    route: Route,
    rid: str,
    *,
    home_position: int | None = None,
    moved_price_pence: int = 0,
    anchors: Mapping[str, int] | None = None,
) -> Insertion | None:
    """The cheapest feasible way to add request ``rid`` to ``route`` (its vehicle kept).

    First with every other request's home time held within the slack; only when no
    position allows that, with times free, each request moved beyond the slack priced
    at ``moved_price_pence``. None when no position holds every rule.
    """
    visits = route_visits(work, route)
    held = home_times(work, route) if anchors is None else dict(anchors)
    options = list(insertions(work, visits, rid, home_position=home_position))
    if not options:
        return None
    # The exact schedule check costs milliseconds: try the shortest detours first, a few.
    options.sort(key=lambda seq: _legs_s(work, seq))
    options = options[:MAX_POSITIONS_TRIED]
    whole = _vehicle_part(work, route, options[0])
    best: Insertion | None = None
    for held_times in (held, None):
        part = whole if held_times is None else _anchored(whole, held_times, TIME_CHANGE_S)
        for seq in options:
            new = route_for_visits(part, seq)
            if new is None:
                continue
            new = replace(new, route_id=route.route_id)
            moved = 0 if held_times is not None else num_moved(work, new, held, TIME_CHANGE_S)
            change = new.cost_pence - route.cost_pence
            if best is None or change + moved * moved_price_pence < (
                best.cost_change_pence + best.num_moved * moved_price_pence
            ):
                best = Insertion(new, change, moved)
        if best is not None:
            return best
    return None


# --------------------------------------------------------------------------- edits


def _route(plan: Plan, route_id: str) -> Route:
    for r in plan.routes:
        if r.route_id == route_id:
            return r
    msg = f"Plan has no route '{route_id}'."
    raise InvalidScenarioError(msg)


def _unlocked(locks: PlanLocks, route_id: str) -> None:
    if route_id in locks.locked_route_ids:
        msg = f"Route {route_id} is locked: unlock it before editing it."
        raise EditRefusedError(msg)


def _replace_routes(
    plan: Plan, new: Mapping[str, Route | None], run: Run, placed: set[str]
) -> Plan:
    kept = (new.get(r.route_id, r) for r in plan.routes)
    routes = tuple(r for r in kept if r is not None)
    unassigned = tuple(u for u in plan.unassigned if not (u.run is run and u.pupil_id in placed))
    return replace(plan, routes=routes, unassigned=unassigned)


def _judge(
    scenario: Scenario,
    matrix: TravelMatrix,
    before: Plan,
    after: Plan,
    locks: PlanLocks,
    run: Run,
    changed: Sequence[str],
    what: str,
    force: bool,
) -> EditResult:
    """The checker's verdict on an edit: refused when it breaks a rule the plan did not."""
    found = check_plan(scenario, matrix, after, runs=[run])
    new_violations: tuple[Violation, ...] = ()
    if found:
        old = {
            (v.kind, v.pupil_id, v.route_id)
            for v in check_plan(scenario, matrix, before, runs=[run])
        }
        new_violations = tuple(v for v in found if (v.kind, v.pupil_id, v.route_id) not in old)
    if new_violations and not force:
        first = new_violations[0]
        who = f" for pupil {first.pupil_id}" if first.pupil_id else ""
        msg = (
            f"{what} is refused: it breaks the {first.kind.value} rule{who} on "
            f"{first.route_id or run.value} ({len(new_violations)} rule(s) in all): {first.message}"
        )
        raise EditRefusedError(msg, new_violations)
    return EditResult(
        plan=after,
        locks=locks,
        violations=tuple(found),
        cost_change_pence=after.cost_pence - before.cost_pence,
        changed_route_ids=tuple(changed),
        description=what,
    )


def lock_route(plan: Plan, locks: PlanLocks, route_id: str, *, locked: bool = True) -> PlanLocks:
    """The locks with ``route_id`` locked (or unlocked): its vehicle, assistant and order kept."""
    _route(plan, route_id)
    ids = set(locks.locked_route_ids)
    if locked:
        ids.add(route_id)
    else:
        ids.discard(route_id)
    return replace(locks, locked_route_ids=frozenset(ids))


def _where(plan: Plan, pupil_id: str, run: Run) -> Route | None:
    return next((r for r in plan.routes_for(run) if pupil_id in r.pupil_ids()), None)


def move_pupil(
    scenario: Scenario,
    matrix: TravelMatrix,
    plan: Plan,
    locks: PlanLocks,
    pupil_id: str,
    run: Run,
    to_route_id: str,
    *,
    home_position: int | None = None,
    force: bool = False,
) -> EditResult:
    """Move a pupil (with their request's siblings) onto another route of the run.

    Parameters
    ----------
    scenario, matrix
        What the plan was made for (the checker's inputs).
    plan, locks
        The plan and its locks; neither route may be locked.
    pupil_id, run
        Who moves, on which run (a pupil left unassigned is placed).
    to_route_id
        The route that takes them (its vehicle type and assistant are kept).
    home_position
        Their home stop's place among the route's home stops (0 first); None: the cheapest.
    force
        Keep an edit that breaks a rule (the result lists the violations).

    Raises
    ------
    EditRefusedError
        When a route is locked, or the edit breaks a rule (naming it and the pupil).
    """
    work = RunWork.build(scenario, matrix, run)
    request = work.request_of.get(pupil_id)
    if request is None:
        msg = f"Pupil {pupil_id} cannot be planned on the {run.value} run of this scenario."
        raise EditRefusedError(msg)
    target = _route(plan, to_route_id)
    source = _where(plan, pupil_id, run)
    what = f"Moving pupil {pupil_id} to {to_route_id}"
    if target.run is not run:
        msg = f"{what} is refused: route {to_route_id} is on the {target.run.value} run."
        raise EditRefusedError(msg)
    _unlocked(locks, to_route_id)
    if source is not None:
        _unlocked(locks, source.route_id)
    new: dict[str, Route | None] = {}
    base = target
    if source is not None and source.route_id != to_route_id:
        left = [v for v in route_visits(work, source) if v[0] != request.request_id]
        new[source.route_id] = (
            None if not left else retime(work, source, left, home_times(work, source))
        ) or (forced_route(work, source, left) if left else None)
    elif source is not None:
        left = [v for v in route_visits(work, target) if v[0] != request.request_id]
        base = forced_route(work, target, left) if left else replace(target, stops=())
        base = retime(work, target, left, home_times(work, target)) or base
    found = best_insertion(work, base, request.request_id, home_position=home_position)
    if found is not None:
        new[to_route_id] = found.route
    else:
        visits = route_visits(work, base)
        options = list(insertions(work, visits, request.request_id, home_position=home_position))
        seq = (
            options[-1]
            if options
            else [*visits, (request.request_id, True), (request.request_id, False)]
        )
        new[to_route_id] = forced_route(work, target, seq)
    after = _replace_routes(plan, new, run, set(request.pupil_ids))
    pins = tuple(p for p in locks.pins if not (p.run is run and p.pupil_id in request.pupil_ids))
    pins += tuple(
        Pin(pid, run, to_route_id)
        for pid in request.pupil_ids
        if locks.pinned_route(pid, run) is not None
    )
    return _judge(
        scenario, matrix, plan, after, replace(locks, pins=pins), run, list(new), what, force
    )


def pin_pupil(
    scenario: Scenario,
    matrix: TravelMatrix,
    plan: Plan,
    locks: PlanLocks,
    pupil_id: str,
    run: Run,
    route_id: str,
    *,
    force: bool = False,
) -> EditResult:
    """Pin a pupil to a route of the run (moving them there first if they are elsewhere)."""
    current = _where(plan, pupil_id, run)
    if current is not None and current.route_id == route_id:
        result = _judge(scenario, matrix, plan, plan, locks, run, [], f"Pinning {pupil_id}", force)
    else:
        result = move_pupil(scenario, matrix, plan, locks, pupil_id, run, route_id, force=force)
    pins = tuple(p for p in result.locks.pins if not (p.pupil_id == pupil_id and p.run is run))
    pinned = replace(result.locks, pins=(*pins, Pin(pupil_id, run, route_id)))
    return replace(result, locks=pinned, description=f"Pinning pupil {pupil_id} to {route_id}")


def reorder_route(
    scenario: Scenario,
    matrix: TravelMatrix,
    plan: Plan,
    locks: PlanLocks,
    route_id: str,
    home_order: Sequence[str],
    *,
    force: bool = False,
) -> EditResult:
    """Visit a route's homes in a new order (``home_order``: every pupil of the route,
    as the homes are to be visited); the school stops keep their place relative to them
    (AM: after the last pickup of each school, PM: before the first drop-off)."""
    route = _route(plan, route_id)
    _unlocked(locks, route_id)
    run = route.run
    work = RunWork.build(scenario, matrix, run)
    visits = route_visits(work, route)
    pupils = set(route.pupil_ids())
    if set(home_order) != pupils or len(home_order) != len(pupils):
        msg = f"The new order of route {route_id} must name each of its {len(pupils)} pupils once."
        raise InvalidScenarioError(msg)
    homes = list(dict.fromkeys(work.request_of[p].request_id for p in home_order))
    school = [v for v in visits if not work.home_end(v[1])]
    seq = [(rid, run is Run.AM) for rid in homes]
    seq = [*seq, *school] if run is Run.AM else [*school, *seq]
    what = f"Reordering route {route_id}"
    new = retime(work, route, seq) or forced_route(work, route, seq)
    after = _replace_routes(plan, {route_id: new}, run, set())
    return _judge(scenario, matrix, plan, after, locks, run, [route_id], what, force)


__all__ = [
    "EditResult",
    "Insertion",
    "Pin",
    "PlanLocks",
    "RunWork",
    "best_insertion",
    "forced_route",
    "home_times",
    "insertions",
    "lock_route",
    "move_pupil",
    "num_moved",
    "pin_pupil",
    "reorder_route",
    "retime",
    "route_visits",
]
