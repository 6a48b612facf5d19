"""Two plans of one scenario compared: which pupils changed vehicle, time or assistant.

What a parent notices is the vehicle (and its driver), the passenger assistant and the
time at the door: the pickup at home in the morning, the drop-off at home in the
afternoon (the *home time*). Route ids are the solver's numbering, so a vehicle is
matched across the two plans by the pupils they share (:func:`match_routes`: a route of
the new plan is the old route with which it shares the most pupils, each old route
matched at most once); a re-plan keeps its routes' ids and so matches them to themselves.

:func:`compare_plans` gives one :class:`PupilChange` per pupil and run that changed
(``changes.csv``, the letters to parents and schools) and the cost change;
:func:`upheaval` counts the pupils whose vehicle changed or whose home time moved by
more than ``TIME_CHANGE_S`` (the issue's measure of disruption).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from routing.clock import format_clock
from routing.model import Plan, Route, Run, StopKind

TIME_CHANGE_S = 5 * 60
"""A home time that moves by more than this is a change a family must be told about."""


class ChangeKind(StrEnum):
    NEW = "new"  # not carried on this run before
    LEFT = "left"  # carried before, not now (left, or unassigned now)
    VEHICLE = "vehicle"  # another vehicle (and so another driver)
    HOME_TIME = "home_time"  # pickup (AM) / drop-off (PM) at home moved
    ASSISTANT = "assistant"  # an assistant gained or lost on their vehicle


@dataclass(frozen=True, slots=True)
class Trip:
    """One pupil's journey on one run of a plan."""

    pupil_id: str
    run: Run
    route_id: str
    vehicle_type: str
    has_assistant: bool
    home_s: int  # pickup at home (AM) or drop-off at home (PM), service start


@dataclass(frozen=True, slots=True)
class PupilChange:
    """One thing that changed for one pupil on one run, old -> new in words."""

    pupil_id: str
    run: Run
    kind: ChangeKind
    old: str
    new: str
    minutes: int = 0  # for HOME_TIME: new - old, whole minutes (negative: earlier)


@dataclass(frozen=True, slots=True)
class PlanComparison:
    """What changed between two plans of one scenario."""

    changes: tuple[PupilChange, ...]
    cost_change_pence: int  # new day cost - old day cost (routes only)
    routes_added: tuple[str, ...]  # new plan's routes matched to no old route
    routes_removed: tuple[str, ...]  # old plan's routes matched to no new route
    routes_changed: tuple[str, ...]  # new plan's routes whose stops or vehicle differ


def trips(plan: Plan) -> dict[tuple[str, Run], Trip]:
    """Every pupil's trip on every run of ``plan``, keyed by (pupil id, run)."""
    out: dict[tuple[str, Run], Trip] = {}
    for route in plan.routes:
        home_kind = StopKind.PICKUP if route.run is Run.AM else StopKind.DROPOFF
        for stop in route.stops:
            if stop.kind is not home_kind:
                continue
            for pid in stop.pupil_ids:
                out[(pid, route.run)] = Trip(
                    pid,
                    route.run,
                    route.route_id,
                    route.vehicle_type,
                    route.has_assistant,
                    stop.service_start_s,
                )
    return out


def match_routes(old: Plan, new: Plan) -> dict[str, str]:
    """New route id -> the old route id it continues (same run, most shared pupils).

    Routes with the same id and a pupil in common match first (a re-plan or an edit keeps
    its ids); the rest greedily, the pair sharing most pupils first, ties by id.
    """
    matched: dict[str, str] = {}
    for run in Run:
        olds = {r.route_id: set(r.pupil_ids()) for r in old.routes_for(run)}
        news = {r.route_id: set(r.pupil_ids()) for r in new.routes_for(run)}
        taken: set[str] = set()
        for rid, pupils in news.items():
            if rid in olds and pupils & olds[rid]:
                matched[rid] = rid
                taken.add(rid)
        pairs = sorted(
            (-len(pn & po), nid, oid)
            for nid, pn in news.items()
            if nid not in matched
            for oid, po in olds.items()
            if oid not in taken and pn & po
        )
        for _, nid, oid in pairs:
            if nid not in matched and oid not in taken:
                matched[nid] = oid
                taken.add(oid)
    return matched


def _route_signature(route: Route) -> tuple[object, ...]:
    return (
        route.vehicle_type,
        route.has_assistant,
        tuple((s.kind, s.pupil_ids, s.service_start_s) for s in route.stops),
    )


