"""Run-wide rules both checkers share: coverage, fleet size, groups together, pairs apart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from routing.checks.violations import Violation, ViolationKind
from routing.model import Route, Run


def coverage(
    run: Run,
    expected: Iterable[str],
    routed: Mapping[str, list[str]],
    unassigned: Sequence[str],
    known: set[str],
) -> list[Violation]:
    """Every expected pupil routed once or unassigned once; nobody unknown."""
    out: list[Violation] = []
    expected_set = set(expected)
    times_unassigned = Counter(unassigned)
    for pid, route_ids in routed.items():
        if len(route_ids) > 1:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE,
                    run,
                    route_ids[1],
                    pid,
                    f"Pupil '{pid}' is on {len(route_ids)} routes of the {run.value} run: "
                    f"{', '.join(route_ids)}.",
                )
            )
        if pid in times_unassigned:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE,
                    run,
                    route_ids[0],
                    pid,
                    f"Pupil '{pid}' is on route '{route_ids[0]}' and also listed as "
                    f"unassigned in the {run.value} run.",
                )
            )
    for pid, count in times_unassigned.items():
        if pid not in known:
            out.append(
                Violation(
                    ViolationKind.UNKNOWN,
                    run,
                    "",
                    pid,
                    f"Unassigned pupil '{pid}' of the {run.value} run is not in the data.",
                )
            )
        elif count > 1:
            out.append(
                Violation(
                    ViolationKind.DUPLICATE,
                    run,
                    "",
                    pid,
                    f"Pupil '{pid}' is listed as unassigned {count} times in the {run.value} run.",
                )
            )
    for pid in sorted(expected_set):
        if pid not in routed and pid not in times_unassigned:
            out.append(
                Violation(
                    ViolationKind.MISSING,
                    run,
                    "",
                    pid,
                    f"Pupil '{pid}' attends the {run.value} run but is on no route and not "
                    "listed as unassigned.",
                )
            )
    return out


def fleet(run: Run, routes: Sequence[Route], caps: Mapping[str, int | None]) -> list[Violation]:
    out: list[Violation] = []
    counts = Counter(r.vehicle_type for r in routes)
    for name, count in sorted(counts.items()):
        cap = caps.get(name)
        if cap is not None and count > cap:
            out.append(
                Violation(
                    ViolationKind.FLEET,
                    run,
                    "",
                    "",
                    f"The {run.value} run uses {count} vehicles of type '{name}' but only "
                    f"{cap} are available.",
                )
            )
    return out


def split_groups(
    run: Run,
    groups: Iterable[Sequence[str]],
    route_of: Mapping[str, str],
    what: str,
    labels: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Members of each group on one route (members not routed are not judged here)."""
    out: list[Violation] = []
    for members in groups:
        routed = [m for m in members if m in route_of]
        if not routed:
            continue
        anchor = route_of[routed[0]]
        for m in routed[1:]:
            if route_of[m] != anchor:
                out.append(
                    Violation(
                        ViolationKind.SIBLINGS,
                        run,
                        route_of[m],
                        labels.get(m, m) if labels is not None else m,
                        f"{what} '{m}' rides route '{route_of[m]}' apart from '{routed[0]}' "
                        f"on route '{anchor}'.",
                    )
                )
    return out


def incompatible_on_route(
    route: Route, pairs: Iterable[tuple[str, str]], members: set[str], what: str
) -> list[Violation]:
    return [
        Violation(
            ViolationKind.INCOMPATIBLE,
            route.run,
            route.route_id,
            a,
            f"{what} '{a}' and '{b}' must never share a vehicle but both ride route "
            f"'{route.route_id}'.",
        )
        for a, b in pairs
        if a in members and b in members
    ]