def _trip_changes(before: Trip, after: Trip, same_vehicle: bool) -> list[PupilChange]:
    pid, run = after.pupil_id, after.run
    out: list[PupilChange] = []
    if not same_vehicle:
        out.append(
            PupilChange(
                pid,
                run,
                ChangeKind.VEHICLE,
                f"{before.route_id} ({before.vehicle_type})",
                f"{after.route_id} ({after.vehicle_type})",
            )
        )
    moved_s = after.home_s - before.home_s
    if moved_s != 0 and abs(moved_s) >= 60:
        out.append(
            PupilChange(
                pid,
                run,
                ChangeKind.HOME_TIME,
                format_clock(before.home_s),
                format_clock(after.home_s),
                minutes=round(moved_s / 60),
            )
        )
    if before.has_assistant != after.has_assistant:
        words = {True: "assistant", False: "no assistant"}
        out.append(
            PupilChange(
                pid,
                run,
                ChangeKind.ASSISTANT,
                words[before.has_assistant],
                words[after.has_assistant],
            )
        )
    return out


def compare_plans(old: Plan, new: Plan) -> PlanComparison:
    """Every change between ``old`` and ``new``, per pupil and run, and the cost change.

    Home-time changes of a minute or more are listed (a family is told of any); the
    5-minute measure is :func:`upheaval`'s.
    """
    matched = match_routes(old, new)
    before, after = trips(old), trips(new)
    changes: list[PupilChange] = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[1].value, k[0])):
        pid, run = key
        b, a = before.get(key), after.get(key)
        if b is None and a is not None:
            changes.append(
                PupilChange(pid, run, ChangeKind.NEW, "", f"{a.route_id} ({a.vehicle_type})")
            )
        elif a is None and b is not None:
            changes.append(
                PupilChange(pid, run, ChangeKind.LEFT, f"{b.route_id} ({b.vehicle_type})", "")
            )
        elif a is not None and b is not None:
            changes += _trip_changes(b, a, matched.get(a.route_id) == b.route_id)
    old_routes = {r.route_id: r for r in old.routes}
    changed = tuple(
        r.route_id
        for r in new.routes
        if r.route_id in matched
        and _route_signature(r) != _route_signature(old_routes[matched[r.route_id]])
    )
    return PlanComparison(
        changes=tuple(changes),
        cost_change_pence=new.cost_pence - old.cost_pence,
        routes_added=tuple(r.route_id for r in new.routes if r.route_id not in matched),
        routes_removed=tuple(
            r.route_id for r in old.routes if r.route_id not in set(matched.values())
        ),
        routes_changed=changed,
    )


def upheaval(
    old: Plan, new: Plan, *, exclude: Iterable[str] = (), threshold_s: int = TIME_CHANGE_S
) -> int:
    """How many pupils (not in ``exclude``) changed vehicle or moved home time > threshold.

    A pupil counts once, whichever run or runs changed; pupils on only one of the two
    plans (joined, left, unassigned) are not counted: they are the change itself.
    """
    skip = set(exclude)
    matched = match_routes(old, new)
    before, after = trips(old), trips(new)
    upset: set[str] = set()
    for key, a in after.items():
        b = before.get(key)
        if b is None or a.pupil_id in skip:
            continue
        if matched.get(a.route_id) != b.route_id or abs(a.home_s - b.home_s) > threshold_s:
            upset.add(a.pupil_id)
    return len(upset)


CHANGES_COLUMNS: Sequence[str] = ("pupil_id", "run", "change", "old", "new", "minutes")


def changes_rows(comparison: PlanComparison) -> list[dict[str, object]]:
    """The changes as rows of ``changes.csv`` (write with ``reports.write_csv``: formula-safe)."""
    return [
        {
            "pupil_id": c.pupil_id,
            "run": c.run.value,
            "change": c.kind.value,
            "old": c.old,
            "new": c.new,
            "minutes": c.minutes if c.kind is ChangeKind.HOME_TIME else "",
        }
        for c in comparison.changes
    ]


__all__ = [
    "CHANGES_COLUMNS",
    "TIME_CHANGE_S",
    "ChangeKind",
    "PlanComparison",
    "PupilChange",
    "Trip",
    "changes_rows",
    "compare_plans",
    "match_routes",
    "trips",
    "upheaval",
]
